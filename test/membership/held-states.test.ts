// Held presence states and the clocks awareness takes for proven tabs: the pure screen, and two
// RoomPresences with real Ed25519 keys facing a peer that forges a far-ahead awareness clock.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { generateSigningKeys, signerFor } from '../../src/identity/index.js'
import type { MemberMeta, MetaVerdict } from '../../src/membership/members.js'
import {
  CARRIED_GOODBYE_FIELD,
  CARRIED_GOODBYE_GRACE_MS,
  MAX_HELD_PER_CLIENT,
  encodeAwarenessEntries,
  holdState,
  screenEntry,
  settleHeld,
  type HeldState,
  type HeldStates,
} from '../../src/membership/held-states.js'
import type { ProvenTab } from '../../src/membership/proven-tabs.js'
import { RoomPresence } from '../../src/membership/room-presence.js'

/** A clock no honest tab reaches: what a forger writes to freeze another tab's entries. */
const FAR_AHEAD_CLOCK = 2 ** 40
/** Awareness's outdated timeout (y-protocols' `outdatedTimeout`). */
const OUTDATED_MS = 30_000

const signed = (counter: number, extra: Partial<MemberMeta> = {}): MemberMeta => ({
  name: 'Alice',
  typing: false,
  since: 100,
  publicKey: 'alice-key',
  signature: `sig-${counter}`,
  counter,
  ...extra,
})

const tabOf = (meta: MemberMeta, key = 'alice'): ProvenTab => ({ key, meta: { ...meta, counter: meta.counter ?? 0, ref: '7:4' } })

const entry = (meta: MemberMeta | null, clock = 10, key = 'alice') => ({
  client: 7,
  clock,
  state: meta === null ? null : { presence: { key, meta, version: meta.counter ?? 0 } },
})

/** Verdicts by signature: those listed verify, those in `pending` are being checked, others fail. */
const verdicts =
  (verified: string[], pending: string[] = []): MetaVerdict =>
  (_key, meta) => {
    const signature = meta.signature ?? ''
    if (verified.includes(signature)) return 'verified'
    return pending.includes(signature) ? 'pending' : 'unverified'
  }

describe('screenEntry', () => {
  const tab = tabOf(signed(2))
  const known = { clock: 9 }

  it('passes anything for a tab that proved nothing', () => {
    expect(screenEntry(entry(signed(5), FAR_AHEAD_CLOCK), known, undefined)).toEqual({ kind: 'pass' })
    expect(screenEntry(entry(null, FAR_AHEAD_CLOCK), known, undefined)).toEqual({ kind: 'pass' })
  })

  it("holds a proven tab's higher counter whatever its clock, with the ref its check needs", () => {
    for (const clock of [FAR_AHEAD_CLOCK, 10, 3]) {
      const decision = screenEntry(entry(signed(3, { typing: true }), clock), known, tab)
      expect(decision).toMatchObject({ kind: 'hold', state: { key: 'alice', meta: { counter: 3, typing: true, ref: '7:3' } } })
    }
  })

  it('refuses what admitEntry refuses: removals, older counters, other users and keys', () => {
    expect(screenEntry(entry(null), known, tab)).toEqual({ kind: 'refuse' })
    expect(screenEntry(entry(signed(1)), known, tab)).toEqual({ kind: 'refuse' })
    expect(screenEntry(entry(signed(3), 10, 'mallory'), known, tab)).toEqual({ kind: 'refuse' })
    expect(screenEntry(entry(signed(3, { publicKey: 'mallory-key' })), known, tab)).toEqual({ kind: 'refuse' })
  })

  it('passes a renewal with the next clock, refreshes one with an older clock, and gives a far-ahead one the next clock', () => {
    expect(screenEntry(entry(signed(2), 10), known, tab)).toEqual({ kind: 'pass' })
    expect(screenEntry(entry(signed(2), 5), known, tab)).toEqual({ kind: 'refresh' })
    expect(screenEntry(entry(signed(2, { typing: true }), 5), known, tab)).toEqual({ kind: 'pass' }) // ignored by awareness
    expect(screenEntry(entry(signed(2), FAR_AHEAD_CLOCK), known, tab)).toEqual({ kind: 'apply', clock: 10 })
    const left = tabOf(signed(3, { left: true }))
    expect(screenEntry(entry(null, FAR_AHEAD_CLOCK), known, left)).toEqual({ kind: 'apply', clock: 10 })
  })
})

