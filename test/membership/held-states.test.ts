// Held presence states and the clocks awareness takes for proven tabs: the pure screen, and two
// RoomPresences with real Ed25519 keys facing a peer that forges a far-ahead awareness clock.
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { generateSigningKeys, presenceBytes, signerFor } from '../../src/identity/index.js'
import type { PresenceState } from '../../src/presence/index.js'
import type { MemberMeta, MetaVerdict } from '../../src/membership/members.js'
import {
  CARRIED_GOODBYE_FIELD,
  CARRIED_GOODBYE_GRACE_MS,
  MAX_HELD_PER_CLIENT,
  clockFor,
  encodeAwarenessEntries,
  holdState,
  screenEntry,
  settleHeld,
  withHeldFirstStates,
  type HeldState,
  type HeldStates,
  type ScreenedLink,
} from '../../src/membership/held-states.js'
import type { ProvenTab } from '../../src/membership/proven-tabs.js'
import { RoomPresence } from '../../src/membership/room-presence.js'
import { PRESENCE_CHECK_BURST, PRESENCE_CHECKS_PER_SECOND } from '../../src/membership/check-budget.js'

/** A link as the transport names one (see ScreenedLink): a new one per call, applying with no origin. */
const newLink = (): ScreenedLink => ({ replay: (apply) => apply(null) })

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
  const none = verdicts([])

  it('passes for a tab that proved nothing what cannot be checked, and signed states checked already', () => {
    const { publicKey: _k, signature: _s, counter: _c, ...unsigned } = signed(0)
    expect(screenEntry(entry(unsigned, FAR_AHEAD_CLOCK), known, undefined, none)).toEqual({ kind: 'pass' })
    expect(screenEntry(entry(null, FAR_AHEAD_CLOCK), known, undefined, none)).toEqual({ kind: 'pass' })
    expect(screenEntry(entry(signed(5), FAR_AHEAD_CLOCK), known, undefined, none)).toEqual({ kind: 'pass' }) // failed: as unsigned
    expect(screenEntry(entry(signed(5), 10), known, undefined, verdicts(['sig-5']))).toEqual({ kind: 'pass' })
  })

  it('holds a signed state of a tab that proved nothing while it is checked, or verified if awareness would ignore it', () => {
    for (const clock of [FAR_AHEAD_CLOCK, 10, 3]) {
      const decision = screenEntry(entry(signed(5), clock), known, undefined, verdicts([], ['sig-5']))
      expect(decision).toMatchObject({ kind: 'hold', state: { key: 'alice', meta: { counter: 5, ref: '7:5' } } })
    }
    expect(screenEntry(entry(signed(5), 9), known, undefined, verdicts(['sig-5']))).toMatchObject({ kind: 'hold' })
  })

  it("holds a proven tab's higher counter whatever its clock, with the ref its check needs", () => {
    for (const clock of [FAR_AHEAD_CLOCK, 10, 3]) {
      const decision = screenEntry(entry(signed(3, { typing: true }), clock), known, tab, none)
      expect(decision).toMatchObject({ kind: 'hold', state: { key: 'alice', meta: { counter: 3, typing: true, ref: '7:3' } } })
    }
  })

  it('refuses what admitEntry refuses: removals, older counters, other users and keys', () => {
    expect(screenEntry(entry(null), known, tab, none)).toEqual({ kind: 'refuse' })
    expect(screenEntry(entry(signed(1)), known, tab, none)).toEqual({ kind: 'refuse' })
    expect(screenEntry(entry(signed(3), 10, 'mallory'), known, tab, none)).toEqual({ kind: 'refuse' })
    expect(screenEntry(entry(signed(3, { publicKey: 'mallory-key' })), known, tab, none)).toEqual({ kind: 'refuse' })
  })

  it('passes a renewal with the next clock, refreshes one with an older clock, and gives a far-ahead one the next clock', () => {
    expect(screenEntry(entry(signed(2), 10), known, tab, none)).toEqual({ kind: 'pass' })
    expect(screenEntry(entry(signed(2), 5), known, tab, none)).toEqual({ kind: 'refresh' })
    expect(screenEntry(entry(signed(2, { typing: true }), 5), known, tab, none)).toEqual({ kind: 'pass' }) // ignored by awareness
    expect(screenEntry(entry(signed(2), FAR_AHEAD_CLOCK), known, tab, none)).toEqual({ kind: 'apply', clock: 10 })
    const left = tabOf(signed(3, { left: true }))
    expect(screenEntry(entry(null, FAR_AHEAD_CLOCK), known, left, none)).toEqual({ kind: 'apply', clock: 10 })
  })
})

