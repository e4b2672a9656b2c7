// A flooder that comes back under a new peer id: a Parley transport in this process drops its
// flooding link and bans its peer id; the flooder rejoins with the same document (a new peer id,
// the same Yjs writer) and floods again; this time its link gets no burst and is dropped early.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { messagesOf } from '../../src/history/index.js'
import { RECORDS_BURST, SYNC_BURST } from '../../src/transport/peer-guard.js'
import { FlooderProcess } from '../e2e/flood-harness.js'
import { openRoomTransport } from '../support/local-transport.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for the flooder to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 120_000
/** Messages the flooder writes each time: more than one link's burst. */
const FLOOD_COUNT = 3000

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('banned-writers')

const open = (name: string) => openRoomTransport(signaling, name)

describe('a flooder back under a new peer id', () => {
  it('is known by the writer it floods with, and dropped after a small burst', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = signaling.topic()
    const { doc, transport } = open(name)
    const flooder = await FlooderProcess.start({ room: name, signalingUrl: signaling.url(), rtc: 'node-datachannel' })
    signaling.track(() => flooder.close())
    const received = () => messagesOf(doc).length

    await expect.poll(() => flooder.connectedLinks(), { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    await flooder.flood(FLOOD_COUNT, undefined, true)
    await expect.poll(() => transport.stats().bannedPeers, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    // A burst of records got through before the link counted as flooding: the records budget
    // (500), reached before the thousand sync messages of SYNC_BURST.
    const first = received()
    expect(first).toBeGreaterThanOrEqual(RECORDS_BURST)
    expect(first).toBeLessThan(SYNC_BURST)
    expect(transport.stats().bannedWriters).toBe(1)

    // Back under a new peer id: once the room banned a flooder, a new link's history counts
    // against what is left of a burst shared by every link opened since, and so does what it
    // writes after; the flood it wrote meanwhile does not get in with it.
    await flooder.reconnect()
    await expect
      .poll(async () => transport.stats().bannedPeers === 2 || (await flooder.connectedLinks()) === 1, { timeout: CONNECT_TIMEOUT_MS })
      .toBe(true)
    if (transport.stats().bannedPeers < 2) await flooder.flood(FLOOD_COUNT, undefined, true)
    await expect.poll(() => transport.stats().bannedPeers, { timeout: CONNECT_TIMEOUT_MS }).toBe(2)
    expect(received() - first).toBeLessThan(RECORDS_BURST / 2)
    expect(await flooder.messages()).toBeGreaterThan(received())
  })
})
