// Rumors between real Parley peers, one process each over Node's WebRTC, in a line where the ends
// have no link to each other: a killed peer leaves the peers with no link to it well before
// awareness's 30 s, and a peer that calls a live one lost takes it out of nobody's awareness.
import { describe, expect, it } from 'vitest'
import { RUMOR_WAIT_MS } from '../../src/transport/liveness-tracker.js'
import type { NodePeer, NodePeerState } from '../support/node-peer.js'
import { startOneByOne } from '../support/partial-mesh.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** maxConns that make the line p0 - p1 - p2 - p3 (see partial-mesh.ts). */
const LINE_MAX_CONNS = [1, 2, 2, 2]
/** Time for a peer's links to form over WebRTC on a loaded machine, in ms. */
const MESH_TIMEOUT_MS = 60_000
/** Bound on a kill being seen by all, in ms: well under awareness's own 30 s, which is all that peers with no link had before rumors. */
const DROP_TIMEOUT_MS = 15_000
/** How long the liar keeps lying, and how often, in ms. */
const LYING_MS = 8000
const LIE_EVERY_MS = 500
/** How often every peer's awareness is looked at while the liar lies, in ms. */
const SAMPLE_EVERY_MS = 200
const TEST_TIMEOUT_MS = 180_000

const signaling = useSignalingServer('liveness-rumors-wrtc')

const clientsOf = (state: NodePeerState): number[] => state.awareness.map(({ client }) => client)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts the line and waits until every peer holds every state. */
async function line(): Promise<NodePeer[]> {
  const peers = await startOneByOne(signaling, signaling.topic(), LINE_MAX_CONNS, ['parley', 'parley', 'parley', 'parley'], MESH_TIMEOUT_MS)
  await expect
    .poll(async () => (await Promise.all(peers.map((peer) => peer.state()))).every((state) => state.awareness.length === peers.length), {
      timeout: MESH_TIMEOUT_MS,
      interval: 250,
    })
    .toBe(true)
  return peers
}

describe('liveness rumors in a line (p0 and p1 have no link to p3)', () => {
  it(
    'drops a killed peer from the peers with no link to it too, well before awareness’s 30 s',
    async () => {
      const peers = await line()
      const [p0, p1, p2, p3] = peers as [NodePeer, NodePeer, NodePeer, NodePeer]
      const victim = (await p3.state()).clientId
      await p3.kill()
      const killedAt = Date.now()
      await expect
        .poll(async () => (await Promise.all([p0, p1, p2].map((peer) => peer.state()))).map((state) => clientsOf(state).includes(victim)), {
          timeout: DROP_TIMEOUT_MS,
          interval: 200,
        })
        .toEqual([false, false, false])
      console.info(`liveness-rumors: p3 dropped by p0, p1, p2 within ${Date.now() - killedAt} ms of its kill`)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'keeps a live peer that a liar keeps calling lost, in every peer’s awareness all along',
    async () => {
      const peers = await line()
      const [liar, ...honest] = peers as [NodePeer, NodePeer, NodePeer, NodePeer]
      const target = (await honest[2].state()).clientId // p3: no link to the liar nor to p1
      // Each lie names a clock of its own, above any held: every one is news, the strongest lie there is.
      const lie = (n: number) => JSON.stringify({ t: 'lost', client: target, clock: 1_000_000 + n })
      const missing: string[] = []
      let lies = 0
      const until = Date.now() + LYING_MS + RUMOR_WAIT_MS + 2000
      let nextLie = Date.now()
      while (Date.now() < until) {
        if (Date.now() >= nextLie && Date.now() < until - RUMOR_WAIT_MS - 2000) {
          lies += await liar.sendLiveness(lie(lies))
          nextLie += LIE_EVERY_MS
        }
        const states = await Promise.all(peers.map((peer) => peer.state()))
        for (const [n, state] of states.entries()) if (!clientsOf(state).includes(target)) missing.push(`p${n} at ${Date.now()}`)
        await sleep(SAMPLE_EVERY_MS)
      }
      expect(lies).toBeGreaterThanOrEqual(LYING_MS / LIE_EVERY_MS - 1)
      expect(missing).toEqual([])
      for (const state of await Promise.all(peers.map((peer) => peer.state()))) expect(state.liveLinks).toBe(state.links.length)
    },
    TEST_TIMEOUT_MS,
  )
})
