// Phoenix's client presence test matrix (shared/PRESENCE-TESTS.md), one test per row.
// Fixtures are functions, so no test can leak state into another.

import { describe, expect, it, vi } from 'vitest'
import {
  list,
  syncDiff,
  syncState,
  type Meta,
  type Presence,
  type PresenceDiff,
  type PresenceState,
} from '../../src/presence/presence-state.js'
import { PresenceStore } from '../../src/presence/presence-store.js'

type M = { id: number }

function meta(id: number, ref: string, refPrev?: string): Meta<M> {
  return refPrev === undefined ? { id, ref } : { id, ref, refPrev }
}

function state(entries: [string, Meta<M>[]][]): PresenceState<M> {
  return new Map(entries.map(([key, metas]): [string, Presence<M>] => [key, { metas }]))
}

function diff(joins: [string, Meta<M>[]][], leaves: [string, Meta<M>[]][]): PresenceDiff<M> {
  return { joins: state(joins), leaves: state(leaves) }
}

/** Users u1, u2, u3 with one meta each, refs "1", "2", "3". */
function fixtureState(): PresenceState<M> {
  return state([
    ['u1', [meta(1, '1')]],
    ['u2', [meta(2, '2')]],
    ['u3', [meta(3, '3')]],
  ])
}

/** A join of u1 with ref "1.2" and a leave of u2 with ref "2". */
function fixtureDiff(): PresenceDiff<M> {
  return diff([['u1', [meta(1, '1.2')]]], [['u2', [meta(2, '2')]]])
}

/** The state as an ordered list of [key, metas], so toEqual also checks key order. */
function entries(s: PresenceState<M>): [string, Meta<M>[]][] {
  return [...s].map(([key, presence]) => [key, presence.metas])
}

describe('syncState', () => {
  it('syncing an empty state to a new one does not mutate the input and returns the new state', () => {
    const empty = state([])
    const next = fixtureState()
    const nextBefore = structuredClone(next)

    const result = syncState(empty, next)

    expect(empty.size).toBe(0)
    expect(next).toEqual(nextBefore)
    expect(entries(result)).toEqual(entries(fixtureState()))
    expect(result).not.toBe(next)
  })

  it('from {u4} to {u1,u2,u3}: joins with current undefined, leave of u4 with current {metas: []}', () => {
    const current = state([['u4', [meta(4, '4')]]])
    const currentBefore = structuredClone(current)
    const joined: [string, Presence<M> | undefined, Presence<M>][] = []
    const left: [string, Presence<M>, Presence<M>][] = []

    const result = syncState(
      current,
      fixtureState(),
      (key, cur, newPres) => joined.push([key, cur, newPres]),
      (key, cur, leftPres) => left.push([key, cur, leftPres]),
    )

    expect(joined).toEqual([
      ['u1', undefined, { metas: [meta(1, '1')] }],
      ['u2', undefined, { metas: [meta(2, '2')] }],
      ['u3', undefined, { metas: [meta(3, '3')] }],
    ])
    expect(left).toEqual([['u4', { metas: [] }, { metas: [meta(4, '4')] }]])
    expect(entries(result)).toEqual(entries(fixtureState()))
    expect(current).toEqual(currentBefore)
  })

  it('{u3:[3]} to {u3:[3, 3.new]}: exactly one join with only the new meta, no leave', () => {
    const onJoin = vi.fn()
    const onLeave = vi.fn()

    const result = syncState(state([['u3', [meta(3, '3')]]]), state([['u3', [meta(3, '3'), meta(3, '3.new')]]]), onJoin, onLeave)

    expect(onJoin.mock.calls).toEqual([['u3', { metas: [meta(3, '3')] }, { metas: [meta(3, '3.new')] }]])
    expect(onLeave).not.toHaveBeenCalled()
    expect(entries(result)).toEqual([['u3', [meta(3, '3'), meta(3, '3.new')]]])
  })
})

describe('syncDiff', () => {
  it('applying joins to an empty state yields the joins', () => {
    const joins = fixtureDiff().joins

    const result = syncDiff(state([]), { joins, leaves: state([]) })

    expect(entries(result)).toEqual(entries(joins))
  })

  it('fixture state + join u1 "1.2" + leave u2: existing meta first, u2 gone', () => {
    const current = fixtureState()
    const change = fixtureDiff()
    const currentBefore = structuredClone(current)
    const changeBefore = structuredClone(change)

    const result = syncDiff(current, change)

    expect(entries(result)).toEqual([
      ['u1', [meta(1, '1'), meta(1, '1.2')]],
      ['u3', [meta(3, '3')]],
    ])
    expect(current).toEqual(currentBefore)
    expect(change).toEqual(changeBefore)
  })

  it('{u1:[1, 1.2]} with a leave of u1 "1" keeps the key with [1.2]', () => {
    const current = state([['u1', [meta(1, '1'), meta(1, '1.2')]]])

    const result = syncDiff(current, diff([], [['u1', [meta(1, '1')]]]))

    expect(entries(result)).toEqual([['u1', [meta(1, '1.2')]]])
    expect(entries(current)).toEqual([['u1', [meta(1, '1'), meta(1, '1.2')]]])
  })
})