describe('holdState and settleHeld', () => {
  const held = (counter: number, extra: Partial<MemberMeta> = {}): HeldState => {
    const meta = signed(counter, extra)
    return { entry: entry(meta, FAR_AHEAD_CLOCK), key: 'alice', meta: { ...meta, counter, ref: `7:${counter}` } }
  }
  const link = newLink()
  const holdAll = (...states: HeldState[]): HeldStates =>
    states.reduce<HeldStates>((map, state) => holdState(map, state, link).held, new Map())
  const proven = () => tabOf(signed(2))

  it('holds each state once, up to MAX_HELD_PER_CLIENT per tab and link, without mutating', () => {
    const empty: HeldStates = new Map()
    const one = holdState(empty, held(3), link)
    expect(one.added).toBe(true)
    expect(empty.size).toBe(0)
    expect(holdState(one.held, held(3), newLink())).toEqual({ held: one.held, added: false })
    let map = one.held
    for (let counter = 4; counter < 3 + MAX_HELD_PER_CLIENT; counter++) map = holdState(map, held(counter), link).held
    expect(map.get(7)).toHaveLength(MAX_HELD_PER_CLIENT)
    expect(holdState(map, held(99), link).added).toBe(false)
    // Another link's states still get a slot: a link that floods fills only its own.
    const other = holdState(map, held(99), newLink())
    expect(other.added).toBe(true)
    expect(other.held.get(7)).toHaveLength(MAX_HELD_PER_CLIENT + 1)
  })

  it('applies the newest verified state, drops forged and superseded ones, keeps newer ones being checked', () => {
    const map = holdAll(held(3), held(4, { name: 'Mallory' }), held(5), held(6))
    const settled = settleHeld(map, verdicts(['sig-3', 'sig-5'], ['sig-6']), proven)
    expect(settled.apply.map((state) => state.meta.counter)).toEqual([5])
    expect(settled.forged).toBe(1)
    expect(settled.release).toEqual([])
    expect(settled.held.get(7)?.map((state) => state.meta.counter)).toEqual([6])
    expect(map.get(7)).toHaveLength(4)
  })

  it('waits while every check is pending, and applies nothing no longer newer than the proven state', () => {
    const map = holdAll(held(3))
    expect(settleHeld(map, verdicts([], ['sig-3']), proven).held).toBe(map)
    const stale = settleHeld(map, verdicts(['sig-3']), () => tabOf(signed(3)))
    expect(stale).toEqual({ held: new Map(), apply: [], release: [], forged: 0, wakeAt: null })
    // A tab not proven here (its first state, or its state went meanwhile): a verified state brings it in.
    expect(settleHeld(map, verdicts(['sig-3']), () => undefined).apply).toHaveLength(1)
  })

  it("drops a proven tab's forged state, and releases one of a tab not proven here unless a verified one is applied", () => {
    expect(settleHeld(holdAll(held(9)), verdicts([]), proven)).toEqual({ held: new Map(), apply: [], release: [], forged: 1, wakeAt: null })
    const released = settleHeld(holdAll(held(9)), verdicts([]), () => undefined)
    expect(released.release.map((state) => state.meta.counter)).toEqual([9])
    expect(released.forged).toBe(0)
    const both = settleHeld(holdAll(held(3), held(9)), verdicts(['sig-3']), () => undefined)
    expect(both.apply.map((state) => state.meta.counter)).toEqual([3])
    expect(both).toMatchObject({ release: [], forged: 1 })
  })
})

