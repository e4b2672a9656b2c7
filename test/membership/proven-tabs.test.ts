import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import type { Meta, PresenceState } from '../../src/presence/index.js'
import { generateSigningKeys, signerFor } from '../../src/identity/index.js'
import type { MemberMeta, MetaVerdict } from '../../src/membership/members.js'
import { admitEntry, recordProven, shownState, type ProvenTab, type ProvenTabs } from '../../src/membership/proven-tabs.js'
import { RoomPresence } from '../../src/membership/room-presence.js'

const signed = (ref: string, counter: number, extra: Partial<MemberMeta> = {}): Meta<MemberMeta> => ({
  name: 'Alice',
  typing: false,
  since: 100,
  publicKey: 'alice-key',
  signature: `sig-${counter}`,
  counter,
  ...extra,
  ref,
})

const stateOf = (entries: [string, Meta<MemberMeta>[]][]): PresenceState<MemberMeta> =>
  new Map(entries.map(([key, metas]) => [key, { metas }]))

/** Verdicts by signature: only those listed verify. */
const verifiedSignatures =
  (...signatures: string[]): MetaVerdict =>
  (_key, meta) =>
    meta.signature !== undefined && signatures.includes(meta.signature) ? 'verified' : 'unverified'

const tabOf = (meta: Meta<MemberMeta>, key = 'alice'): ProvenTab => ({ key, meta: { ...meta, counter: meta.counter ?? 0 } })

describe('recordProven', () => {
  it('records the newest verified state of each tab, and nothing unverified, unsigned or older', () => {
    const verdicts = verifiedSignatures('sig-2', 'sig-3')
    const present = () => true
    const first = recordProven(new Map(), stateOf([['alice', [signed('7:1', 2)]]]), verdicts, present)
    expect(first.get(7)).toEqual({ key: 'alice', meta: signed('7:1', 2) })
    // Older (played back), forged, and unsigned states change nothing: the same ledger comes back.
    expect(recordProven(first, stateOf([['alice', [signed('7:2', 1, { signature: 'sig-2' })]]]), verdicts, present)).toBe(first)
    expect(recordProven(first, stateOf([['alice', [signed('7:3', 9)]]]), verdicts, present)).toBe(first)
    const { publicKey: _k, signature: _s, counter: _c, ...unsigned } = signed('8:1', 0)
    expect(recordProven(first, stateOf([['alice', [unsigned]]]), verdicts, present)).toBe(first)
    const newer = recordProven(first, stateOf([['alice', [signed('7:4', 3)]]]), verdicts, present)
    expect(newer.get(7)?.meta.counter).toBe(3)
    expect(first.get(7)?.meta.counter).toBe(2) // not mutated
  })

  it("records a tab's verified goodbye as its newest state", () => {
    const proven: ProvenTabs = new Map([[7, tabOf(signed('7:1', 2))]])
    const goodbye = signed('7:2', 3, { left: true })
    const present = () => true
    expect(recordProven(proven, stateOf([['alice', [goodbye]]]), verifiedSignatures('sig-3'), present).get(7)?.meta).toEqual(goodbye)
    expect(recordProven(proven, stateOf([['alice', [goodbye]]]), verifiedSignatures(), present)).toBe(proven)
  })

  it('forgets a tab once its awareness state is gone', () => {
    const proven: ProvenTabs = new Map([[7, tabOf(signed('7:1', 2))]])
    expect(
      recordProven(
        proven,
        stateOf([]),
        () => 'verified',
        (client) => client !== 7,
      ).size,
    ).toBe(0)
    expect(
      recordProven(
        proven,
        stateOf([]),
        () => 'verified',
        () => true,
      ),
    ).toBe(proven)
  })
})