describe('holdState and settleHeld', () => {
  const held = (counter: number, extra: Partial<MemberMeta> = {}): HeldState => {
    const meta = signed(counter, extra)
    return { entry: entry(meta, FAR_AHEAD_CLOCK), key: 'alice', meta: { ...meta, counter, ref: `7:${counter}` } }
  }
  const holdAll = (...states: HeldState[]): HeldStates => states.reduce<HeldStates>((map, state) => holdState(map, state).held, new Map())

  it('holds each state once, up to MAX_HELD_PER_CLIENT per tab, without mutating', () => {
    const empty: HeldStates = new Map()
    const one = holdState(empty, held(3))
    expect(one.added).toBe(true)
    expect(empty.size).toBe(0)
    expect(holdState(one.held, held(3))).toEqual({ held: one.held, added: false })
    let map = one.held
    for (let counter = 4; counter < 3 + MAX_HELD_PER_CLIENT; counter++) map = holdState(map, held(counter)).held
    expect(map.get(7)).toHaveLength(MAX_HELD_PER_CLIENT)
    expect(holdState(map, held(99)).added).toBe(false)
  })

  it('applies the newest verified state, drops forged and superseded ones, keeps newer ones being checked', () => {
    const map = holdAll(held(3), held(4, { name: 'Mallory' }), held(5), held(6))
    const settled = settleHeld(map, verdicts(['sig-3', 'sig-5'], ['sig-6']), () => tabOf(signed(2)))
    expect(settled.apply.map((state) => state.meta.counter)).toEqual([5])
    expect(settled.forged).toBe(1)
    expect(settled.held.get(7)?.map((state) => state.meta.counter)).toEqual([6])
    expect(map.get(7)).toHaveLength(4)
  })

  it('waits while every check is pending, and applies nothing no longer newer than the proven state', () => {
    const map = holdAll(held(3))
    expect(settleHeld(map, verdicts([], ['sig-3']), () => tabOf(signed(2))).held).toBe(map)
    const stale = settleHeld(map, verdicts(['sig-3']), () => tabOf(signed(3)))
    expect(stale).toEqual({ held: new Map(), apply: [], forged: 0, wakeAt: null })
    // A tab whose awareness state went meanwhile: its verified newer state brings it back.
    expect(settleHeld(map, verdicts(['sig-3']), () => undefined).apply).toHaveLength(1)
  })

  it('drops a forged state on its own', () => {
    expect(settleHeld(holdAll(held(9)), verdicts([]), () => tabOf(signed(2)))).toEqual({
      held: new Map(),
      apply: [],
      forged: 1,
      wakeAt: null,
    })
  })
})