describe('a goodbye a sibling carried', () => {
  const tab = tabOf(signed(2))
  const HELD_AT = 1_000
  const link = newLink()
  const none = verdicts([])
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
  const holdAll = (...states: HeldState[]): HeldStates =>
    states.reduce<HeldStates>((map, state) => holdState(map, state, link).held, new Map())

  it('is held with the time it was held; the same goodbye from the tab itself, or any other state, is not stamped', () => {
    expect(hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, none, HELD_AT)).carriedAt).toBe(HELD_AT)
    expect(hold(screenEntry(goodbyeEntry(3, false), { clock: 9 }, tab, none, HELD_AT)).carriedAt).toBeUndefined()
    const markedState = {
      ...entry(signed(3)),
      state: { presence: { key: 'alice', meta: signed(3), version: 3, [CARRIED_GOODBYE_FIELD]: true } },
    }
    expect(hold(screenEntry(markedState, { clock: 9 }, tab, none, HELD_AT)).carriedAt).toBeUndefined()
  })

  it('waits, verified, for the grace, then applies without its mark', () => {
    const map = holdAll(hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, none, HELD_AT)))
    const waiting = settleHeld(map, verdicts(['sig-3']), () => tab, HELD_AT + 10)
    expect(waiting).toEqual({ held: map, apply: [], release: [], forged: 0, wakeAt: HELD_AT + CARRIED_GOODBYE_GRACE_MS })
    const settled = settleHeld(map, verdicts(['sig-3']), () => tab, HELD_AT + CARRIED_GOODBYE_GRACE_MS)
    expect(settled.apply).toHaveLength(1)
    expect(settled.apply[0]?.entry.state).toEqual({ presence: { key: 'alice', meta: signed(3, { left: true }), version: 3 } })
    expect(settled.held.size).toBe(0)
  })

  it('gives way to a newer state of the tab that verifies meanwhile, and waits for one being checked', () => {
    const goodbye = hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, none, HELD_AT))
    const back = hold(screenEntry(entry(signed(4)), { clock: 9 }, tab, none, HELD_AT + 50))
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
    const carried = hold(screenEntry(goodbyeEntry(3, true), { clock: 9 }, tab, none, HELD_AT))
    const own = hold(screenEntry(goodbyeEntry(3, false), { clock: 9 }, tab, none, HELD_AT))
    const settled = settleHeld(holdAll(carried, own), verdicts(['sig-3']), () => tab, HELD_AT + 1)
    expect(settled.apply).toEqual([{ ...own, link }])
    expect(settled.held.size).toBe(0)
  })
})

describe('clockFor', () => {
  const at = (clock: number): HeldState => ({
    entry: entry(signed(3), clock),
    key: 'alice',
    meta: { ...signed(3), counter: 3, ref: '7:3' },
  })

  it("gives a proven tab's state the clock after awareness's, never its own", () => {
    expect(clockFor(at(FAR_AHEAD_CLOCK), { clock: 9 }, true)).toBe(10)
    expect(clockFor(at(3), { clock: 9 }, true)).toBe(10)
  })

  it("gives a first state its own clock if awareness would take it, else the one after awareness's", () => {
    expect(clockFor(at(12), { clock: 9 }, false)).toBe(12)
    expect(clockFor(at(12), undefined, false)).toBe(12)
    expect(clockFor(at(3), { clock: FAR_AHEAD_CLOCK }, false)).toBe(FAR_AHEAD_CLOCK + 1)
  })
})