describe('shownState', () => {
  const proven: ProvenTabs = new Map([[7, tabOf(signed('7:1', 2))]])

  it("shows a proven tab's newest verified state over a forged, renamed, pending or played-back one", () => {
    const verdicts: MetaVerdict = (_key, meta) => (meta.signature === 'sig-1' || meta.signature === 'sig-2' ? 'verified' : 'unverified')
    for (const current of [
      signed('7:5', 3, { name: 'Mallory' }), // a state that does not verify
      signed('7:5', 1, { typing: true, signature: 'sig-1' }), // an older signed state, played back
    ]) {
      expect(shownState(stateOf([['alice', [current]]]), proven, verdicts)).toEqual(stateOf([['alice', [signed('7:1', 2)]]]))
    }
    expect(shownState(stateOf([['alice', [signed('7:5', 3)]]]), proven, () => 'pending')).toEqual(stateOf([['alice', [signed('7:1', 2)]]]))
  })

  it('shows a newer verified state as it is, other tabs untouched, and a proven tab whose state went missing', () => {
    const other = signed('9:1', 1, { name: 'Bob', publicKey: 'bob-key' })
    const newer = signed('7:5', 3, { typing: true })
    expect(
      shownState(
        stateOf([
          ['alice', [newer]],
          ['bob', [other]],
        ]),
        proven,
        () => 'verified',
      ),
    ).toEqual(
      stateOf([
        ['alice', [newer]],
        ['bob', [other]],
      ]),
    )
    expect(shownState(stateOf([['bob', [other]]]), proven, () => 'verified')).toEqual(
      stateOf([
        ['bob', [other]],
        ['alice', [signed('7:1', 2)]],
      ]),
    )
  })
})

describe('shownState with goodbyes', () => {
  const proven: ProvenTabs = new Map([[7, tabOf(signed('7:1', 2))]])
  const bob = signed('9:1', 1, { name: 'Bob', publicKey: 'bob-key' })
  const goodbye = signed('7:2', 3, { left: true })

  it('shows a tab as before while its goodbye is being checked, or does not verify', () => {
    for (const verdict of ['pending', 'unverified'] as const) {
      const verdicts: MetaVerdict = (_key, meta) => (meta.signature === 'sig-3' ? verdict : 'verified')
      expect(shownState(stateOf([['alice', [goodbye]]]), proven, verdicts)).toEqual(stateOf([['alice', [signed('7:1', 2)]]]))
    }
  })

  it('shows nothing of a tab whose goodbye verified, other tabs untouched', () => {
    const state = stateOf([
      ['alice', [goodbye]],
      ['bob', [bob]],
    ])
    expect(shownState(state, proven, () => 'verified')).toEqual(stateOf([['bob', [bob]]]))
    // Recorded, it keeps the tab out even when its state is missing or played back.
    const left: ProvenTabs = new Map([[7, tabOf(goodbye)]])
    expect(shownState(stateOf([['bob', [bob]]]), left, () => 'verified')).toEqual(stateOf([['bob', [bob]]]))
    expect(shownState(stateOf([['alice', [signed('7:1', 2)]]]), left, () => 'verified')).toEqual(new Map())
  })
})

