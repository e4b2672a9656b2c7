// An honest Parley peer that links to a page after that page banned a flooder, and sends a batch
// of records the page lacks (200, what one relayed batch holds at most), over real WebRTC: the
// page takes the batch and keeps the peer. On main the link's share of the shared burst was 30
// records, and the page banned the honest peer.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { topicFor } from '../../src/address/index.js'
import { RECORDS_PER_BATCH } from '../../src/history/deferred-updates.js'
import { FlooderProcess } from '../e2e/flood-harness.js'
import { openRoomTransport } from '../support/local-transport.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for a peer to start and link over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 120_000
/** Messages the flooder writes: more than one link's burst, so that the page bans it. */
const FLOOD_COUNT = 3000
/** The shared array node peers write their texts to (test/support/node-peer-child.ts). */
const TEXTS = 'texts'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('honest-relay')

const open = (name: string) => openRoomTransport(signaling, name)

describe('an honest Parley peer linked after a ban', () => {
  it('sends a full batch of records the page lacks without being taken for a flooder', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = signaling.topic()
    const topic = topicFor({ name, secret: null })
    const page = open(name)
    const flooder = await FlooderProcess.start({ room: name, signalingUrl: signaling.url(), rtc: 'node-datachannel' })
    signaling.track(() => flooder.close())
    await expect.poll(() => flooder.connectedLinks(), { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    await flooder.flood(FLOOD_COUNT, undefined, true)
    await expect.poll(() => page.transport.stats().bannedPeers, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    await flooder.close()

    // A Parley peer links to the page: its link's share of the burst the flooder emptied is the least one.
    const newcomer = await signaling.startPeer({ kind: 'parley', topic, awareness: { name: 'newcomer' } })
    await expect.poll(() => page.transport.links().length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    // It sends a batch's worth the page lacks at once, as a page does with a history loaded from
    // storage or a sibling tab's writing (a batch of more than a person's, within its relay budget).
    const texts = Array.from({ length: RECORDS_PER_BATCH }, (_, n) => `from the other tab ${n}`)
    await newcomer.pushAll(texts)

    await expect.poll(() => page.doc.getArray(TEXTS).length, { timeout: CONNECT_TIMEOUT_MS }).toBe(RECORDS_PER_BATCH)
    expect(page.transport.stats().bannedPeers).toBe(1) // main: 2, the newcomer banned and its batch refused
    expect(page.transport.links()).toHaveLength(1)
  })
})