describe('withHeldFirstStates', () => {
  const heldAs = (client: number, counter: number): HeldState => {
    const meta = signed(counter)
    return { entry: { ...entry(meta), client }, key: 'alice', meta: { ...meta, counter, ref: `${client}:${counter}` } }
  }
  const link = newLink()

  it('adds the newest held state of each tab not proven here and absent from the state, without mutating', () => {
    const bob = { ...signed(1, { name: 'Bob', publicKey: 'bob-key' }), ref: '8:1' }
    const state: PresenceState<MemberMeta> = new Map([['bob', { metas: [bob] }]])
    let held: HeldStates = new Map()
    for (const first of [heldAs(7, 3), heldAs(7, 5), heldAs(9, 1), heldAs(8, 2)]) held = holdState(held, first, link).held
    const proven = new Map([[9, tabOf(signed(1))]])
    const shown = withHeldFirstStates(state, held, proven)
    expect(shown.get('alice')?.metas.map((meta) => meta.ref)).toEqual(['7:5'])
    expect(shown.get('bob')?.metas.map((meta) => meta.ref)).toEqual(['8:1']) // shown already: awareness's stays
    expect(state.has('alice')).toBe(false)
    expect(withHeldFirstStates(state, new Map(), proven)).toBe(state)
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
  /** The links Bob hears Alice and a forger over (the objects that stand for them). */
  const alicesLink = newLink()
  const forgersLink = newLink()
  /** What the transport does with an update from a peer (over `link`, the forger's by default): ask the screen, then apply. */
  const deliver = (entries: { client: number; clock: number; state: unknown }[], link: ScreenedLink = forgersLink): boolean => {
    if (!bob.screenAwareness(entries, link)) return false
    applyAwarenessUpdate(bobAwareness, encodeAwarenessEntries(entries), 'network')
    return true
  }
  const aliceState = () => aliceAwareness.getLocalState() as { presence: { key: string; meta: MemberMeta; version: number } }
  /** Alice's state as she sent it, over her own link with her clock, or with `clock` by a hostile relay. */
  const relayAlice = (clock?: number): boolean => {
    const decoded = new Awareness(new Y.Doc())
    applyAwarenessUpdate(decoded, encodeAwarenessUpdate(aliceAwareness, [aliceID]), 'decode')
    const real = decoded.meta.get(aliceID)?.clock ?? 0
    const state = decoded.getStates().get(aliceID) ?? null
    return clock === undefined
      ? deliver([{ client: aliceID, clock: real, state }], alicesLink)
      : deliver([{ client: aliceID, clock, state }])
  }
  const bobClock = () => bobAwareness.meta.get(aliceID)?.clock ?? 0
  const members = () => bob.view.members.map((m) => `${m.name} ${m.verdict}`)
  /** Alice joins, relayed with her clock: Bob shows her once her state verified. */
  const aliceJoins = async () => {
    await alice.join({ userId: signer.userId, name: 'Alice', signer })
    relayAlice()
    await expect.poll(members).toEqual(['Alice verified'])
  }
  /** More forgeries of Alice's state than a tab has slots, under her id with `clock`, other names and higher counters. */
  const forgeries = (clock: number) => {
    const shown = aliceState().presence
    return Array.from({ length: 2 * MAX_HELD_PER_CLIENT }, (_, i) => ({
      client: aliceID,
      clock,
      state: { presence: { ...shown, meta: { ...shown.meta, name: `Mallory ${i}`, counter: 1000 + i }, version: 1000 + i } },
    }))
  }
  /** Alice types, relayed with her clock: Bob sees it, and her alone. */
  const aliceTypes = async () => {
    alice.input()
    await expect.poll(() => aliceState().presence.meta.typing).toBe(true)
    relayAlice()
    await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
    expect(members()).toEqual(['Alice verified'])
  }
  /** Alice types, then leaves: Bob, who has no link to her, drops her once her goodbye verifies. */
  const aliceTypesThenLeaves = async () => {
    await aliceTypes()
    alice.sayGoodbye()
    relayAlice()
    await expect.poll(members).toEqual([])
  }
  const destroy = () => {
    alice.destroy()
    bob.destroy()
  }
  const steps = { aliceJoins, aliceTypes, aliceTypesThenLeaves, forgeries }
  return {
    signer,
    alice,
    bob,
    aliceAwareness,
    bobAwareness,
    aliceID,
    deliver,
    aliceState,
    relayAlice,
    bobClock,
    members,
    destroy,
    ...steps,
  }
}

describe('a forged far-ahead awareness clock, with real signatures', () => {
  it("does not keep Alice's next state nor her goodbye from a peer that knows her by relay", async () => {
    const { bob, aliceAwareness, aliceID, deliver, aliceState, bobClock, aliceJoins, aliceTypesThenLeaves, destroy } =
      await aliceAndBob('parley-v1-awclock')
    try {
      await aliceJoins()

      // The forger: Alice's shown state, renamed, with a higher counter and a clock far ahead.
      const shown = aliceState().presence
      const forged = {
        ...shown,
        meta: { ...shown.meta, name: 'Mallory', counter: (shown.meta.counter ?? 0) + 10 },
        version: shown.version + 10,
      }
      deliver([{ client: aliceID, clock: FAR_AHEAD_CLOCK, state: { presence: forged } }])
      await aliceTypesThenLeaves()
      expect(bobClock()).toBeLessThanOrEqual(aliceAwareness.meta.get(aliceID)?.clock ?? 0)
      expect(bob.forgedStates).toBe(1)
    } finally {
      destroy()
    }
  })

  it("applies Alice's genuine newer state relayed with a far-ahead clock at Bob's next clock, so her later states still count", async () => {
    const { alice, bob, aliceAwareness, bobAwareness, aliceID, relayAlice, aliceState, bobClock, aliceJoins, destroy } =
      await aliceAndBob('parley-v1-awclock-relay')
    try {
      await aliceJoins()

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

describe('a forged far-ahead awareness clock before Bob verified Alice, with real signatures', () => {
  /** What a forger can write under Alice's id knowing only that id: a removal, an unsigned claim, a signed-looking one. */
  const forgeries = (key: string): [string, unknown][] => [
    ['a removal', null],
    ['an unsigned claim', { presence: { key, meta: { name: 'Mallory', typing: false, since: 1 }, version: 50 } }],
    [
      'a signed state that fails its check',
      {
        presence: {
          key,
          meta: { name: 'Mallory', typing: false, since: 1, publicKey: 'AAAA', signature: 'AAAA', counter: 99 },
          version: 50,
        },
      },
    ],
  ]

  it("lets Alice's real states in when a forged entry under her id came first, whatever it was", async () => {
    const { signer, alice, aliceID, deliver, aliceState, relayAlice, members, aliceTypesThenLeaves, destroy } =
      await aliceAndBob('parley-v1-firstclock')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      for (const [what, forged] of forgeries(signer.userId)) {
        // A fresh Bob for each forgery: he has heard nothing of Alice when it arrives.
        const bobAwareness = new Awareness(new Y.Doc())
        const fresh = new RoomPresence(bobAwareness, 'parley-v1-firstclock')
        const send = (entries: { client: number; clock: number; state: unknown }[], link: ScreenedLink) => {
          if (fresh.screenAwareness(entries, link)) applyAwarenessUpdate(bobAwareness, encodeAwarenessEntries(entries), 'network')
        }
        const state = aliceState()
        try {
          send([{ client: aliceID, clock: FAR_AHEAD_CLOCK, state: forged }], newLink())
          send([{ client: aliceID, clock: 5, state }], newLink())
          await expect.poll(() => fresh.view.members.map((m) => `${m.name} ${m.verdict}`), { message: what }).toEqual(['Alice verified'])
        } finally {
          fresh.destroy()
        }
      }

      // And with everything that follows: her typing and her goodbye, relayed with her real clocks.
      deliver([{ client: aliceID, clock: FAR_AHEAD_CLOCK, state: null }])
      relayAlice()
      await expect.poll(members).toEqual(['Alice verified'])
      await aliceTypesThenLeaves()
    } finally {
      destroy()
    }
  })

  it("keeps Alice's first state, still being checked, from being replaced by a forged one with a far-ahead clock", async () => {
    const { signer, alice, aliceID, deliver, aliceState, relayAlice, members, aliceTypes, destroy } =
      await aliceAndBob('parley-v1-firstrace')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      const shown = aliceState().presence
      relayAlice()
      // Before her check settles: her state renamed, with a higher counter and a clock no tab reaches.
      const forged = { ...shown, meta: { ...shown.meta, name: 'Mallory', counter: 99 }, version: 99 }
      deliver([{ client: aliceID, clock: FAR_AHEAD_CLOCK, state: { presence: forged } }])
      await expect.poll(members).toEqual(['Alice verified'])
      await aliceTypes()
    } finally {
      destroy()
    }
  })

  it('shows a first state as being checked while it is held, and a stock peer at once as unverified', async () => {
    const { signer, alice, bob, relayAlice, members, deliver, destroy } = await aliceAndBob('parley-v1-firstshown')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      expect(relayAlice()).toBe(false) // held, not applied as sent
      expect(members()).toEqual(['Alice pending']) // named nowhere on the page: "Checking signature…"
      await expect.poll(members).toEqual(['Alice verified'])
      // A stock y-webrtc peer's own state: unsigned, nothing to check, applied as it came.
      const stock = { presence: { key: 'stock-user', meta: { name: 'Sam', typing: false, since: 1 }, version: 1 } }
      expect(deliver([{ client: 4242, clock: 1, state: stock }])).toBe(true)
      expect(members().sort()).toEqual(['Alice verified', 'Sam unverified'])
      expect(bob.forgedStates).toBe(0)
    } finally {
      destroy()
    }
  })
})

describe('what the screen applies itself, with real signatures', () => {
  it("goes through the link it came over, with the origin the link gives, so it is relayed as that link's", async () => {
    const { signer, alice, bobAwareness, aliceID, aliceState, members, destroy, bob } = await aliceAndBob('parley-v1-replay')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      const origins: unknown[] = []
      bobAwareness.on('update', ({ added }: { added: number[] }, origin: unknown) => {
        if (added.includes(aliceID)) origins.push(origin)
      })
      const alicesLink = { replay: (apply: (origin: unknown) => void) => apply('alice-link') }
      expect(bob.screenAwareness([{ client: aliceID, clock: 1, state: aliceState() }], alicesLink)).toBe(false)
      await expect.poll(members).toEqual(['Alice verified'])
      expect(origins).toEqual(['alice-link'])
    } finally {
      destroy()
    }
  })
})

describe('forgeries filling held slots, with real signatures', () => {
  it("cannot keep out Alice's real next state that comes over another link", async () => {
    const { alice, bob, deliver, aliceState, relayAlice, members, aliceJoins, forgeries, destroy } = await aliceAndBob('parley-v1-slots')
    try {
      await aliceJoins()
      alice.input()
      await expect.poll(() => aliceState().presence.meta.typing).toBe(true)
      // More forgeries than a tab has slots, all being checked when her real state arrives.
      deliver(forgeries(FAR_AHEAD_CLOCK))
      relayAlice()
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
      await expect.poll(() => bob.forgedStates).toBe(MAX_HELD_PER_CLIENT)
      expect(members()).toEqual(['Alice verified'])
    } finally {
      destroy()
    }
  })

  it("cannot keep out Alice's first state either", async () => {
    const { signer, alice, deliver, relayAlice, members, forgeries, destroy } = await aliceAndBob('parley-v1-firstslots')
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      deliver(forgeries(1))
      relayAlice()
      await expect.poll(members).toEqual(['Alice verified'])
    } finally {
      destroy()
    }
  })
})

describe('made-up tabs from one link, with real signatures', () => {
  /** Awareness updates a peer guard lets one link deliver in a burst (peer-guard.ts AWARENESS_BURST). */
  const UPDATES = 60
  /** Made-up tabs per update: a guard counts updates, not their entries. */
  const TABS_PER_UPDATE = 8
  /** Members in an honest room whose whole awareness a joiner gets in one update. */
  const HONEST_ROOM = 100

  it("cost Bob at most the link's budget of signature checks, and Alice, over her own link, is still shown", async () => {
    const { signer, alice, bob, bobAwareness, deliver, relayAlice, members, destroy } = await aliceAndBob('parley-v1-madeup')
    const mallory = await signerFor(await generateSigningKeys())
    // One real signature, of tab 1's first state, under every made-up tab: each one's check fails, but costs a verification.
    const meta = { name: 'Mallory', typing: false, since: 1, counter: 1 }
    const signature = await mallory.sign(presenceBytes('parley-v1-madeup', 1, mallory.userId, mallory.publicKey, meta))
    const state = { presence: { key: mallory.userId, meta: { ...meta, publicKey: mallory.publicKey, signature }, version: 1 } }
    const verify = vi.spyOn(crypto.subtle, 'verify')
    try {
      const started = Date.now()
      for (let update = 0; update < UPDATES; update++) {
        deliver(Array.from({ length: TABS_PER_UPDATE }, (_, i) => ({ client: 1_000_000 + update * TABS_PER_UPDATE + i, clock: 1, state })))
      }
      // The flood took this long to deliver: what the link's budget refilled by meanwhile.
      const seconds = (Date.now() - started) / 1000
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      relayAlice()
      // Once every check Bob started settled, he shows Alice, and the made-up tabs he let in as unverified.
      await expect.poll(() => members().sort(), { timeout: 45_000 }).toEqual(['Alice verified', 'Mallory unverified'])
      // Alice's own check, and the budget's burst plus its rate for the time the flood took.
      expect(verify.mock.calls.length).toBeLessThanOrEqual(1 + PRESENCE_CHECK_BURST + Math.ceil(seconds * PRESENCE_CHECKS_PER_SECOND))
      expect(bobAwareness.getStates().size).toBeLessThanOrEqual(2 + PRESENCE_CHECK_BURST + Math.ceil(seconds * PRESENCE_CHECKS_PER_SECOND))
      expect(bob.checksRefused).toBeGreaterThanOrEqual(UPDATES * TABS_PER_UPDATE - verify.mock.calls.length)
    } finally {
      verify.mockRestore()
      destroy()
    }
  }, 60_000)

  it("leaves an honest joiner's first update alone: a neighbour's whole awareness of 100 members, all checked and shown", async () => {
    const topic = 'parley-v1-joiner'
    const bobAwareness = new Awareness(new Y.Doc())
    const bob = new RoomPresence(bobAwareness, topic)
    const neighbour = new Awareness(new Y.Doc())
    const others: RoomPresence[] = []
    try {
      // 100 members, each a tab of its own; the neighbour's awareness holds them all, as one would after they joined.
      for (let i = 0; i < HONEST_ROOM; i++) {
        const awareness = new Awareness(new Y.Doc())
        const presence = new RoomPresence(awareness, topic)
        others.push(presence)
        const signer = await signerFor(await generateSigningKeys())
        await presence.join({ userId: signer.userId, name: `Member ${i}`, signer })
        applyAwarenessUpdate(neighbour, encodeAwarenessUpdate(awareness, [awareness.clientID]), 'relay')
      }
      const whole = encodeAwarenessUpdate(neighbour, [...neighbour.getStates().keys()])
      const entries: { client: number; clock: number; state: unknown }[] = []
      const decoded = new Awareness(new Y.Doc())
      applyAwarenessUpdate(decoded, whole, 'decode')
      for (const [client, state] of decoded.getStates()) {
        if (client !== decoded.clientID) entries.push({ client, clock: decoded.meta.get(client)?.clock ?? 0, state })
      }
      expect(bob.screenAwareness(entries)).toBe(false) // held while checked
      await expect
        .poll(() => bob.view.members.filter((member) => member.verdict === 'verified').length, { timeout: 30_000 })
        .toBe(HONEST_ROOM)
      expect(bob.checksRefused).toBe(0)
    } finally {
      for (const presence of others) presence.destroy()
      bob.destroy()
    }
    // 100 key pairs and signatures to make, and 100 checks taking turns: seconds under load (CI timed out at 5 s).
  }, 60_000)
})
