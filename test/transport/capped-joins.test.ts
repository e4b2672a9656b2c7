// Joins into a room whose peers are all at their link cap (y-webrtc's maxConns), with real peers,
// one process each: the newcomer still gets linked, the mesh stays one piece (or is bridged back
// into one, when newcomers arriving at once link only among themselves), and caps hold.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { NodePeer, NodePeerState } from '../support/node-peer.js'
import { meshShape, startOneByOne } from '../support/partial-mesh.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for links to form (and excess ones to be shed) over WebRTC on a loaded machine, in ms. */
const MESH_TIMEOUT_MS = 60_000
const TEST_TIMEOUT_MS = 240_000
/**
 * Time for a room in two pieces to be bridged and shed back to its caps, in ms: the wait for the
 * missing peers' states (island-rule.ts, 10 s plus a turn), a link, and the sheds.
 */
const ISLAND_TIMEOUT_MS = 120_000
/** Every peer's cap: four peers fill each other up (a full K4). */
const CAP = 3
/**
 * How late signals to a slow peer arrive, in ms: a bridge to it takes longer than the twelfth
 * session's turns (2 s apart), and its offering end still hears within the stuck-link wait (8 s).
 */
const SLOW_SIGNALS_MS = 6000
/**
 * How long a slow peer's links take to count as connected after their ICE connected, in ms (its
 * getStats is that slow; simple-peer awaits one first): longer than the 2 s after which a peer
 * with no link connected announced again as lonely, within the quiet time a link still connecting
 * may keep (cap-rule.ts CONNECTING_QUIET_MS, 8 s).
 */
const SLOW_CONNECT_MS = 4000
/**
 * How long a stalled newcomer's links take to count as connected after their ICE connected, in ms:
 * longer than the quiet time a link still connecting may keep (8 s), so the newcomer announces as
 * lonely while its first link is still to come, and a full peer takes it.
 */
const STALLED_CONNECT_MS = 12_000
/** Rooms made for a triangle before the test gives up on one (the take's link may be given up before it connects). */
const TRIANGLE_ATTEMPTS = 3
/** Rooms made for a split before the test gives up on one (a newcomer taken while alone leaves none). */
const SPLIT_ATTEMPTS = 3
/** Links a full peer may hold past its cap while it takes a newcomer (cap-joins.ts). */
const ALLOWANCE = 1

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('capped-joins')

type Kind = 'stock' | 'parley'

async function states(peers: NodePeer[]): Promise<NodePeerState[]> {
  return Promise.all(peers.map((peer) => peer.state()))
}

/** The link counts, pieces of the link graph and most links anyone holds, for messages and for the checks. */
function shape(all: NodePeerState[]): { links: number[]; components: number; most: number } {
  const { components, mostLinks } = meshShape(all)
  return { links: all.map((state) => state.links.length), components, most: mostLinks }
}

/** Starts `kinds[n]` peers with cap CAP one after another, each once the ones before hold the links they should. */
async function fullClique(topic: string, kinds: Kind[]): Promise<NodePeer[]> {
  const peers: NodePeer[] = []
  for (const [n, kind] of kinds.entries()) {
    peers.push(await signaling.startPeer({ kind, topic, maxConns: CAP, awareness: { name: `p${n}` } }))
    await expect
      .poll(async () => (await states(peers)).every((state) => state.links.length === n), { timeout: MESH_TIMEOUT_MS, interval: 250 })
      .toBe(true)
  }
  return peers
}

/** Starts Parley peers named `p${n}` for each n, with cap CAP, all at the same moment. */
function startAtOnce(topic: string, names: number[]): Promise<NodePeer[]> {
  return Promise.all(names.map((n) => signaling.startPeer({ kind: 'parley', topic, maxConns: CAP, awareness: { name: `p${n}` } })))
}

/** Starts Parley peers named `p${n}` for each n, with cap CAP, and has them join once all run: none waits alone for the others' processes. */
async function joinAtOnce(topic: string, names: number[]): Promise<NodePeer[]> {
  const peers = await Promise.all(
    names.map((n) => signaling.startPeer({ kind: 'parley', topic, maxConns: CAP, awareness: { name: `p${n}` }, deferJoin: true })),
  )
  await Promise.all(peers.map((peer) => peer.join()))
  return peers
}

/** `bridge` invitations the peers sent, summed (island-rule.ts; TransportStats.join.cap). */
function bridgesAsked(all: NodePeerState[]): number {
  return all.reduce((sum, state) => sum + ((state.join as { cap?: { bridges: number } } | null)?.cap?.bridges ?? 0), 0)
}

/**
 * Waits until every peer is linked, the link graph is one piece and nobody holds more than its
 * cap, and checks along the way that nobody ever held more than cap + allowance.
 */
