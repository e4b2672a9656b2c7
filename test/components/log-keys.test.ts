// Which message each key takes the log's focus to: one step, a page, either end, and nothing
// past the ends or for keys that are not moves; and where it goes once a message is deleted.
import { describe, expect, it } from 'vitest'
import { afterDeletion, moveTarget } from '../../src/components/log-keys.js'

/** Where `key` takes the focus from message `index` in a log of 10 messages, 3 to a page. */
const inTen = (key: string, index: number): number | null => moveTarget(key, index, 10, 3)

describe('moveTarget', () => {
  it('moves one message with the arrows, a page with Page Up and Down, to the ends with Home and End', () => {
    expect(inTen('ArrowUp', 5)).toBe(4)
    expect(inTen('ArrowDown', 5)).toBe(6)
    expect(inTen('PageUp', 5)).toBe(2)
    expect(inTen('PageDown', 5)).toBe(8)
    expect(inTen('Home', 5)).toBe(0)
    expect(inTen('End', 5)).toBe(9)
  })

  it('stops at the ends, moves at least one message a page, and ignores other keys and empty logs', () => {
    expect(inTen('ArrowUp', 0)).toBe(0)
    expect(inTen('ArrowDown', 9)).toBe(9)
    expect(inTen('PageUp', 1)).toBe(0)
    expect(inTen('PageDown', 8)).toBe(9)
    expect(moveTarget('PageDown', 2, 10, 0)).toBe(3)
    expect(inTen('Enter', 5)).toBeNull()
    expect(inTen('a', 5)).toBeNull()
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