describe('a goodbye a sibling carried', () => {
  const tab = tabOf(signed(2))
  const HELD_AT = 1_000
  /** Alice's entry as a sibling publishes her goodbye (marked carried), or as she sends it herself. */
  const goodbyeEntry = (counter: number, carried: boolean) => {
    const meta = signed(counter, { left: true })
    const field = { key: 'alice', meta, version: counter, ...(carried ? { [CARRIED_GOODBYE_FIELD]: true } : {}) }
    return { client: 7, clock: 10, state: { presence: field } }
  }
  const hold = (decision: ReturnType<typeof screenEntry>): HeldState => {
    if (decision.kind !== 'hold') throw new Error(`not held: ${decision.kind}`)
    return decision.state
  }
  const holdAll = (...states: HeldState[]): HeldStates => states.reduce<HeldStates>((map, state) => holdState(map, state).held, new Map())

  it('is held with the time it was held; the same goodbye from the tab itself, or any other state, is not stamped', () => {
    expect(hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, HELD_AT)).carriedAt).toBe(HELD_AT)
    expect(hold(screenEntry(goodbyeEntry(3, false), { clock: 9 }, tab, HELD_AT)).carriedAt).toBeUndefined()
    const markedState = {
      ...entry(signed(3)),
      state: { presence: { key: 'alice', meta: signed(3), version: 3, [CARRIED_GOODBYE_FIELD]: true } },
    }
    expect(hold(screenEntry(markedState, { clock: 9 }, tab, HELD_AT)).carriedAt).toBeUndefined()
  })

  it('waits, verified, for the grace, then applies without its mark', () => {
    const map = holdAll(hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, HELD_AT)))
    const waiting = settleHeld(map, verdicts(['sig-3']), () => tab, HELD_AT + 10)
    expect(waiting).toEqual({ held: map, apply: [], forged: 0, wakeAt: HELD_AT + CARRIED_GOODBYE_GRACE_MS })
    const settled = settleHeld(map, verdicts(['sig-3']), () => tab, HELD_AT + CARRIED_GOODBYE_GRACE_MS)
    expect(settled.apply).toHaveLength(1)
    expect(settled.apply[0]?.entry.state).toEqual({ presence: { key: 'alice', meta: signed(3, { left: true }), version: 3 } })
    expect(settled.held.size).toBe(0)
  })

  it('gives way to a newer state of the tab that verifies meanwhile, and waits for one being checked', () => {
    const goodbye = hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, HELD_AT))
    const back = hold(screenEntry(entry(signed(4)), { clock: 9 }, tab, HELD_AT + 50))
    const late = HELD_AT + CARRIED_GOODBYE_GRACE_MS + 1
    const checking = settleHeld(holdAll(goodbye, back), verdicts(['sig-3'], ['sig-4']), () => tab, late)
    expect(checking.apply).toEqual([])
    expect(checking.wakeAt).toBeNull()
    const answered = settleHeld(checking.held, verdicts(['sig-3', 'sig-4']), () => tab, late)
    expect(answered.apply.map((state) => state.meta.counter)).toEqual([4])
    expect(answered.held.size).toBe(0)
    // A forged newer state does not hold it back: the goodbye applies once the forgery is dropped.
    const forged = settleHeld(holdAll(goodbye, back), verdicts(['sig-3']), () => tab, late)
    expect(forged).toMatchObject({ forged: 1, apply: [{ meta: { counter: 3, left: true } }] })
  })

  it('applies at once when the tab itself said the same goodbye', () => {
    const carried = hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, HELD_AT))
    const own = hold(screenEntry(goodbyeEntry(3, false), { clock: 9 }, tab, HELD_AT))
    const settled = settleHeld(holdAll(carried, own), verdicts(['sig-3']), () => tab, HELD_AT + 1)
    expect(settled.apply).toEqual([own])
    expect(settled.held.size).toBe(0)
  })
})

describe('encodeAwarenessEntries', () => {
  it('writes an update awareness reads back as written', () => {
    const awareness = new Awareness(new Y.Doc())
    const state = { presence: { key: 'alice', meta: signed(2), version: 2 } }
    applyAwarenessUpdate(awareness, encodeAwarenessEntries([{ client: 7, clock: 12, state }]), 'test')
    expect(awareness.getStates().get(7)).toEqual(state)
    expect(awareness.meta.get(7)?.clock).toBe(12)
  })
})

/** Bob, and Alice's tab as Bob hears it over a relay; a forger writes for her client ID too. */
async function aliceAndBob(topic: string) {
  const signer = await signerFor(await generateSigningKeys())
  const aliceAwareness = new Awareness(new Y.Doc())
  const bobAwareness = new Awareness(new Y.Doc())
  const alice = new RoomPresence(aliceAwareness, topic)
  const bob = new RoomPresence(bobAwareness, topic)
  const aliceID = aliceAwareness.clientID
  /** What the transport does with an update from a peer: ask the screen, then apply. */
  const deliver = (entries: { client: number; clock: number; state: unknown }[]): boolean => {
    if (!bob.screenAwareness(entries)) return false
    applyAwarenessUpdate(bobAwareness, encodeAwarenessEntries(entries), 'network')
    return true
  }
  const aliceState = () => aliceAwareness.getLocalState() as { presence: { key: string; meta: MemberMeta; version: number } }
  /** Alice's state as she sent it, relayed with her clock, or with `clock` by a hostile relay. */
  const relayAlice = (clock?: number): boolean => {
    const decoded = new Awareness(new Y.Doc())
    applyAwarenessUpdate(decoded, encodeAwarenessUpdate(aliceAwareness, [aliceID]), 'decode')
    const real = decoded.meta.get(aliceID)?.clock ?? 0
    return deliver([{ client: aliceID, clock: clock ?? real, state: decoded.getStates().get(aliceID) ?? null }])
  }
  const bobClock = () => bobAwareness.meta.get(aliceID)?.clock ?? 0
  const members = () => bob.view.members.map((m) => `${m.name} ${m.verdict}`)
  const destroy = () => {
    alice.destroy()
    bob.destroy()
  }
  return { signer, alice, bob, aliceAwareness, bobAwareness, aliceID, deliver, aliceState, relayAlice, bobClock, members, destroy }
}

