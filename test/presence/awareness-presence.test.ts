// AwarenessPresence against real y-protocols awareness instances wired in memory.
// No timers: timeouts are simulated with removeAwarenessStates, as the awareness check interval would.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { applyAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { AwarenessPresence, createPresence } from '../../src/presence/awareness-presence.js'
import { isPlainObject, PRESENCE_FIELD, presenceRef, type MetaGuard } from '../../src/presence/presence-field.js'
import type { Presence, PresenceDiff } from '../../src/presence/presence-state.js'
import { TYPING_IDLE, typingOnInput, typingOnSend, typingTick, TYPING_TIMEOUT_MS } from '../../src/presence/typing.js'
import { createAwarenessMesh, rawAwarenessUpdate, WIRE_ORIGIN, type AwarenessMesh, type Peer } from './awareness-mesh.js'

type ChatMeta = { name: string; typing: boolean }

const parseChatMeta: MetaGuard<ChatMeta> = (value) =>
  isPlainObject(value) && typeof value.name === 'string' && typeof value.typing === 'boolean'
    ? { name: value.name, typing: value.typing }
    : undefined

let mesh: AwarenessMesh | undefined

afterEach(() => {
  mesh?.destroy()
  mesh = undefined
})

function setup(count: number): { peers: Peer[]; presences: AwarenessPresence<ChatMeta>[] } {
  mesh = createAwarenessMesh(count)
  const presences = mesh.peers.map((peer) => new AwarenessPresence(peer.awareness, { parseMeta: parseChatMeta }))
  return { peers: mesh.peers, presences }
}

function refs(presence: Presence<ChatMeta> | undefined): string[] | undefined {
  return presence?.metas.map((meta) => meta.ref)
}

/** Every event a presence fires, with metas reduced to refs. */
function record(presence: AwarenessPresence<ChatMeta>) {
  const joins: [string, string[] | undefined, string[] | undefined][] = []
  const leaves: [string, string[] | undefined, string[] | undefined][] = []
  const diffs: PresenceDiff<ChatMeta>[] = []
  let syncs = 0
  presence.onJoin((key, current, joined) => joins.push([key, refs(current), refs(joined)]))
  presence.onLeave((key, current, left) => leaves.push([key, refs(current), refs(left)]))
  presence.onDiff((diff) => diffs.push(diff))
  presence.onSync(() => (syncs += 1))
  return {
    joins,
    leaves,
    diffs,
    get syncs() {
      return syncs
    },
  }
}

const alice: ChatMeta = { name: 'Alice', typing: false }

