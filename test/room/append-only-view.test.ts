// The room's fixed views of its growing message list: what a view shows never changes as the list
// grows after it, and it reads as an array does.
import { describe, expect, it } from 'vitest'
import { AppendOnlyView, continuesList } from '../../src/room/append-only-view.js'

describe('AppendOnlyView', () => {
  it('keeps showing the items it was made with as the array grows after it', () => {
    const items = ['a', 'b']
    const view = new AppendOnlyView(items)
    items.push('c')
    expect(view.length).toBe(2)
    expect([...view]).toEqual(['a', 'b'])
    expect(view.at(-1)).toBe('b')
    expect(view.at(2)).toBeUndefined()
    expect(view.slice()).toEqual(['a', 'b'])
    expect(view.findIndex((item) => item >= 'c')).toBe(-1)
    expect([...new AppendOnlyView(items)]).toEqual(['a', 'b', 'c'])
  })

  it('reads as the array of its items does', () => {
    const items = ['a', 'b', 'c', 'd', 'e']
    const view = new AppendOnlyView(items, 4)
    const shown = items.slice(0, 4)
    for (const index of [-5, -4, -1, 0, 3, 4, 10]) expect(view.at(index)).toBe(shown.at(index))
    for (const [start, end] of [
      [undefined, undefined],
      [1, undefined],
      [-2, undefined],
      [1, 3],
      [2, -1],
      [3, 10],
      [-10, 2],
      [3, 1],
    ] as const)
      expect(view.slice(start, end)).toEqual(shown.slice(start, end))
    expect(view.findIndex((item, index) => item === 'c' && index === 2)).toBe(2)
    expect(new AppendOnlyView(items, 9).length).toBe(5)
  })

  it('continues an earlier view of its array, and is not known to continue anything else', () => {
    const items = ['a', 'b']
    const earlier = new AppendOnlyView(items)
    items.push('c')
    const later = new AppendOnlyView(items)
    expect(continuesList(later, earlier)).toBe(true)
    expect(continuesList(later, later)).toBe(true)
    expect(continuesList(earlier, later)).toBe(false)
    expect(continuesList(later, new AppendOnlyView(['a', 'b']))).toBe(false)
    expect(continuesList(later, ['a', 'b'])).toBe(false)
    // A plain array may have been changed in place since: not known to continue even itself.
    expect(continuesList(items, items)).toBe(false)
    expect(continuesList(['a', 'b', 'c'], items)).toBe(false)
  })
})