async function untilJoined(peers: NodePeer[], timeoutMs = MESH_TIMEOUT_MS, allowance = ALLOWANCE): Promise<NodePeerState[]> {
  let most = 0
  let last: ReturnType<typeof shape> = { links: [], components: 0, most: 0 }
  let mostSeen = ''
  const joined = async (): Promise<boolean> => {
    last = shape(await states(peers))
    if (last.most > most) mostSeen = JSON.stringify(last.links)
    most = Math.max(most, last.most)
    return last.links.every((count) => count > 0 && count <= CAP) && last.components === 1
  }
  try {
    await expect.poll(joined, { timeout: timeoutMs, interval: 250 }).toBe(true)
  } catch (error) {
    throw new Error(`not joined: links ${JSON.stringify(last.links)}, ${last.components} components`, { cause: error })
  }
  expect(most, `most links any peer held (links ${mostSeen})`).toBeLessThanOrEqual(CAP + allowance)
  return states(peers)
}

/** Pushes a text at `author` and waits until every peer holds it. */
async function deliveredToAll(peers: NodePeer[], author: number): Promise<void> {
  const text = `from p${author}`
  await peers[author].push(text)
  await expect
    .poll(async () => (await states(peers)).every((state) => state.texts.includes(text)), { timeout: MESH_TIMEOUT_MS, interval: 250 })
    .toBe(true)
}