describe('keys', () => {
  it('__proto__, constructor and hasOwnProperty join, list and leave in order, and nothing leaks onto Object.prototype', () => {
    const keys = ['__proto__', 'constructor', 'hasOwnProperty']
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort()
    const joinedKeys: string[] = []
    const leftKeys: string[] = []

    const joinedState = syncState(state([]), state(keys.map((key, i) => [key, [meta(i, `r${i}`)]])), (key) => joinedKeys.push(key))
    const listed = list(joinedState, (key, presence) => [key, presence.metas[0]?.ref])
    const leftState = syncState(joinedState, state([]), undefined, (key) => leftKeys.push(key))

    expect(joinedKeys).toEqual(keys)
    expect(listed).toEqual([
      ['__proto__', 'r0'],
      ['constructor', 'r1'],
      ['hasOwnProperty', 'r2'],
    ])
    expect(leftKeys).toEqual(keys)
    expect(leftState.size).toBe(0)
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore)
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
    expect(Object.prototype.hasOwnProperty).toBeTypeOf('function')
    expect(({} as { metas?: unknown }).metas).toBeUndefined()
  })
})

describe('list', () => {
  it('lists full presences by default, in first-join order', () => {
    let s = syncState(state([]), state([['u3', [meta(3, '3')]]]))
    s = syncState(
      s,
      state([
        ['u3', [meta(3, '3')]],
        ['u1', [meta(1, '1')]],
      ]),
    )
    s = syncDiff(
      s,
      diff(
        [
          ['u2', [meta(2, '2')]],
          ['u3', [meta(3, '3.2')]],
        ],
        [],
      ),
    )

    expect(list(s)).toEqual([{ metas: [meta(3, '3'), meta(3, '3.2')] }, { metas: [meta(1, '1')] }, { metas: [meta(2, '2')] }])
  })

  it('maps every presence through a chooser taking the first meta', () => {
    const s = state([
      ['u1', [meta(1, '1'), meta(1, '1.2')]],
      ['u2', [meta(2, '2')]],
    ])

    const firsts = list(s, (key, { metas: [first] }) => ({ key, first }))

    expect(firsts).toEqual([
      { key: 'u1', first: meta(1, '1') },
      { key: 'u2', first: meta(2, '2') },
    ])
  })
})

describe('update', () => {
  it('leave(u2 "2") + join(u2 "2.2", refPrev "2") replaces the meta and u2 never disappears', () => {
    const oldMeta = meta(2, '2')
    const newMeta = meta(2, '2.2', '2')
    const events: string[] = []
    const onJoin = vi.fn((key: string, current: Presence<M> | undefined) => {
      events.push(`join ${key}`)
      expect(current).toBeDefined()
    })
    const onLeave = vi.fn((key: string, current: Presence<M>) => {
      events.push(`leave ${key}`)
      expect(current.metas.length).toBeGreaterThan(0)
    })

    const result = syncDiff(fixtureState(), diff([['u2', [newMeta]]], [['u2', [oldMeta]]]), onJoin, onLeave)

    expect(list(result, (key, presence) => [key, presence.metas])).toEqual([
      ['u1', [meta(1, '1')]],
      ['u2', [newMeta]],
      ['u3', [meta(3, '3')]],
    ])
    expect(onJoin.mock.calls).toEqual([['u2', { metas: [oldMeta] }, { metas: [newMeta] }]])
    expect(onLeave.mock.calls).toEqual([['u2', { metas: [newMeta] }, { metas: [oldMeta] }]])
    expect(events).toEqual(['join u2', 'leave u2'])
  })
})

describe('idempotence', () => {
  it('a join of a ref already present replaces that meta instead of duplicating it', () => {
    const current = state([['u1', [meta(1, '1'), meta(1, '1.2')]]])
    const replacement = { id: 100, ref: '1' }

    const result = syncDiff(current, diff([['u1', [replacement]]], []))

    expect(entries(result)).toEqual([['u1', [meta(1, '1.2'), replacement]]])
    expect(syncDiff(result, diff([['u1', [replacement]]], []))).toEqual(result)
  })
})

describe('unknown', () => {
  it('a leave of an unknown ref on a known key changes nothing; a leave of an unknown key fires nothing', () => {
    const current = fixtureState()
    const onLeave = vi.fn()

    const unknownRef = syncDiff(current, diff([], [['u1', [meta(1, 'nope')]]]), undefined, onLeave)

    // Phoenix still reports the leave for a known key; the state must be untouched.
    expect(entries(unknownRef)).toEqual(entries(fixtureState()))
    expect(onLeave.mock.calls).toEqual([['u1', { metas: [meta(1, '1')] }, { metas: [meta(1, 'nope')] }]])

    onLeave.mockClear()
    const onJoin = vi.fn()
    const unknownKey = syncDiff(current, diff([], [['u9', [meta(9, '9')]]]), onJoin, onLeave)

    expect(entries(unknownKey)).toEqual(entries(fixtureState()))
    expect(onJoin).not.toHaveBeenCalled()
    expect(onLeave).not.toHaveBeenCalled()
  })
})

describe('onSync', () => {
  it('fires once per applied state and once per applied diff', () => {
    const store = new PresenceStore<M>()
    const onSync = vi.fn()
    store.onSync(onSync)

    store.applyState(fixtureState())
    expect(onSync).toHaveBeenCalledTimes(1)

    store.applyDiff(fixtureDiff())
    expect(onSync).toHaveBeenCalledTimes(2)

    store.applyState(store.state)
    expect(onSync).toHaveBeenCalledTimes(3)
    expect(entries(store.state)).toEqual([
      ['u1', [meta(1, '1'), meta(1, '1.2')]],
      ['u3', [meta(3, '3')]],
    ])
  })
})