describe('AwarenessPresence', () => {
  it('a track is one join on every peer, including oneself', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const seenByA = record(a)
    const seenByB = record(b)

    const ref = a.track('alice', alice)

    expect(ref).toBe(presenceRef(peers[0]!.awareness.clientID, 1))
    expect(a.ref).toBe(ref)
    expect(seenByB.joins).toEqual([['alice', undefined, [ref]]])
    expect(seenByA.joins).toEqual([['alice', undefined, [ref]]])
    expect(seenByB.leaves).toEqual([])
    expect(b.list()).toEqual([{ metas: [{ name: 'Alice', typing: false, ref }] }])
    expect(b.getByKey('alice')).toEqual({ metas: [{ name: 'Alice', typing: false, ref }] })
  })

  it('an update is one diff: the old ref leaves, the new ref joins with refPrev, the key never disappears', () => {
    const { presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const oldRef = a.track('alice', alice)
    const seenByB = record(b)
    const keyPresentInCallbacks: boolean[] = []
    b.onJoin(() => keyPresentInCallbacks.push(b.getByKey('alice') !== undefined))
    b.onLeave((_key, current) => keyPresentInCallbacks.push(current.metas.length > 0))

    const newRef = a.update((prev) => ({ name: `${prev.name} Liddell` }))

    expect(newRef).not.toBe(oldRef)
    expect(seenByB.diffs).toHaveLength(1)
    const [diff] = seenByB.diffs
    expect([...diff!.leaves]).toEqual([['alice', { metas: [{ ...alice, ref: oldRef }] }]])
    expect([...diff!.joins]).toEqual([['alice', { metas: [{ name: 'Alice Liddell', typing: false, ref: newRef, refPrev: oldRef }] }]])
    expect(seenByB.syncs).toBe(1)
    expect(keyPresentInCallbacks).toEqual([true, true])
    expect(b.getByKey('alice')).toEqual({
      metas: [{ name: 'Alice Liddell', typing: false, ref: newRef, refPrev: oldRef }],
    })
  })

  it('an update without a content change keeps the ref and sends nothing', () => {
    const { presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const ref = a.track('alice', alice)
    const seenByB = record(b)

    expect(a.update({ ...alice })).toBe(ref)
    expect(a.update(() => ({ typing: false }))).toBe(ref)
    expect(a.track('alice', alice)).toBe(ref)

    expect(seenByB.diffs).toEqual([])
    expect(seenByB.syncs).toBe(0)
  })

  it('a typing burst is two updates: one typing:true, then one typing:false', () => {
    const { presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    a.track('alice', alice)
    const seenByB = record(b)
    const typingSeenByB: boolean[] = []
    b.onJoin((_key, _current, joined) => typingSeenByB.push(...joined.metas.map((meta) => meta.typing)))
    let typing = TYPING_IDLE
    const step = (next: { state: typeof typing; changed: boolean }): void => {
      typing = next.state
      if (next.changed) a.update(() => ({ typing: next.state.typing }))
    }

    for (const now of [0, 100, 200, 300, 400]) step(typingOnInput(typing, now))
    step(typingTick(typing, 400 + TYPING_TIMEOUT_MS - 1))
    step(typingOnSend(typing))
    step(typingOnSend(typing))

    expect(typingSeenByB).toEqual([true, false])
    expect(seenByB.diffs).toHaveLength(2)
  })

  it('untrack is one leave on every peer and keeps the other fields of the awareness state', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    peers[0]!.awareness.setLocalStateField('cursor', { index: 3 })
    const ref = a.track('alice', alice)
    const seenByB = record(b)

    a.untrack()
    a.untrack()

    expect(seenByB.leaves).toEqual([['alice', [], [ref]]])
    expect(seenByB.joins).toEqual([])
    expect(b.list()).toEqual([])
    expect(a.ref).toBeUndefined()
    expect(peers[0]!.awareness.getLocalState()).toEqual({ cursor: { index: 3 }, [PRESENCE_FIELD]: null })
  })

  it('a removed client (timeout) is one leave', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const ref = a.track('alice', alice)
    const seenByB = record(b)
    mesh!.isolate(peers[0]!)

    removeAwarenessStates(peers[1]!.awareness, [peers[0]!.awareness.clientID], 'timeout')

    expect(seenByB.leaves).toEqual([['alice', [], [ref]]])
    expect(seenByB.diffs).toHaveLength(1)
    expect(b.getByKey('alice')).toBeUndefined()
  })

  it('a client that returns after removal is one join with one meta, though y-protocols calls it "updated"', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const ref = a.track('alice', alice)
    const aID = peers[0]!.awareness.clientID
    mesh!.isolate(peers[0]!)
    removeAwarenessStates(peers[1]!.awareness, [aID], 'timeout')
    const seenByB = record(b)
    const reportedByAwareness: { added: number[]; updated: number[] }[] = []
    peers[1]!.awareness.on('change', ({ added, updated }: { added: number[]; updated: number[] }) =>
      reportedByAwareness.push({ added, updated }),
    )

    // Re-sending the state with the same clock is ignored by y-protocols; the next renewal bumps it.
    mesh!.reconnect(peers[0]!)
    expect(b.getByKey('alice')).toBeUndefined()
    peers[0]!.awareness.setLocalState(peers[0]!.awareness.getLocalState())

    expect(reportedByAwareness).toEqual([{ added: [], updated: [aID] }])
    expect(seenByB.joins).toEqual([['alice', undefined, [ref]]])
    expect(seenByB.leaves).toEqual([])
    expect(b.getByKey('alice')?.metas).toHaveLength(1)
    expect(a.list()).toHaveLength(1)
  })

  it('a peer timing this tab out is no leave for this tab itself, and the peer sees it return at once', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const aID = peers[0]!.awareness.clientID
    const ref = a.track('alice', alice)
    const seenByA = record(a)
    const removedReportedToA: number[][] = []
    peers[0]!.awareness.on('change', ({ removed }: { removed: number[] }) => removedReportedToA.push(removed))

    removeAwarenessStates(peers[1]!.awareness, [aID], 'timeout')

    expect(removedReportedToA).toContainEqual([aID])
    expect(seenByA.leaves).toEqual([])
    expect(seenByA.joins).toEqual([])
    expect(refs(a.getByKey('alice'))).toEqual([ref])
    expect(refs(b.getByKey('alice'))).toEqual([ref])
  })

  it('a heartbeat renewal without a content change produces no diff', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    a.track('alice', alice)
    const seenByA = record(a)
    const seenByB = record(b)
    let updatesAtB = 0
    peers[1]!.awareness.on('update', () => (updatesAtB += 1))

    // What the awareness check interval does every 15 s.
    peers[0]!.awareness.setLocalState(peers[0]!.awareness.getLocalState())

    expect(updatesAtB).toBe(1)
    expect(seenByB.diffs).toEqual([])
    expect(seenByB.syncs).toBe(0)
    expect(seenByA.diffs).toEqual([])
  })

  it('two tabs of one user are one key with two metas', () => {
    const { peers, presences } = setup(3)
    const [tab1, tab2, observer] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const ref1 = tab1.track('alice', alice)
    const ref2 = tab2.track('alice', { ...alice, typing: true })
    const seen = record(observer)

    tab1.untrack()

    expect(seen.leaves).toEqual([['alice', [ref2], [ref1]]])
    expect(refs(observer.getByKey('alice'))).toEqual([ref2])
    tab1.track('alice', alice)
    const ref1Again = tab1.ref
    expect(ref1Again).toBe(presenceRef(peers[0]!.awareness.clientID, 2))
    expect(observer.list((key, presence) => [key, refs(presence)])).toEqual([['alice', [ref2, ref1Again]]])
  })

  it('skips malformed remote awareness states without throwing, and ignores other fields', () => {
    const { peers, presences } = setup(2)
    const b = presences[1]!
    const hostile = [
      '42',
      '"text"',
      '[1,2]',
      '{"presence":5}',
      '{"presence":{"key":"","meta":{"name":"x","typing":false},"version":1}}',
      '{"presence":{"key":"k","meta":[],"version":1}}',
      '{"presence":{"key":"k","meta":{"name":"x","typing":false},"version":-1}}',
      '{"presence":{"key":"k","meta":{"name":"x","typing":false},"version":1.5}}',
      '{"presence":{"key":"k","meta":{"name":"x","typing":"yes"},"version":1}}',
      '{"presence":{"key":"k","meta":{"name":"x","typing":false,"ref":"1:1"},"version":1}}',
    ]
    const benign = [
      '{"user":{"name":"from another library"}}',
      '{"presence":null,"cursor":1}',
      '{"presence":{"key":"carol","meta":{"name":"Carol","typing":false},"version":3},"cursor":{"x":1}}',
    ]
    const update = rawAwarenessUpdate([...hostile, ...benign].map((json, i) => ({ clientID: 9000 + i, clock: 1, json })))

    expect(() => applyAwarenessUpdate(peers[1]!.awareness, update, WIRE_ORIGIN)).not.toThrow()

    expect(b.malformed).toBe(hostile.length)
    expect(b.list((key, presence) => [key, refs(presence)])).toEqual([['carol', [presenceRef(9000 + hostile.length + 2, 3)]]])
    expect(b.getByKey('carol')?.metas[0]).toEqual({
      name: 'Carol',
      typing: false,
      ref: presenceRef(9000 + hostile.length + 2, 3),
    })
  })

  it('__proto__ works as a key and nothing leaks onto Object.prototype', () => {
    const { presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const seenByB = record(b)

    const ref = a.track('__proto__', alice)
    expect(b.list((key) => key)).toEqual(['__proto__'])
    expect(refs(b.getByKey('__proto__'))).toEqual([ref])
    expect(({} as { metas?: unknown }).metas).toBeUndefined()
    a.untrack()

    expect(seenByB.joins).toEqual([['__proto__', undefined, [ref]]])
    expect(seenByB.leaves).toEqual([['__proto__', [], [ref]]])
    expect(b.getByKey('__proto__')).toBeUndefined()
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  })

  it('many listeners are called, and each unsubscribe function removes only its own', () => {
    const { presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const calls: string[] = []
    const offJoin = b.onJoin(() => calls.push('join'))
    const offLeave = b.onLeave(() => calls.push('leave'))
    const offSync = b.onSync(() => calls.push('sync'))
    const offDiff = b.onDiff(() => calls.push('diff'))
    const stays = vi.fn()
    b.onSync(stays)
    b.onSync(stays)

    a.track('alice', alice)
    expect(calls).toEqual(['join', 'diff', 'sync'])
    expect(stays).toHaveBeenCalledTimes(2)

    for (const off of [offJoin, offLeave, offSync, offDiff]) {
      off()
      off()
    }
    a.update({ ...alice, typing: true })
    a.untrack()

    expect(calls).toEqual(['join', 'diff', 'sync'])
    expect(stays).toHaveBeenCalledTimes(6)
  })

  it('reassert() restores the state y-webrtc removed on disconnect, once, with the same ref', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const ref = a.track('alice', alice)
    const seenByB = record(b)

    removeAwarenessStates(peers[0]!.awareness, [peers[0]!.awareness.clientID], 'disconnect')
    expect(peers[0]!.awareness.getLocalState()).toBeNull()
    expect(seenByB.leaves).toEqual([['alice', [], [ref]]])

    expect(a.reassert()).toBe(true)
    expect(a.reassert()).toBe(false)

    expect(seenByB.joins).toEqual([['alice', undefined, [ref]]])
    expect(refs(b.getByKey('alice'))).toEqual([ref])
  })

  it('re-asserts by itself when another writer drops the field or removes the state for no leave', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const local = peers[0]!.awareness
    const ref = a.track('alice', alice)
    const seenByA = record(a)

    local.setLocalState({ user: 'overwritten by another library' })
    expect(local.getLocalState()).toMatchObject({ user: 'overwritten by another library', [PRESENCE_FIELD]: { key: 'alice' } })

    removeAwarenessStates(local, [local.clientID], 'some other origin')
    expect(local.getLocalState()).toMatchObject({ [PRESENCE_FIELD]: { key: 'alice' } })

    expect(seenByA.leaves).toEqual([])
    expect(refs(a.getByKey('alice'))).toEqual([ref])
    expect(refs(b.getByKey('alice'))).toEqual([ref])
  })

  it('re-asserts above the version another writer put in its field, so its next meta is never taken for that one', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const local = peers[0]!.awareness
    const client = local.clientID
    a.track('alice', alice)
    // Another tab writes this tab's field at the next version (as a sibling publishes its goodbye),
    // and it reaches this tab through a peer.
    const written = { key: 'alice', meta: { name: 'Gone', typing: false }, version: 2 }
    const clock = (local.meta.get(client)?.clock ?? 0) + 1
    applyAwarenessUpdate(
      peers[1]!.awareness,
      rawAwarenessUpdate([{ clientID: client, clock, json: JSON.stringify({ [PRESENCE_FIELD]: written }) }]),
      WIRE_ORIGIN,
    )

    expect(b.getByKey('alice')?.metas).toMatchObject([alice])
    const next = a.track('alice', { name: 'Alice', typing: true })
    expect(next).not.toBe(presenceRef(client, written.version))
    expect(b.getByKey('alice')?.metas).toMatchObject([{ name: 'Alice', typing: true, ref: next }])

    // A version far ahead (versions are not signed) is re-asserted over, never raced.
    const far = { ...written, version: Number.MAX_SAFE_INTEGER }
    const later = (local.meta.get(client)?.clock ?? 0) + 1
    applyAwarenessUpdate(
      peers[1]!.awareness,
      rawAwarenessUpdate([{ clientID: client, clock: later, json: JSON.stringify({ [PRESENCE_FIELD]: far }) }]),
      WIRE_ORIGIN,
    )
    expect(b.getByKey('alice')?.metas).toMatchObject([{ name: 'Alice', typing: true, ref: next }])
    expect(a.track('alice', alice)).not.toBe(next)
  })

  it('does not re-assert after a leave: setLocalState(null) or y-webrtc unload', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const local = peers[0]!.awareness
    a.track('alice', alice)

    removeAwarenessStates(local, [local.clientID], 'window unload')
    expect(local.getLocalState()).toBeNull()
    expect(b.getByKey('alice')).toBeUndefined()

    a.reassert()
    local.setLocalState(null)
    expect(local.getLocalState()).toBeNull()
    expect(b.getByKey('alice')).toBeUndefined()
  })

  it('destroy() leaves, drops listeners and stops observing; a destroyed awareness detaches quietly', () => {
    const { peers, presences } = setup(2)
    const [a, b] = presences as [AwarenessPresence<ChatMeta>, AwarenessPresence<ChatMeta>]
    const ref = a.track('alice', alice)
    const seenByA = record(a)
    const seenByB = record(b)

    a.destroy()
    a.destroy()
    peers[0]!.awareness.setLocalStateField('presence', { key: 'x', meta: alice, version: 9 })

    expect(seenByB.leaves[0]).toEqual(['alice', [], [ref]])
    expect(seenByA.leaves).toEqual([['alice', [], [ref]]])
    expect(seenByA.joins).toEqual([])
    expect(() => a.track('alice', alice)).toThrow()

    b.track('bob', { name: 'Bob', typing: false })
    peers[1]!.doc.destroy()
    expect(peers[1]!.awareness.getLocalState()).toBeNull()
    expect(b.reassert()).toBe(false)
  })

  it('rejects an invalid local key or meta', () => {
    const { presences } = setup(1)
    const a = presences[0]!

    expect(() => a.track('', alice)).toThrow(TypeError)
    expect(() => a.track('alice', { name: 'Alice' } as ChatMeta)).toThrow(TypeError)
    expect(() => a.update(alice)).toThrow()
    expect(a.list()).toEqual([])
  })

  it('createPresence() without a guard accepts any plain-object meta', () => {
    mesh = createAwarenessMesh(2)
    const [pa, pb] = mesh.peers as [Peer, Peer]
    const a = createPresence(pa.awareness)
    const b = createPresence(pb.awareness)

    const ref = a.track('alice', { status: 'away', devices: ['laptop'] })

    expect(b.getByKey('alice')).toEqual({ metas: [{ status: 'away', devices: ['laptop'], ref }] })
  })
})