describe('admitEntry', () => {
  const tab = tabOf(signed('7:1', 2))
  const presence = (meta: Meta<MemberMeta>, key = 'alice') => {
    const { ref: _ref, ...fields } = meta
    return { presence: { key, meta: fields, version: 4 } }
  }
  const entry = (state: unknown, clock = 10) => ({ client: 7, clock, state })
  const known = { clock: 9 }

  it('lets anything through for a tab that proved nothing', () => {
    expect(admitEntry(entry(null), known, undefined)).toBe(true)
    expect(admitEntry(entry({ presence: null }), known, undefined)).toBe(true)
  })

  it("refuses a removal or an emptied state of a proven tab: its leave is this peer's to see", () => {
    expect(admitEntry(entry(null), known, tab)).toBe(false)
    expect(admitEntry(entry(null, 9), known, tab)).toBe(false) // same clock: awareness would still remove it
    expect(admitEntry(entry({ presence: null }), known, tab)).toBe(false)
    expect(admitEntry(entry({}), known, tab)).toBe(false)
    expect(admitEntry(entry({ presence: { key: 'alice', meta: 'garbage', version: 1 } }), known, tab)).toBe(false)
  })

  it('refuses an older or equal counter with other content, another user or another key', () => {
    expect(admitEntry(entry(presence(signed('7:1', 1, { typing: true }))), known, tab)).toBe(false)
    expect(admitEntry(entry(presence(signed('7:1', 2, { name: 'Mallory' }))), known, tab)).toBe(false)
    expect(admitEntry(entry(presence(signed('7:1', 5), 'mallory')), known, tab)).toBe(false)
    expect(admitEntry(entry(presence(signed('7:1', 5, { publicKey: 'mallory-key' }))), known, tab)).toBe(false)
    const { publicKey: _k, signature: _s, counter: _c, ...unsigned } = signed('7:1', 0)
    expect(admitEntry(entry({ presence: { key: 'alice', meta: unsigned, version: 5 } }), known, tab)).toBe(false)
  })

  it('admits a goodbye only with a higher counter, from the same user and key', () => {
    expect(admitEntry(entry(presence(signed('7:1', 3, { left: true }))), known, tab)).toBe(true)
    // The same counter (a state's signature passed off as a goodbye) or an older one: refused.
    expect(admitEntry(entry(presence(signed('7:1', 2, { left: true }))), known, tab)).toBe(false)
    expect(admitEntry(entry(presence(signed('7:1', 1, { left: true }))), known, tab)).toBe(false)
    expect(admitEntry(entry(presence(signed('7:1', 3, { left: true }), 'mallory')), known, tab)).toBe(false)
    expect(admitEntry(entry(presence(signed('7:1', 3, { left: true, publicKey: 'mallory-key' }))), known, tab)).toBe(false)
  })

  it('admits the removal of a tab whose verified goodbye is on record, and nothing older over it', () => {
    const left = tabOf(signed('7:1', 3, { left: true }))
    expect(admitEntry(entry(null), known, left)).toBe(true)
    expect(admitEntry(entry({ presence: null }), known, left)).toBe(true)
    expect(admitEntry(entry(presence(signed('7:1', 2))), known, left)).toBe(false)
    expect(admitEntry(entry(presence(signed('7:1', 3, { left: true }))), known, left)).toBe(true) // its renewal
  })

  it('admits a renewal of the same signed state, a higher counter, and entries awareness ignores anyway', () => {
    expect(admitEntry(entry(presence(signed('7:1', 2))), known, tab)).toBe(true)
    expect(admitEntry(entry(presence(signed('7:1', 3, { typing: true }))), known, tab)).toBe(true)
    expect(admitEntry(entry(null, 8), known, tab)).toBe(true)
    expect(admitEntry(entry({ presence: null }, 9), known, tab)).toBe(true)
  })
})

/** An awareness update with one entry, as a hostile peer may write it for any client. */
function forgedUpdate(client: number, clock: number, state: unknown): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1)
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, clock)
  encoding.writeVarString(encoder, JSON.stringify(state))
  return encoding.toUint8Array(encoder)
}

