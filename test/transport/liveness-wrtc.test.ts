// Liveness between real Parley peers, one process per peer over Node's WebRTC: what an idle
// room sends, and that a killed peer leaves every other peer's awareness without awareness's 30 s.
import { describe, expect, it } from 'vitest'
import { IDLE_BUDGET_MSGS_PER_S } from '../../src/transport/liveness-tracker.js'
import type { NodePeer, NodePeerState } from '../support/node-peer.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Peers in the room: enough that most links are neither watched nor watching. */
const PEERS = 6
/** Time for every peer to start and link to every other on a loaded machine, in ms. */
const MESH_TIMEOUT_MS = 60_000
/** The idle window counted: two of y-protocols' 15 s renewal periods, in ms. */
const IDLE_WINDOW_MS = 30_000
/** Bound on a kill being seen by all, in ms: well under awareness's own 30 s, so only liveness can meet it. */
const DROP_TIMEOUT_MS = 15_000
/** How often y-protocols renews a peer's own awareness state on each link, in ms. */
const RENEWAL_PERIOD_MS = 15_000
const TEST_TIMEOUT_MS = 180_000

const signaling = useSignalingServer('liveness-wrtc')

const clientsOf = (state: NodePeerState): number[] => state.awareness.map(({ client }) => client).sort()

describe('liveness with real Parley peers', () => {
  it(
    'keeps an idle room within the idle budget, and drops a killed peer from every other peer',
    async () => {
      const topic = signaling.topic()
      const peers: NodePeer[] = []
      // Every other peer on @roamhq/wrtc: the links between the two libraries stay tested (child peers run node-datachannel otherwise).
      for (let i = 0; i < PEERS; i++) {
        const rtc = i % 2 === 0 ? 'wrtc' : 'node-datachannel'
        peers.push(await signaling.startPeer({ kind: 'parley', topic, awareness: { name: `p${i}` }, rtc }))
      }
      const states = () => Promise.all(peers.map((peer) => peer.state()))
      // A full mesh: every peer holds every state and has a live direct link to each other peer.
      await expect
        .poll(async () => (await states()).every((state) => state.awareness.length === PEERS && state.liveLinks === PEERS - 1), {
          timeout: MESH_TIMEOUT_MS,
          interval: 500,
        })
        .toBe(true)

      const before = await states()
      await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS)) // the window is what is measured
      const after = await states()
      // Each peer's own renewals cost (links / 15 s); liveness gets the rest of the budget.
      const livenessBudget = (IDLE_BUDGET_MSGS_PER_S - (PEERS - 1) / (RENEWAL_PERIOD_MS / 1000)) * (IDLE_WINDOW_MS / 1000)
      for (const [i, state] of after.entries()) {
        const frames = (state.transportSent?.liveness ?? Number.NaN) - (before[i]?.transportSent?.liveness ?? Number.NaN)
        expect(frames, `liveness frames of peer ${i} in ${IDLE_WINDOW_MS} ms`).toBeLessThanOrEqual(livenessBudget)
        expect(frames).toBeGreaterThan(0)
        expect(state.liveLinks).toBe(PEERS - 1) // and nobody was dropped meanwhile
      }

      const [victim, ...survivors] = peers as [NodePeer, ...NodePeer[]]
      const victimClient = (await victim.state()).clientId
      await victim.kill()
      await expect
        .poll(
          async () => (await Promise.all(survivors.map((peer) => peer.state()))).map((state) => clientsOf(state).includes(victimClient)),
          {
            timeout: DROP_TIMEOUT_MS,
            interval: 200,
          },
        )
        .toEqual(survivors.map(() => false))
    },
    TEST_TIMEOUT_MS,
  )
})
