// Awareness snapshots to presence states, without any awareness instance: the pure half.
// Each test diffs two snapshots the way AwarenessPresence does on every awareness update.

import { describe, expect, it } from 'vitest'
import { presenceStateFromAwareness, readAwarenessEntry } from '../../src/presence/awareness-snapshot.js'
import { anyObjectMeta, PRESENCE_FIELD, presenceRef } from '../../src/presence/presence-field.js'
import { diffStates, isEmptyDiff, syncState, type PresenceState } from '../../src/presence/presence-state.js'

type States = Map<number, unknown>

/** What one tab puts in its awareness state. */
function tab(key: string, meta: Record<string, unknown>, version: number, others: Record<string, unknown> = {}) {
  return { ...others, [PRESENCE_FIELD]: { key, meta, version } }
}

/** The states as a remote peer holds them: re-parsed from JSON, as y-protocols does. */
function overTheWire(states: States): States {
  return new Map([...states].map(([id, state]) => [id, JSON.parse(JSON.stringify(state)) as unknown]))
}

function snapshot(states: States, previous?: PresenceState) {
  return presenceStateFromAwareness(states, anyObjectMeta, previous)
}

/** Applies a new awareness snapshot to `current` like AwarenessPresence does. */
function step(current: PresenceState, states: States) {
  const next = snapshot(states, current).state
  return { diff: diffStates(current, next), state: syncState(current, next) }
}

function twoUsers(): States {
  return new Map<number, unknown>([
    [10, tab('alice', { typing: false }, 1)],
    [20, tab('bob', { typing: false }, 1)],
  ])
}

describe('presenceStateFromAwareness', () => {
  it('keys by presence key, refs by clientID:version, in snapshot order', () => {
    const { state, malformed } = snapshot(twoUsers())

    expect([...state]).toEqual([
      ['alice', { metas: [{ typing: false, ref: presenceRef(10, 1) }] }],
      ['bob', { metas: [{ typing: false, ref: presenceRef(20, 1) }] }],
    ])
    expect(malformed).toBe(0)
  })

  it('a heartbeat renewal (the same states sent again) diffs to nothing', () => {
    const current = snapshot(twoUsers()).state

    const { diff } = step(current, overTheWire(twoUsers()))

    expect(isEmptyDiff(diff)).toBe(true)
  })

  it('a content change is exactly one update diff, with refPrev', () => {
    const current = snapshot(twoUsers()).state
    const states = twoUsers().set(10, tab('alice', { typing: true }, 2))

    const { diff, state } = step(current, states)

    expect([...diff.leaves]).toEqual([['alice', { metas: [{ typing: false, ref: '10:1' }] }]])
    expect([...diff.joins]).toEqual([['alice', { metas: [{ typing: true, ref: '10:2', refPrev: '10:1' }] }]])
    expect(state.get('alice')).toEqual({ metas: [{ typing: true, ref: '10:2', refPrev: '10:1' }] })
  })

  it('a removed client is one leave; its return is one join with one meta', () => {
    const current = snapshot(twoUsers()).state
    const without = twoUsers()
    without.delete(10)

    const removed = step(current, without)
    const returned = step(removed.state, twoUsers())

    expect([...removed.diff.leaves.keys()]).toEqual(['alice'])
    expect(removed.diff.joins.size).toBe(0)
    expect([...returned.diff.joins]).toEqual([['alice', { metas: [{ typing: false, ref: '10:1' }] }]])
    expect(returned.diff.leaves.size).toBe(0)
    expect(returned.state.get('alice')?.metas).toHaveLength(1)
  })

  it('groups two clients with one key; refPrev never crosses clients or keys', () => {
    const states = new Map<number, unknown>([
      [10, tab('alice', { tab: 1 }, 1)],
      [11, tab('alice', { tab: 2 }, 1)],
    ])
    const current = snapshot(states).state
    states.set(11, tab('alice', { tab: 2, typing: true }, 5)).set(10, tab('alice2', { tab: 1 }, 2))

    const next = snapshot(states, current).state

    expect(current.get('alice')?.metas.map((meta) => meta.ref)).toEqual(['10:1', '11:1'])
    expect(next.get('alice')?.metas).toEqual([{ tab: 2, typing: true, ref: '11:5', refPrev: '11:1' }])
    expect(next.get('alice2')?.metas).toEqual([{ tab: 1, ref: '10:2' }])
  })

  it('counts malformed states, skips untracked ones, ignores fields of other libraries', () => {
    const states = new Map<number, unknown>([
      [1, 42],
      [2, null],
      [3, ['presence']],
      [4, { presence: 'alice' }],
      [5, { user: { name: 'y-codemirror user' } }],
      [6, { presence: null }],
      [7, tab('carol', { typing: false }, 0, { cursor: { x: 1 }, user: 'someone else' })],
    ])

    const { state, malformed } = snapshot(states)

    expect(malformed).toBe(4)
    expect([...state]).toEqual([['carol', { metas: [{ typing: false, ref: '7:0' }] }]])
  })

  it('reads only an own presence field, never one inherited from a prototype', () => {
    const inherited = Object.create({ [PRESENCE_FIELD]: { key: 'ghost', meta: {}, version: 1 } }) as object

    expect(readAwarenessEntry(inherited, anyObjectMeta)).toEqual({ kind: 'untracked' })
    expect(readAwarenessEntry(JSON.parse('{"__proto__":{"presence":1}}'), anyObjectMeta)).toEqual({
      kind: 'untracked',
    })
  })

  it('does not mutate the awareness states or the previous state', () => {
    const previous = snapshot(twoUsers()).state
    const previousBefore = structuredClone(previous)
    const states = twoUsers().set(10, tab('alice', { typing: true }, 2))
    const statesBefore = structuredClone(states)

    snapshot(states, previous)

    expect(states).toEqual(statesBefore)
    expect(previous).toEqual(previousBefore)
  })
})