describe('a room presence with real signatures', () => {
  it("keeps a proven tab from being renamed, played back over or removed by another peer's updates", async () => {
    const TOPIC = 'parley-v1-proven'
    const signer = await signerFor(await generateSigningKeys())
    const aliceAwareness = new Awareness(new Y.Doc())
    const bobAwareness = new Awareness(new Y.Doc())
    const alice = new RoomPresence(aliceAwareness, TOPIC)
    const bob = new RoomPresence(bobAwareness, TOPIC)
    const aliceID = aliceAwareness.clientID
    /** What the transport does with an update from a peer: ask the screen, then apply. */
    const deliver = (update: Uint8Array): boolean => {
      const decoded = new Awareness(new Y.Doc())
      applyAwarenessUpdate(decoded, update, 'decode')
      const entries = [...decoded.meta].map(([client, { clock }]) => ({ client, clock, state: decoded.getStates().get(client) ?? null }))
      if (!bob.screenAwareness(entries)) return false
      applyAwarenessUpdate(bobAwareness, update, 'network')
      return true
    }
    const states: unknown[] = []
    aliceAwareness.on('update', ({ added, updated }: { added: number[]; updated: number[] }) => {
      if (added.concat(updated).includes(aliceID)) {
        states.push(aliceAwareness.getLocalState())
        deliver(encodeAwarenessUpdate(aliceAwareness, [aliceID]))
      }
    })
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      const members = () => bob.view.members.map((m) => `${m.name} ${m.verdict}${m.typing ? ' typing' : ''}`)
      await expect.poll(members).toEqual(['Alice verified'])
      alice.input()
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
      const typingState = states.at(-1)
      alice.stopTyping('send')
      await expect.poll(() => bob.view.typingLine).toBe('')
      const clock = () => bobAwareness.meta.get(aliceID)?.clock ?? 0

      // Played back: the older "typing" state, under a newer clock.
      expect(deliver(forgedUpdate(aliceID, clock() + 1, typingState))).toBe(false)
      // Renamed: the current state with another name; removed: a null state, or an emptied one.
      const current = aliceAwareness.getLocalState() as { presence: { meta: MemberMeta } }
      const renamed = { presence: { ...current.presence, meta: { ...current.presence.meta, name: 'Mallory' } } }
      expect(deliver(forgedUpdate(aliceID, clock() + 1, renamed))).toBe(false)
      expect(deliver(forgedUpdate(aliceID, clock() + 1, null))).toBe(false)
      expect(deliver(forgedUpdate(aliceID, clock() + 1, { presence: null }))).toBe(false)
      expect(members()).toEqual(['Alice verified'])
      expect(bob.view.typingLine).toBe('')

      // Renamed under a tab of its own: held while checked, then applied as it came, an
      // unverified member apart; Alice untouched.
      expect(deliver(forgedUpdate(aliceID + 1, 1, renamed))).toBe(false)
      await expect.poll(members).toEqual(['Alice verified', 'Mallory unverified'])

      // Alice's own next state still gets through; her leave, seen by this peer, removes her.
      alice.input()
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
      removeAwarenessStates(bobAwareness, [aliceID], 'parley-liveness')
      expect(members()).toEqual(['Mallory unverified'])
    } finally {
      alice.destroy()
      bob.destroy()
    }
  })
})

