// What the rooms bench counts, checked on three real Node peers (node-datachannel) per test:
// stock y-webrtc's relay of one update is N·(N−1) sends; Parley's side channels count apart.
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

async function room(kind: 'stock' | 'parley'): Promise<NodePeer[]> {
  const topic = signaling.topic()
  const peers: NodePeer[] = []
  // One after the other: a stock pair joining at the same moment may glare and never link.
  for (let i = 0; i < PEERS; i++) {
    peers.push(await signaling.startPeer({ kind, topic, rtc: 'node-datachannel', countSends: true }))
    await expect
      .poll(async () => Promise.all(peers.map(async (peer) => (await peer.counts()).linkedPeers.length)), { timeout: CONNECT_TIMEOUT_MS })
      .toEqual(peers.map(() => peers.length - 1))
  }
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
      const peers = await room('stock')
      await Promise.all(peers.map((peer) => peer.resetCounts()))
      await peers[0].push('counted')
      await expect
        .poll(async () => (await Promise.all(peers.map((peer) => peer.state()))).every((state) => state.texts.includes('counted')), {
          timeout: CONNECT_TIMEOUT_MS,
        })
        .toBe(true)
      const updates = async () =>
        (await Promise.all(peers.map((peer) => peer.counts()))).map((counts) => counts.sends['y-webrtc:sync-update']?.messages ?? 0)
      // Each peer relays what it applied, to all of its links (the author included): 2 sends each.
      await expect.poll(updates, { timeout: CONNECT_TIMEOUT_MS }).toEqual([2, 2, 2])
      const counts = await Promise.all(peers.map((peer) => peer.counts()))
      for (const each of counts) {
        expect(Object.keys(each.sends).filter((key) => key.startsWith('side:'))).toEqual([])
        expect(each.openChannels).toBe(PEERS - 1)
      }
    },
    TEST_TIMEOUT_MS,
  )

  it(
    "counts Parley's liveness on its own side channel, apart from y-webrtc's messages",
    async () => {
      const peers = await room('parley')
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
