// What the rooms bench counts, checked on three real Node peers (node-datachannel) per test:
// stock y-webrtc sends one update once per link of each peer; Parley's side channels count apart.
import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import { yWebrtcKind } from '../support/counting-rtc.js'
import type { NodePeer } from '../support/node-peer.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for three child peers to start and link up on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 60_000
const TEST_TIMEOUT_MS = 150_000
/** Peers per room. */
const PEERS = 3

const signaling = useSignalingServer('rooms-counting')

/** Peers of one room, started one after the other, once every peer holds `minLinks` links or more. */
async function room(kind: 'stock' | 'parley', minLinks: number): Promise<NodePeer[]> {
  const topic = signaling.topic()
  const peers: NodePeer[] = []
  for (let i = 0; i < PEERS; i++) peers.push(await signaling.startPeer({ kind, topic, rtc: 'node-datachannel', countSends: true }))
  await expect
    .poll(async () => Math.min(...(await Promise.all(peers.map(async (peer) => (await peer.counts()).linkedPeers.length)))), {
      timeout: CONNECT_TIMEOUT_MS,
    })
    .toBeGreaterThanOrEqual(minLinks)
  return peers
}

function message(...varUints: number[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const value of varUints) encoding.writeVarUint(encoder, value)
  encoding.writeVarUint8Array(encoder, new Uint8Array([1, 2, 3]))
  return encoding.toUint8Array(encoder)
}

describe('yWebrtcKind', () => {
  it("names y-webrtc's message kinds from their first bytes", () => {
    expect(yWebrtcKind(message(0, 0))).toBe('sync-step1')
    expect(yWebrtcKind(message(0, 1))).toBe('sync-step2')
    expect(yWebrtcKind(message(0, 2))).toBe('sync-update')
    expect(yWebrtcKind(message(1))).toBe('awareness')
    expect(yWebrtcKind(message(3))).toBe('query-awareness')
    expect(yWebrtcKind(message(0, 2).buffer)).toBe('sync-update')
    expect(yWebrtcKind('{"t":"beat"}')).toBe('other')
  })
})

describe('counting sends on real links', () => {
  it(
    "counts stock's relay of one update: every peer sends it to each of the others",
    async () => {
      // Stock may leave a pair unlinked (glare); with one link each, three peers form a path at least.
      const peers = await room('stock', 1)
      const links = await Promise.all(peers.map(async (peer) => (await peer.counts()).linkedPeers.length))
      await Promise.all(peers.map((peer) => peer.resetCounts()))
      await peers[0].push('counted')
      await expect
        .poll(async () => (await Promise.all(peers.map((peer) => peer.state()))).every((state) => state.texts.includes('counted')), {
          timeout: CONNECT_TIMEOUT_MS,
        })
        .toBe(true)
      const updates = async () =>
        (await Promise.all(peers.map((peer) => peer.counts()))).map((counts) => counts.sends['y-webrtc:sync-update']?.messages ?? 0)
      // Each peer sends what it applied to all of its links (the author included): in a full
      // mesh, 2 sends each. Stock may still be linking a pair meanwhile (a CI run saw a link
      // form after the counts were taken), so each peer sent to at least the links it held
      // before and at most those it holds after.
      const atLeast = (sent: number[]) => sent.every((count, i) => count >= links[i])
      await expect.poll(async () => atLeast(await updates()), { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
      const sent = await updates()
      const counts = await Promise.all(peers.map((peer) => peer.counts()))
      for (const [i, each] of counts.entries()) {
        expect(sent[i]).toBeLessThanOrEqual(each.linkedPeers.length)
        expect(Object.keys(each.sends).filter((key) => key.startsWith('side:'))).toEqual([])
        expect(each.openChannels).toBe(each.linkedPeers.length)
      }
    },
    TEST_TIMEOUT_MS,
  )

  it(
    "counts Parley's liveness on its own side channel, apart from y-webrtc's messages",
    async () => {
      const peers = await room('parley', PEERS - 1)
      await Promise.all(peers.map((peer) => peer.resetCounts()))
      // Heartbeats go out on every link while the room idles.
      await expect
        .poll(async () => (await peers[0].counts()).sends['side:parley-liveness']?.messages ?? 0, { timeout: CONNECT_TIMEOUT_MS })
        .toBeGreaterThanOrEqual(2 * (PEERS - 1))
      const counts = await peers[0].counts()
      expect(counts.sends['side:parley-liveness'].bytes).toBeGreaterThan(0)
      expect(Object.keys(counts.sends).every((key) => key.startsWith('side:') || key.startsWith('y-webrtc:'))).toBe(true)
      expect(counts.sends['y-webrtc:other']).toBeUndefined()
    },
    TEST_TIMEOUT_MS,
  )
})