describe('a forged far-ahead awareness clock, with real signatures', () => {
  it("does not keep Alice's next state nor her goodbye from a peer that knows her by relay", async () => {
    const { signer, alice, bob, aliceAwareness, aliceID, deliver, aliceState, relayAlice, bobClock, members, destroy } =
      await aliceAndBob('parley-v1-awclock')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      relayAlice()
      await expect.poll(members).toEqual(['Alice verified'])

      // The forger: Alice's shown state, renamed, with a higher counter and a clock far ahead.
      const shown = aliceState().presence
      const forged = {
        ...shown,
        meta: { ...shown.meta, name: 'Mallory', counter: (shown.meta.counter ?? 0) + 10 },
        version: shown.version + 10,
      }
      deliver([{ client: aliceID, clock: FAR_AHEAD_CLOCK, state: { presence: forged } }])

      // Alice types: Bob sees it.
      alice.input()
      await expect.poll(() => aliceState().presence.meta.typing).toBe(true)
      relayAlice()
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
      expect(members()).toEqual(['Alice verified'])

      // Alice leaves: Bob, who has no link to her, drops her once her goodbye verifies.
      alice.sayGoodbye()
      relayAlice()
      await expect.poll(members).toEqual([])
      expect(bobClock()).toBeLessThanOrEqual(aliceAwareness.meta.get(aliceID)?.clock ?? 0)
      expect(bob.forgedStates).toBe(1)
    } finally {
      destroy()
    }
  })

  it("applies Alice's genuine newer state relayed with a far-ahead clock at Bob's next clock, so her later states still count", async () => {
    const { signer, alice, bob, aliceAwareness, bobAwareness, aliceID, relayAlice, aliceState, bobClock, members, destroy } =
      await aliceAndBob('parley-v1-awclock-relay')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      relayAlice()
      await expect.poll(members).toEqual(['Alice verified'])

      // A hostile relay forwards her genuine next state, with a clock far ahead: held, verified, applied.
      alice.input()
      await expect.poll(() => aliceState().presence.meta.typing).toBe(true)
      const before = bobClock()
      expect(relayAlice(FAR_AHEAD_CLOCK)).toBe(false)
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
      expect(bobClock()).toBe(before + 1)
      // A renewal of it with a far-ahead clock: applied, at the next clock again.
      expect(relayAlice(FAR_AHEAD_CLOCK)).toBe(false)
      expect(bobClock()).toBe(before + 2)

      // Her own next states, with her real clocks, still get through.
      alice.stopTyping('blur')
      await expect.poll(() => aliceState().presence.meta.typing).toBe(false)
      relayAlice()
      await expect.poll(() => bob.view.typingLine).toBe('')
      expect(bob.forgedStates).toBe(0)

      // The replayed renewal put Bob's clock for her above her own: her renewals still count as
      // signs of life, so awareness's outdated timeout does not remove her.
      expect(bobClock()).toBeGreaterThan(aliceAwareness.meta.get(aliceID)?.clock ?? 0)
      const stale = { clock: bobClock(), lastUpdated: Date.now() - OUTDATED_MS }
      bobAwareness.meta.set(aliceID, stale) // as if she had been quiet for that long
      aliceAwareness.setLocalState(aliceAwareness.getLocalState())
      expect(relayAlice()).toBe(true)
      expect(bobAwareness.meta.get(aliceID)?.lastUpdated).toBeGreaterThan(stale.lastUpdated)
      expect(bobClock()).toBe(stale.clock)
    } finally {
      destroy()
    }
  })

  it('drops a forged newer state without ever showing it, and counts it', async () => {
    const { signer, alice, bob, aliceID, deliver, aliceState, bobClock, members, destroy } = await aliceAndBob('parley-v1-awclock-forged')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      const first = aliceState()
      deliver([{ client: aliceID, clock: 1, state: first }])
      await expect.poll(members).toEqual(['Alice verified'])
      const clock = bobClock()
      const seen: string[][] = []
      bob.onChange((view) => seen.push(view.members.map((m) => `${m.name} ${m.verdict}`)))
      const forged = { ...first.presence, meta: { ...first.presence.meta, name: 'Mallory', counter: 99 }, version: 99 }
      expect(deliver([{ client: aliceID, clock: FAR_AHEAD_CLOCK, state: { presence: forged } }])).toBe(false)
      await expect.poll(() => bob.forgedStates).toBe(1)
      expect(bobClock()).toBe(clock)
      expect(seen.flat()).not.toContain('Mallory unverified')
      expect(members()).toEqual(['Alice verified'])
    } finally {
      destroy()
    }
  })
})