describe('a signed goodbye with real signatures', () => {
  it('takes a tab out of a peer that knows it only by relay, and cannot be forged or played back over', async () => {
    const TOPIC = 'parley-v1-goodbye'
    const signer = await signerFor(await generateSigningKeys())
    const aliceAwareness = new Awareness(new Y.Doc())
    const bobAwareness = new Awareness(new Y.Doc())
    const alice = new RoomPresence(aliceAwareness, TOPIC)
    const bob = new RoomPresence(bobAwareness, TOPIC)
    const aliceID = aliceAwareness.clientID
    let changes = 0
    bob.onChange(() => changes++)
    /** A relay's delivery to Bob: the screen, then the update, as the transport does. */
    const deliver = (update: Uint8Array): boolean => {
      const decoded = new Awareness(new Y.Doc())
      applyAwarenessUpdate(decoded, update, 'decode')
      const entries = [...decoded.meta].map(([client, { clock }]) => ({ client, clock, state: decoded.getStates().get(client) ?? null }))
      if (!bob.screenAwareness(entries)) return false
      applyAwarenessUpdate(bobAwareness, update, 'network')
      return true
    }
    const clock = () => bobAwareness.meta.get(aliceID)?.clock ?? 0
    const relayAlice = () => deliver(encodeAwarenessUpdate(aliceAwareness, [aliceID]))
    const members = () => bob.view.members.map((m) => `${m.name} ${m.verdict}`)
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      expect(relayAlice()).toBe(false) // her first state: held until it verifies
      await expect.poll(members).toEqual(['Alice verified'])
      const shown = aliceAwareness.getLocalState() as { presence: { key: string; meta: MemberMeta; version: number } }

      // Forged: her shown state marked as a goodbye, with a higher counter. Held, checked, and
      // dropped: Alice stays, and the forger's clock never reached Bob's awareness.
      const forgedMeta = { ...shown.presence.meta, left: true, counter: (shown.presence.meta.counter ?? 0) + 10 }
      const before = changes
      const clockBefore = clock()
      expect(
        deliver(
          forgedUpdate(aliceID, clock() + 1, { presence: { ...shown.presence, meta: forgedMeta, version: shown.presence.version + 10 } }),
        ),
      ).toBe(false)
      await expect.poll(() => bob.forgedStates).toBe(1)
      expect(changes).toBeGreaterThanOrEqual(before + 1) // its settled check
      expect(members()).toEqual(['Alice verified'])
      expect(clock()).toBe(clockBefore)

      // Her own goodbye: she is gone from Bob's list once it verifies, though Bob has no link of his own.
      alice.sayGoodbye()
      expect((aliceAwareness.getLocalState() as typeof shown).presence.meta.left).toBe(true)
      expect(relayAlice()).toBe(false) // held until it verifies
      await expect.poll(members).toEqual([])
      // Nothing older can be played back over it; her removal, relayed, now gets through.
      expect(deliver(forgedUpdate(aliceID, clock() + 1, shown))).toBe(false)
      removeAwarenessStates(aliceAwareness, [aliceID], 'window unload')
      relayAlice() // as it is, or with the clock after Bob's
      expect(bobAwareness.getStates().has(aliceID)).toBe(false)
    } finally {
      alice.destroy()
      bob.destroy()
    }
  })
})

describe('signing presence states', () => {
  it('raises the counter with every state, and publishes only the newest when signatures finish out of order', async () => {
    const real = await signerFor(await generateSigningKeys())
    const held: (() => void)[] = []
    const signatures: Promise<string>[] = []
    // The real key, but each signature is held until the test lets it go.
    const sign = (bytes: Uint8Array<ArrayBuffer>) => {
      const signature = new Promise<void>((go) => held.push(go)).then(() => real.sign(bytes))
      signatures.push(signature)
      return signature
    }
    const signer = { ...real, sign }
    const awareness = new Awareness(new Y.Doc())
    const presence = new RoomPresence(awareness, 'parley-v1-order')
    const published = () => (awareness.getLocalState()?.presence as { meta: MemberMeta } | undefined)?.meta
    // Each state is signed with its goodbye (the next counter): two signatures per state.
    const release = (count: number, newest: boolean) => {
      for (const go of newest ? held.splice(-count) : held.splice(0, count)) go()
    }
    try {
      const joined = presence.join({ userId: real.userId, name: 'Alice', signer })
      release(3, false) // and, once, its word that it answers rumors of its loss
      signatures.shift()
      await joined
      expect(published()).toMatchObject({ counter: 1, typing: false })
      presence.input() // typing: a second state
      presence.stopTyping('send') // and a third
      expect(held).toHaveLength(4)
      release(2, true) // the newest finishes first
      await expect.poll(() => published()?.counter).toBe(5)
      release(2, true) // the older one, late: not published over the newer
      await Promise.all(signatures.slice(2, 4)) // presence reacts to them first, having waited on them first
      expect(published()).toMatchObject({ counter: 5, typing: false })
      await expect.poll(() => presence.view.members.map((m) => m.verdict)).toEqual(['verified'])
      // The goodbye kept is the newest state's, with the counter after it.
      presence.sayGoodbye()
      expect(published()).toMatchObject({ counter: 6, typing: false, left: true })
      await expect.poll(() => presence.view.members).toEqual([])
    } finally {
      presence.destroy()
    }
  })
})
