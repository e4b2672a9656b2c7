// A hostile peer against presence, in a room of two browsers: a stock y-webrtc peer in Node that
// plays back Alice's signed state under another name, removes her with a forged empty state,
// forges a newer state of hers under a far-ahead clock (also before Bob has heard of her), and
// claims her key from an unsigned tab. Bob must keep seeing the real Alice, and the impostor marked.
import { describe, expect, it } from 'vitest'
import { nodeRtc } from './history-harness.js'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { WebrtcProvider, type WebrtcConn } from 'y-webrtc'
import type { Page } from 'playwright-core'
import { topicFor } from '../../src/address/index.js'
import { generateSigningKeys, signerFor } from '../../src/identity/index.js'
import { PRESENCE_CHECK_BURST, PRESENCE_CHECKS_PER_SECOND } from '../../src/membership/check-budget.js'
import { Room } from '../../src/room/index.js'
import { joinRoom, roomUrl, shownFingerprints, shownMembers, shownNotices, shownTyping, uniqueRoom, useChatStack } from './harness.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

/** How long to wait for something a peer sent to show, in ms. */
const SHOW_TIMEOUT_MS = 15_000
/** A client ID the hostile peer makes up for a tab of its own. */
const MALLORY_CLIENT = 4_242_001
/** Awareness updates of made-up tabs the hostile peer sends at once: within a peer guard's burst (AWARENESS_BURST, 60). */
const MADE_UP_UPDATES = 50
/** Made-up tabs in each of them: a guard counts updates, not entries. */
const MADE_UP_TABS_PER_UPDATE = 60

const stack = useChatStack(2)

/** A presence field as Parley's awareness states carry it. */
interface PresenceField {
  key: string
  meta: { name: string; typing: boolean; since: number; publicKey?: string; signature?: string; counter?: number }
  version: number
}

/** A stock y-webrtc peer in the room, and the link it holds to each browser. */
interface Hostile {
  provider: WebrtcProvider
  /** The link to Bob: what is sent on it reaches Bob alone, in order. */
  toBob: WebrtcConn
  aliceClient: number
  /** Alice's state as this peer last received it. */
  aliceState: () => { presence: PresenceField }
  close(): void
}

/** Alice joins, then the hostile peer, then Bob (so the peer knows which link is Bob's; `bobInit` runs in his page first). */
async function roomWithHostile(label: string, bobInit?: () => void): Promise<{ a: Page; b: Page; hostile: Hostile }> {
  const room = uniqueRoom(label)
  const url = roomUrl(stack.site.url, stack.signaling.url, room)
  const a = await joinRoom(stack.browsers[0], url, 'Alice')
  const doc = new Y.Doc()
  const provider = new WebrtcProvider(topicFor({ name: room, secret: null }), doc, {
    signaling: [stack.signaling.url],
    peerOpts: { wrtc: nodeRtc, config: { iceServers: [] } },
  })
  const connected = () => [...(provider.room?.webrtcConns.values() ?? [])].filter((conn) => conn.connected)
  const presenceOf = (name: string): [number, { presence: PresenceField }] | undefined =>
    [...provider.awareness.getStates()].find(([, state]) => (state.presence as PresenceField | null | undefined)?.meta.name === name) as
      | [number, { presence: PresenceField }]
      | undefined
  await expect.poll(() => connected().length, { timeout: SHOW_TIMEOUT_MS }).toBe(1)
  const toAlice = connected()[0]
  const b = await joinRoom(stack.browsers[1], url, 'Bob', bobInit)
  await expect.poll(() => connected().length, { timeout: SHOW_TIMEOUT_MS }).toBe(2)
  const toBob = connected().find((conn) => conn !== toAlice) as WebrtcConn
  await expect.poll(() => presenceOf('Alice')?.[1].presence.meta.signature, { timeout: SHOW_TIMEOUT_MS }).toBeDefined()
  await expect.poll(async () => (await shownMembers(b)).sort(), { timeout: SHOW_TIMEOUT_MS }).toEqual(['Alice', 'Bob (you)'])
  const [aliceClient] = presenceOf('Alice') ?? [0]
  return {
    a,
    b,
    hostile: {
      provider,
      toBob,
      aliceClient,
      aliceState: () => provider.awareness.getStates().get(aliceClient) as { presence: PresenceField },
      close() {
        provider.disconnect()
        provider.destroy()
        doc.destroy()
      },
    },
  }
}

/** Sends Bob, and only Bob, an awareness update with one entry, as y-webrtc frames it. */
function sendToBob(hostile: Pick<Hostile, 'toBob'>, client: number, clock: number, state: unknown): void {
  sendEntriesToBob(hostile, [{ client, clock, state }])
}

