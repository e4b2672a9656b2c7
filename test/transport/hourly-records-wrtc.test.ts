// A slow flood over real WebRTC: a stock y-webrtc peer in a child process writes signed messages
// under the minutes' rate of a link's records (10 a second), which on main no bucket ever cut off,
// to a Parley transport in this process whose hourly bucket is scaled down to a minute's worth,
// so that what takes a quarter of an hour at full scale takes seconds.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { topicFor } from '../../src/address/index.js'
import { DeferredUpdates, messagesOf } from '../../src/history/index.js'
import { LINK_RECORD_LIMITS } from '../../src/transport/peer-guard.js'
import type { RecordLimits } from '../../src/transport/record-buckets.js'
import { FlooderProcess } from '../e2e/flood-harness.js'
import { openLocalTransport } from '../support/local-transport.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for the flooder to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
/** Messages the flooder writes at most, to a transaction, and a second: 40 s at its pace, under the minutes' rate. */
const FLOOD_COUNT = 360
const BATCH = 3
const PER_SECOND = 9
/** Claimed time between two messages, in ms: the pace an author's budget allows. */
const SPACING_MS = 500
/** The link's buckets with the hourly one a minute's worth: 120 records above 1 a second (7,200 at full scale). */
const SCALED_LIMITS: RecordLimits = { ...LINK_RECORD_LIMITS, hourlyBurst: 120 }

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('hourly-records')

describe('a stock peer flooding under the minutes’ rate, over WebRTC', () => {
  it('is cut off once the link’s hourly bucket is spent, and ignored', { timeout: 120_000 }, async () => {
    const room = signaling.topic()
    const doc = new Y.Doc()
    const changes = new DeferredUpdates(doc)
    signaling.track(() => changes.destroy())
    const local = openLocalTransport(signaling, topicFor({ name: room, secret: null }), changes, doc, undefined, {
      recordLimits: SCALED_LIMITS,
    })
    const flooder = await FlooderProcess.start({ room, signalingUrl: signaling.url() })
    signaling.track(() => flooder.close())
    await expect.poll(() => flooder.connectedLinks(), { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    // It stops once no link is left; on main it wrote all it would and kept its link.
    await flooder.floodPaced(FLOOD_COUNT, BATCH, SPACING_MS, PER_SECOND)
    expect(await flooder.connectedLinks()).toBe(0)
    const stats = local.transport.stats()
    expect([stats.bannedPeers, stats.refused.flooding > 0]).toEqual([1, true])
    // What it got in: the hourly bucket, and its rate over the time the flood can have lasted.
    const held = messagesOf(doc).length
    expect(held).toBeGreaterThan(0)
    expect(held).toBeLessThanOrEqual(SCALED_LIMITS.hourlyBurst + (FLOOD_COUNT / PER_SECOND) * SCALED_LIMITS.hourlyPerSecond)
  })
})