describe('joins into a room of full peers (maxConns)', () => {
  it(
    'does not take a newcomer past a full peer’s cap while its one link is slow to connect',
    async () => {
      // The line of caps 1, 2, 2: p2's one link is to p1, and p0 is full with p1. As in
      // liveness-rumors-wrtc's line under load (p2's link took 3.3 s), p2's link still connects
      // when p2 has waited 2 s; it progressed meanwhile (signals from p1, ICE connected), so p2 is
      // not lonely and does not announce again, and p0 does not take it past its cap (a triangle
      // nobody sheds: each end keeps 2 links).
      const topic = signaling.topic()
      const peers = await startOneByOne(signaling, topic, [1, 2], ['parley', 'parley'], MESH_TIMEOUT_MS)
      peers.push(
        await signaling.startPeer({ kind: 'parley', topic, maxConns: 2, awareness: { name: 'p2' }, getStatsDelayMs: SLOW_CONNECT_MS }),
      )
      await expect.poll(async () => (await peers[2].state()).links.length, { timeout: MESH_TIMEOUT_MS, interval: 250 }).toBeGreaterThan(0)
      const [p0, , p2] = await states(peers)
      expect(p2.join?.cap.reannounced, 'lonely announcements of p2 while its link connected').toBe(0)
      expect(p0.join?.cap.takes, 'take invitations of p0 (cap 1)').toBe(0)
      await expect
        .poll(async () => (await states(peers)).map((state) => state.links.length), { timeout: MESH_TIMEOUT_MS, interval: 250 })
        .toEqual([1, 2, 1])
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'sheds a full peer back to its cap from the triangle a newcomer’s stalled link left',
    async ({ skip }) => {
      // The line of caps 1, 2, 2 again, but p2's link to p1 stalls past 8 s before it connects:
      // p2 counts as lonely meanwhile and p0 (cap 1) takes it. Once both links are up the three
      // form a triangle whose far ends hold 2 links each, which the shed rule for a full peer
      // never sheds; p0 stayed at 2 links for good. Now it sheds one once it has stayed past its
      // cap for a while, and the other two still reach it through each other.
      for (let attempt = 1; ; attempt++) {
        const topic = signaling.topic()
        const peers = await startOneByOne(signaling, topic, [1, 2], ['parley', 'parley'], MESH_TIMEOUT_MS)
        peers.push(
          await signaling.startPeer({ kind: 'parley', topic, maxConns: 2, awareness: { name: 'p2' }, getStatsDelayMs: STALLED_CONNECT_MS }),
        )
        await expect.poll(async () => (await peers[0].state()).links.length, { timeout: 2 * MESH_TIMEOUT_MS, interval: 250 }).toBe(2)
        let last: ReturnType<typeof shape> = { links: [], components: 0, most: 0 }
        const backAtCap = async (): Promise<boolean> => {
          last = shape(await states(peers))
          return last.links[0] === 1 && last.components === 1 && last.links.every((count) => count > 0)
        }
        try {
          await expect.poll(backAtCap, { timeout: 2 * MESH_TIMEOUT_MS, interval: 250 }).toBe(true)
        } catch (error) {
          throw new Error(`p0 not back at its cap in one piece: links ${JSON.stringify(last.links)}, ${last.components} components`, {
            cause: error,
          })
        }
        const [p0] = await states(peers)
        // Under load p2's end of the take's link, stalled too, may be given up and offered anew
        // (stuck-links.ts) before both links are up: p0 is back at its cap with no triangle to
        // shed. Then again.
        if (p0.join?.cap.lateShed === 0 && attempt < TRIANGLE_ATTEMPTS) {
          await Promise.all(peers.map((peer) => peer.close()))
          continue
        }
        if (p0.join?.cap.lateShed === 0) {
          // No triangle lasted in any attempt (CI at full load, once: p0 back at its cap in one piece
          // each time, with no late shed): the outcome is right, but the rule went unexercised here,
          // which is a skip with its reason, not a pass (cap-rule.test.ts holds the rule itself).
          await deliveredToAll(peers, 2)
          skip(`no triangle lasted in ${TRIANGLE_ATTEMPTS} attempts under this load; p0 back at its cap in one piece without a late shed`)
        }
        expect(p0.join?.cap.takes, 'take invitations of p0 (cap 1): p2 was lonely while its link stalled').toBeGreaterThan(0)
        expect(p0.join?.cap.lateShed, `late sheds of p0, attempt ${attempt}`).toBeGreaterThan(0)
        await deliveredToAll(peers, 2)
        await deliveredToAll(peers, 0)
        return
      }
    },
    2 * TEST_TIMEOUT_MS,
  )

  it(
    'links a fifth peer to a full K4 of cap 3, keeps the mesh in one piece, and sheds back to the cap',
    async () => {
      const topic = signaling.topic()
      const peers = await fullClique(topic, ['parley', 'parley', 'parley', 'parley'])
      peers.push(await signaling.startPeer({ kind: 'parley', topic, maxConns: CAP, awareness: { name: 'p4' } }))
      await untilJoined(peers)
      await deliveredToAll(peers, 4)
      await deliveredToAll(peers, 0)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'links two newcomers that arrive at once to a full K4, in one piece',
    async () => {
      const topic = signaling.topic()
      const peers = await fullClique(topic, ['parley', 'parley', 'parley', 'parley'])
      peers.push(
        ...(await Promise.all(
          [4, 5].map((n) => signaling.startPeer({ kind: 'parley', topic, maxConns: CAP, awareness: { name: `p${n}` } })),
        )),
      )
      await untilJoined(peers)
      await deliveredToAll(peers, 5)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'bridges four newcomers that arrive at once and link only among themselves to a full K4: one piece, every message delivered',
    async () => {
      // The newcomers fill each other up (a second K4) and nobody is lonely; the first K4 is full,
      // so nobody offers across, and the room stays in two pieces unless a peer notices.
      const topic = signaling.topic()
      const peers = await fullClique(topic, ['parley', 'parley', 'parley', 'parley'])
      peers.push(...(await startAtOnce(topic, [4, 5, 6, 7])))
      await untilJoined(peers, ISLAND_TIMEOUT_MS)
      await deliveredToAll(peers, 6)
      await deliveredToAll(peers, 1)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'bridges a full K4 to four newcomers with one invitation from the K4 when the bridge is slow to come up',
    async () => {
      // Every peer of the K4 heard the newcomers, and a link to a K4 peer now takes over 6 s (the
      // signals to it are that late, as on a slow network). With turns 2 s apart and nothing else
      // to go by, the K4's peers asked one after another until the bridge's states came (3 or 4
      // invitations); now they hear the first invitation on signaling and wait for its bridge.
      for (let attempt = 1; ; attempt++) {
        const topic = signaling.topic()
        const peers = await fullClique(topic, ['parley', 'parley', 'parley', 'parley'])
        await Promise.all(peers.map((peer) => peer.delaySignals(SLOW_SIGNALS_MS)))
        peers.push(...(await joinAtOnce(topic, [4, 5, 6, 7])))
        await untilJoined(peers, ISLAND_TIMEOUT_MS)
        await deliveredToAll(peers, 6)
        await deliveredToAll(peers, 1)
        const all = await states(peers)
        const counts = JSON.stringify(all.map((state) => (state.join as { cap?: unknown } | null)?.cap))
        // On a loaded machine a newcomer may wait alone long enough to announce as lonely, and the
        // K4 takes it (cap-rule.ts): one piece from the start, nothing to bridge. Then again.
        if (bridgesAsked(all) === 0 && attempt < SPLIT_ATTEMPTS) {
          await Promise.all(peers.map((peer) => peer.close()))
          continue
        }
        expect(bridgesAsked(all), `bridge invitations, all peers, attempt ${attempt} (cap joins ${counts})`).toBeGreaterThanOrEqual(1)
        expect(bridgesAsked(all.slice(0, 4)), `bridge invitations from the K4 (cap joins ${counts})`).toBeLessThanOrEqual(2)
        return
      }
    },
    2 * TEST_TIMEOUT_MS,
  )

  it(
    'bridges four Parley newcomers that arrive at once to a full K4 with a stock peer in it',
    async () => {
      const topic = signaling.topic()
      const peers = await fullClique(topic, ['parley', 'stock', 'parley', 'parley'])
      peers.push(...(await startAtOnce(topic, [4, 5, 6, 7])))
      await untilJoined(peers, ISLAND_TIMEOUT_MS)
      await deliveredToAll(peers, 5)
      await deliveredToAll(peers, 1)
    },
    TEST_TIMEOUT_MS,
  )

  it(
    'links a Parley newcomer to a full K4 with a stock peer in it',
    async () => {
      const topic = signaling.topic()
      const peers = await fullClique(topic, ['parley', 'stock', 'parley', 'parley'])
      peers.push(await signaling.startPeer({ kind: 'parley', topic, maxConns: CAP, awareness: { name: 'p4' } }))
      await untilJoined(peers)
      await deliveredToAll(peers, 4)
      await deliveredToAll(peers, 1)
    },
    TEST_TIMEOUT_MS,
  )
})
