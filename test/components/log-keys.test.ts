// Which message each key takes the log's focus to: one step, a page, either end, and nothing
// past the ends or for keys that are not moves; and where it goes once a message is deleted.
import { describe, expect, it } from 'vitest'
import { afterDeletion, moveTarget } from '../../src/components/log-keys.js'

describe('moveTarget', () => {
  it('moves one message with the arrows, a page with Page Up and Down, to the ends with Home and End', () => {
    expect(moveTarget('ArrowUp', 5, 10, 3)).toBe(4)
    expect(moveTarget('ArrowDown', 5, 10, 3)).toBe(6)
    expect(moveTarget('PageUp', 5, 10, 3)).toBe(2)
    expect(moveTarget('PageDown', 5, 10, 3)).toBe(8)
    expect(moveTarget('Home', 5, 10, 3)).toBe(0)
    expect(moveTarget('End', 5, 10, 3)).toBe(9)
  })

  it('stops at the ends, moves at least one message a page, and ignores other keys and empty logs', () => {
    expect(moveTarget('ArrowUp', 0, 10, 3)).toBe(0)
    expect(moveTarget('ArrowDown', 9, 10, 3)).toBe(9)
    expect(moveTarget('PageUp', 1, 10, 3)).toBe(0)
    expect(moveTarget('PageDown', 8, 10, 3)).toBe(9)
    expect(moveTarget('PageDown', 2, 10, 0)).toBe(3)
    expect(moveTarget('Enter', 5, 10, 3)).toBeNull()
    expect(moveTarget('a', 5, 10, 3)).toBeNull()
    expect(moveTarget('ArrowUp', 0, 0, 3)).toBeNull()
  })
})

describe('afterDeletion', () => {
  it('goes to the next message, to the previous one from the last, and stays on a lone one', () => {
    expect(afterDeletion(0, 3)).toBe(1)
    expect(afterDeletion(1, 3)).toBe(2)
    expect(afterDeletion(2, 3)).toBe(1)
    expect(afterDeletion(0, 1)).toBe(0)
  })
})