/** Sends Bob, and only Bob, an awareness update with these entries, as y-webrtc frames it. */
function sendEntriesToBob(hostile: Pick<Hostile, 'toBob'>, entries: readonly { client: number; clock: number; state: unknown }[]): void {
  const update = encoding.createEncoder()
  encoding.writeVarUint(update, entries.length)
  for (const { client, clock, state } of entries) {
    encoding.writeVarUint(update, client)
    encoding.writeVarUint(update, clock)
    encoding.writeVarString(update, JSON.stringify(state))
  }
  const message = encoding.createEncoder()
  encoding.writeVarUint(message, 1) // y-webrtc's awareness message
  encoding.writeVarUint8Array(message, encoding.toUint8Array(update))
  hostile.toBob.peer.send(encoding.toUint8Array(message))
}

/** An awareness clock no tab reaches, as a forger writes it to freeze another tab's entries. */
const FAR_AHEAD_CLOCK = 2 ** 40

/** A clock above any that Alice's tab reaches while the test runs. */
const aheadOf = (hostile: Hostile): number => (hostile.provider.awareness.meta.get(hostile.aliceClient)?.clock ?? 0) + 1000

const sortedMembers = async (page: Page) => (await shownMembers(page)).sort()

/** The page's count of forged presence states it dropped (`<parley-chat>.stats()`). */
const forgedPresence = (page: Page) =>
  page.evaluate(
    () => (document.querySelector('parley-chat') as unknown as { stats(): { forgedPresence: number } | null }).stats()?.forgedPresence,
  )

/** Counts, in the page, the signatures WebCrypto verifies (in `window.parleyVerifications`): an init script. */
function countVerifications(): void {
  const subtle = crypto.subtle
  const verify = subtle.verify.bind(subtle)
  const counted = window as unknown as { parleyVerifications: number }
  counted.parleyVerifications = 0
  subtle.verify = (...args: Parameters<SubtleCrypto['verify']>) => {
    counted.parleyVerifications++
    return verify(...args)
  }
}

/** The signatures the page verified so far (see countVerifications). */
const verifications = (page: Page) => page.evaluate(() => (window as unknown as { parleyVerifications: number }).parleyVerifications)

