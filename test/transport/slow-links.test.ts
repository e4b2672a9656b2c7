// Joins with real Node peers: a link that is slow but progressing is not offered again (its setup
// outlasts the quiet time, no gap does), and two Parley peers connect with one offer, no glare.
import { describe, expect, it } from 'vitest'
import { screenSignals } from '../../src/transport/signal-screen.js'
import { reofferStuckLinks, type StuckLinkStats } from '../../src/transport/stuck-links.js'
import { openLocalProvider } from '../support/node-peer.js'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { tappedWebSocket } from '../support/signaling-tap.js'

/** The quiet time of the test's stuck-link timer, in ms. */
const QUIET_MS = 2500
/** How long the answer to this process's offer is held: longer than the quiet time, in ms. */
const ANSWER_MS = 3200
/** The remote's candidates come this far apart meanwhile: the link progresses, in ms. */
const CANDIDATE_SPACING_MS = 800
/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 90_000

const signaling = useSignalingServer('slow-links')
// This process's signaling socket: a slow answerer that trickles its candidates.
globalThis.WebSocket = tappedWebSocket({ slowAnswer: { answerMs: ANSWER_MS, candidateSpacingMs: CANDIDATE_SPACING_MS } }).WebSocket

describe('reofferStuckLinks on a slow network', () => {
  /** A provider here, screened and timing its links with a short quiet time, on a new topic; connected to signaling. */
  async function screenedRoom() {
    const topic = signaling.topic()
    const local = openLocalProvider(topic, signaling.url())
    signaling.track(() => local.close())
    const room = await local.room
    const stats: StuckLinkStats = { reoffers: 0, reinvitations: 0, lapseOffers: 0 }
    signaling.track(screenSignals(room))
    signaling.track(reofferStuckLinks(room, { quietMs: QUIET_MS, checkIntervalMs: 100 }, stats, () => 0))
    await expect.poll(() => local.provider.signalingConns[0]?.connected, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
    return { topic, room, stats }
  }

  it(
    'leaves a link alone that keeps progressing, though its answer takes longer than the quiet time',
    async () => {
      const { topic, room, stats } = await screenedRoom()

      // It announces; this process offers, and waits for the slow answer.
      const remote = await signaling.startPeer({ kind: 'stock', topic })
      await expect.poll(async () => (await remote.state()).peerId, { timeout: CONNECT_TIMEOUT_MS }).toBeTypeOf('string')
      const remotePeerId = (await remote.state()).peerId as string
      await expect.poll(() => room.webrtcConns.get(remotePeerId), { timeout: CONNECT_TIMEOUT_MS }).toBeDefined()
      const firstLink = room.webrtcConns.get(remotePeerId)
      await expect.poll(() => room.webrtcConns.get(remotePeerId)?.connected, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)

      expect(stats.reoffers).toBe(0)
      expect(room.webrtcConns.get(remotePeerId)).toBe(firstLink)
      expect((await remote.state()).tap.offersReceived).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'offers again a link whose answer never comes',
    async () => {
      const { topic, room, stats } = await screenedRoom()

      // Its first offer is lost on the way: nothing comes back, and the link is offered anew.
      const remote = await signaling.startPeer({ kind: 'stock', topic, tap: { dropOfferLinks: 1 } })
      await expect.poll(async () => (await remote.state()).tap.droppedOfferLinks, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
      const remotePeerId = (await remote.state()).peerId as string
      await expect.poll(() => room.webrtcConns.get(remotePeerId)?.connected, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
      expect(stats.reoffers).toBe(1)
      expect((await remote.state()).tap.offersReceived).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})

describe('two Parley peers', () => {
  it(
    'connect with a single offer, from the smaller peer id',
    async () => {
      const topic = signaling.topic()
      const first = await signaling.startPeer({ kind: 'parley', topic })
      await expect.poll(async () => (await first.state()).tap.subscribed, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
      const second = await signaling.startPeer({ kind: 'parley', topic })
      const [a, b] = [await first.state(), await second.state()]
      await expect
        .poll(async () => (await first.state()).awareness.some(({ client }) => client === b.clientId), { timeout: CONNECT_TIMEOUT_MS })
        .toBe(true)
      await expect
        .poll(async () => (await second.state()).awareness.some(({ client }) => client === a.clientId), { timeout: CONNECT_TIMEOUT_MS })
        .toBe(true)
      await expect.poll(async () => (await second.state()).peerId).toBeTypeOf('string')
      const ids = [(await first.state()).peerId as string, (await second.state()).peerId as string]
      const [smaller, larger] = (ids[0] as string) < (ids[1] as string) ? [first, second] : [second, first]
      expect((await smaller.state()).tap.offersSent).toBe(1)
      expect((await larger.state()).tap.offersSent).toBe(0)
      expect((await larger.state()).tap.offersReceived).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})