describe('a hostile peer against presence', () => {
  it("cannot show Alice's signed state under another name as Alice's", async () => {
    const { a, b, hostile } = await roomWithHostile('replay')
    try {
      const alice = hostile.aliceState().presence
      const renamed = { presence: { ...alice, meta: { ...alice.meta, name: 'Mallory' } } }
      // Over Alice's own tab, then under a tab of its own, last on the same ordered link: once
      // Bob shows the second, he has read the first.
      sendToBob(hostile, hostile.aliceClient, aheadOf(hostile), renamed)
      sendToBob(hostile, MALLORY_CLIENT, 1, renamed)
      await expect
        .poll(() => sortedMembers(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 })
        .toEqual(['Alice', 'Bob (you)', '⚠ Mallory (unverified)'].sort())
      // Alice's fingerprint is hers alone: the impostor shows none.
      const fingerprints = await shownFingerprints(b)
      expect(fingerprints.Alice).toMatch(/^[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}$/)
      expect(fingerprints['⚠ Mallory (unverified)']).toBe('')
      // Bob passes on what he applied (y-webrtc relays): the tab of its own, not the forgery.
      await expect
        .poll(() => sortedMembers(a), { timeout: SHOW_TIMEOUT_MS, interval: 50 })
        .toEqual(['Alice (you)', 'Bob', '⚠ Mallory (unverified)'].sort())
    } finally {
      hostile.close()
    }
    await Promise.all([a.close(), b.close()])
  })

  it("cannot take Alice off Bob's list with a forged empty state under her tab's id", async () => {
    const { a, b, hostile } = await roomWithHostile('remove')
    try {
      sendToBob(hostile, hostile.aliceClient, aheadOf(hostile), null)
      sendToBob(hostile, hostile.aliceClient, aheadOf(hostile) + 1, { presence: null })
      // A marker, last on the same ordered link: once Bob shows it, he has read the forgeries.
      const marker: PresenceField = { key: 'marker', meta: { name: 'Marker', typing: false, since: 1 }, version: 1 }
      sendToBob(hostile, MALLORY_CLIENT, 1, { presence: marker })
      await expect
        .poll(() => sortedMembers(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 })
        .toEqual(['Alice', 'Bob (you)', '⚠ Marker (unverified)'].sort())
      // Alice never left, not even for a moment.
      expect(await shownNotices(b)).toEqual([])
    } finally {
      hostile.close()
    }
    await Promise.all([a.close(), b.close()])
  })

  it("cannot freeze Alice's presence in Bob with a forged newer state under a far-ahead awareness clock", async () => {
    const { a, b, hostile } = await roomWithHostile('clock')
    try {
      const alice = hostile.aliceState().presence
      // A higher counter (so it passes for a newer state) under another name, with a clock no
      // tab reaches: awareness would ignore every later entry of Alice's with a lower one.
      const forged = {
        ...alice,
        meta: { ...alice.meta, name: 'Mallory', counter: (alice.meta.counter ?? 0) + 100 },
        version: alice.version + 100,
      }
      sendToBob(hostile, hostile.aliceClient, FAR_AHEAD_CLOCK, { presence: forged })
      // A marker, last on the same ordered link: once Bob shows it, he has read the forgery.
      const marker: PresenceField = { key: 'marker', meta: { name: 'Marker', typing: false, since: 1 }, version: 1 }
      sendToBob(hostile, MALLORY_CLIENT, 1, { presence: marker })
      await expect
        .poll(() => sortedMembers(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 })
        .toEqual(['Alice', 'Bob (you)', '⚠ Marker (unverified)'].sort())
      // Held back until checked, then dropped: Bob counts one forged state. (Before, Bob applied
      // it and relayed it to Alice, whose awareness then took the clock for her own state, so two
      // browsers healed at her next change; peers that cannot pass it on to her stayed frozen:
      // test/membership/held-states.test.ts.)
      await expect.poll(() => forgedPresence(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe(1)
      // Alice's next states still reach Bob: she types, then stops.
      await a.getByRole('textbox', { name: 'Message' }).pressSequentially('hi')
      await expect.poll(() => shownTyping(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe('Alice is typing…')
      await a.getByRole('textbox', { name: 'Message' }).press('Enter')
      await expect.poll(() => shownTyping(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe('')
      expect(await sortedMembers(b)).toEqual(['Alice', 'Bob (you)', '⚠ Marker (unverified)'].sort())
    } finally {
      hostile.close()
    }
    await Promise.all([a.close(), b.close()])
  })

  it("cannot keep Alice out of Bob's list with a far-ahead entry under her tab's id that reached him before any of hers", async () => {
    const room = uniqueRoom('first')
    const b = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    const doc = new Y.Doc()
    const provider = new WebrtcProvider(topicFor({ name: room, secret: null }), doc, {
      signaling: [stack.signaling.url],
      peerOpts: { wrtc: nodeRtc, config: { iceServers: [] } },
    })
    let hostileOpen = true
    const closeHostile = () => {
      hostileOpen = false
      provider.disconnect()
      provider.destroy()
      doc.destroy()
    }
    // Alice's tab, as a Parley room in Node (her own key, the real code), so that its client ID
    // is known before Bob hears of her: as a peer that has been in the room with her knows it
    // when Bob joins, and gets its entry to him before hers.
    const aliceDoc = new Y.Doc()
    let alice: Room | null = null
    const othersThanMarker = async () => (await sortedMembers(b)).filter((member) => !member.includes('Marker'))
    try {
      const connected = () => [...(provider.room?.webrtcConns.values() ?? [])].filter((conn) => conn.connected)
      await expect.poll(() => connected().length, { timeout: SHOW_TIMEOUT_MS }).toBe(1)
      const toBob = connected()[0] as WebrtcConn
      // A removal under her id with a clock no tab reaches: awareness records the clock, and
      // would ignore every entry of hers below it. Then a marker, last on the same ordered link.
      sendToBob({ toBob }, aliceDoc.clientID, FAR_AHEAD_CLOCK, null)
      const marker: PresenceField = { key: 'marker', meta: { name: 'Marker', typing: false, since: 1 }, version: 1 }
      sendToBob({ toBob }, MALLORY_CLIENT, 1, { presence: marker })
      await expect.poll(() => sortedMembers(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toEqual(['Bob (you)', '⚠ Marker (unverified)'])
      // y-webrtc allows one provider per room in a process: the stock peer leaves before Alice's
      // room opens. What it wrote stays in Bob's awareness (a clock, no state).
      closeHostile()
      await provider.key // y-webrtc lets go of the room once its key settled

      alice = new Room({ name: room, signalingUrls: [stack.signaling.url], iceServers: [], wrtc: nodeRtc, doc: aliceDoc })
      const signer = await signerFor(await generateSigningKeys())
      await alice.presence.join({ userId: signer.userId, name: 'Alice', signer })
      await expect.poll(othersThanMarker, { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toEqual(['Alice', 'Bob (you)'])
      expect((await shownFingerprints(b)).Alice).toMatch(/^[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}$/)
      // Her later states count too: she types, stops, and leaves.
      alice.presence.input()
      await expect.poll(() => shownTyping(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe('Alice is typing…')
      alice.presence.stopTyping('send')
      await expect.poll(() => shownTyping(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe('')
      alice.close()
      alice = null
      await expect.poll(othersThanMarker, { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toEqual(['Bob (you)'])
    } finally {
      alice?.close()
      if (hostileOpen) closeHostile()
    }
    await b.close()
  })

  it("shows an unsigned tab claiming Alice's key as a member of its own, marked, also when it types", async () => {
    const { a, b, hostile } = await roomWithHostile('claim')
    try {
      const { key, meta } = hostile.aliceState().presence
      const claim: PresenceField = { key, meta: { name: meta.name, typing: true, since: meta.since }, version: 1 }
      hostile.provider.awareness.setLocalState({ presence: claim })
      for (const [page, self] of [
        [b, 'Bob (you)'],
        [a, 'Alice (you)'],
      ] as const) {
        await expect
          .poll(() => sortedMembers(page), { timeout: SHOW_TIMEOUT_MS, interval: 50 })
          .toEqual([self, page === b ? 'Alice' : 'Bob', '⚠ Alice (unverified) ✎ typing'].sort())
        expect(await shownTyping(page)).toBe('⚠ Alice (unverified) is typing…')
      }
      expect(await shownNotices(b)).toEqual(['⚠ Alice (unverified) joined'])
      // The real Alice types: Bob sees both, each for what it is.
      await a.getByRole('textbox', { name: 'Message' }).pressSequentially('hi')
      await expect.poll(() => shownTyping(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe('Alice and ⚠ Alice (unverified) are typing…')
    } finally {
      hostile.close()
    }
    await Promise.all([a.close(), b.close()])
  })

  it("cannot make Bob verify the signatures of thousands of made-up tabs, nor keep Alice's states from him", async () => {
    const { a, b, hostile } = await roomWithHostile('made-up', countVerifications)
    try {
      // A real key, so that each check gets as far as WebCrypto; one signature under every made-up
      // tab, which fails for all of them (it covers the client id).
      const mallory = await signerFor(await generateSigningKeys())
      const meta = { name: 'Mallory', typing: false, since: 1, publicKey: mallory.publicKey, signature: 'A'.repeat(86), counter: 1 }
      const state = { presence: { key: mallory.userId, meta, version: 1 } }
      const before = await verifications(b)
      const started = Date.now()
      // As many updates as Bob's guard lets through in a burst, each with many first states.
      for (let update = 0; update < MADE_UP_UPDATES; update++) {
        sendEntriesToBob(
          hostile,
          Array.from({ length: MADE_UP_TABS_PER_UPDATE }, (_, i) => ({
            client: 1_000_000 + update * MADE_UP_TABS_PER_UPDATE + i,
            clock: 1,
            state,
          })),
        )
      }
      // A marker, last on the same ordered link: once Bob shows it, he has read the flood, and settled its checks.
      const marker: PresenceField = { key: 'marker', meta: { name: 'Marker', typing: false, since: 1 }, version: 1 }
      sendToBob(hostile, MALLORY_CLIENT, 1, { presence: marker })
      const withoutTabCounts = async () => (await sortedMembers(b)).map((member) => member.replace(/ \d+ tabs$/, ''))
      await expect
        .poll(withoutTabCounts, { timeout: SHOW_TIMEOUT_MS, interval: 50 })
        .toEqual(['Alice', 'Bob (you)', '⚠ Mallory (unverified)', '⚠ Marker (unverified)'].sort())
      const seconds = (Date.now() - started) / 1000
      // At most the link's burst, and its rate for as long as the flood took (Bob checked nothing else meanwhile).
      expect((await verifications(b)) - before).toBeLessThanOrEqual(PRESENCE_CHECK_BURST + Math.ceil(seconds * PRESENCE_CHECKS_PER_SECOND))
      const refused = await b.evaluate(
        () =>
          (document.querySelector('parley-chat') as unknown as { stats(): { presenceChecksRefused: number } | null }).stats()
            ?.presenceChecksRefused,
      )
      expect(refused).toBeGreaterThanOrEqual(
        MADE_UP_UPDATES * MADE_UP_TABS_PER_UPDATE - PRESENCE_CHECK_BURST - Math.ceil(seconds * PRESENCE_CHECKS_PER_SECOND),
      )
      // Alice, over her own link, still counts: she types, then stops.
      await a.getByRole('textbox', { name: 'Message' }).pressSequentially('hi')
      await expect.poll(() => shownTyping(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe('Alice is typing…')
      await a.getByRole('textbox', { name: 'Message' }).press('Enter')
      await expect.poll(() => shownTyping(b), { timeout: SHOW_TIMEOUT_MS, interval: 50 }).toBe('')
    } finally {
      hostile.close()
    }
    await Promise.all([a.close(), b.close()])
  })
})
