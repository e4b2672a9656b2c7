// A large update from a peer is applied in slices over real WebRTC (Node, node-datachannel): a Parley
// transport in this process gets hundreds of records a Parley peer in a child process wrote in
// one transaction (one update, as a relayed batch comes), and applies at most RECORDS_PER_SLICE of
// them in a task, every record in the order written, and reads it once in the task it arrives in
// (Yjs's two readers of a whole update are wrapped to count their calls; what they return is Yjs's
// own). Counted, not timed.
import { describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { topicFor } from '../../src/address/index.js'
import { DeferredUpdates } from '../../src/history/index.js'
import type { RtcImplementation, Transport } from '../../src/transport/index.js'
import { RECORDS_PER_SLICE, SLICE_ABOVE_BYTES } from '../../src/transport/update-slices.js'
import { RELAYED_RECORDS_BURST } from '../../src/transport/relay.js'
import { openLocalTransport } from '../support/local-transport.js'
import { nodeRtc } from '../support/node-rtc.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Per task (a number, closed by a posted message asked for at its first read) and update, the whole reads of updates over SLICE_ABOVE_BYTES. */
const reads = vi.hoisted(() => ({ log: [] as { task: number; update: string }[] }))

vi.mock('yjs', async (original) => {
  const yjs = await original<typeof import('yjs')>()
  let task: number | null = null
  let tasks = 0
  const buffers = new WeakMap<ArrayBufferLike, number>()
  const note = (update: Uint8Array): void => {
    if (update.byteLength <= 4 * 1024) return // SLICE_ABOVE_BYTES: the test checks it matches
    if (task === null) {
      task = tasks++
      const channel = new MessageChannel()
      channel.port1.onmessage = () => {
        channel.port1.close()
        task = null
      }
      channel.port2.postMessage(null)
    }
    if (!buffers.has(update.buffer)) buffers.set(update.buffer, reads.log.length)
    reads.log.push({ task, update: `${buffers.get(update.buffer)}:${update.byteOffset}:${update.byteLength}` })
  }
  return {
    ...yjs,
    decodeUpdate: (update: Uint8Array, ...rest: unknown[]) => {
      note(update)
      return (yjs.decodeUpdate as (...args: unknown[]) => ReturnType<typeof yjs.decodeUpdate>)(update, ...rest)
    },
    parseUpdateMeta: (update: Uint8Array) => {
      note(update)
      return yjs.parseUpdateMeta(update)
    },
  }
})

/** Time for two transports to link over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 60_000
/** The shared array a child peer writes its texts to (node-peer-child.ts). */
const TEXTS = 'texts'
/**
 * Records in the batch: several slices' worth, within what a Parley peer sends at once
 * (RELAYED_RECORDS_BURST: a larger batch is left to the digests, and a link that brings more
 * than RECORDS_BURST at once is cut off as flooding).
 */
const RECORDS = RELAYED_RECORDS_BURST - 10

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('sliced-updates')

/** A Parley transport in this process for `topic`, fed as a room feeds it; closed after the test. */
function open(topic: string, doc: Y.Doc, rtc?: RtcImplementation): Transport {
  const changes = new DeferredUpdates(doc)
  const { transport } = openLocalTransport(signaling, topic, changes, doc, rtc)
  signaling.track(() => changes.destroy())
  return transport
}

/** A record of about the size of a signed message. */
function record(k: number): string {
  return `record ${k} `.padEnd(160, '.')
}

/**
 * The records each task added to `doc`, as far as a probe can tell: a task's count is closed by a
 * posted message asked for at its first change, so work of a later task that runs before that
 * message is counted with it (never less than a task did).
 */
function recordsPerTask(doc: Y.Doc): number[] {
  const counts: number[] = []
  let current: number | null = null
  doc.on('afterTransaction', (transaction: Y.Transaction) => {
    let added = 0
    for (const [client, clock] of transaction.afterState) added += clock - (transaction.beforeState.get(client) ?? 0)
    if (added === 0) return
    if (current === null) {
      current = counts.push(0) - 1
      const channel = new MessageChannel()
      channel.port1.onmessage = () => {
        channel.port1.close()
        current = null
      }
      channel.port2.postMessage(null)
    }
    counts[current] += added
  })
  return counts
}

/** `count` records, numbered from 0. */
function records(count: number): string[] {
  return Array.from({ length: count }, (_, k) => record(k))
}

/** A Parley peer in a child process (Alice) linked to a transport here (Bob, over `rtc`), whose records per task are counted. */
async function linkedPair(rtc?: RtcImplementation, held: readonly string[] = []) {
  const topic = topicFor({ name: signaling.topic(), secret: null })
  const alice = await signaling.startPeer({ kind: 'parley', topic })
  const doc = new Y.Doc()
  const texts = doc.getArray<string>(TEXTS)
  texts.push([...held])
  const perTask = recordsPerTask(doc)
  const bob = open(topic, doc, rtc)
  await expect.poll(() => bob.links().length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
  return { alice, doc, texts, perTask, bob }
}

describe('a large update from a peer', () => {
  it('is applied a slice a task, every record in order', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { alice, texts, perTask, bob } = await linkedPair()
    await alice.pushAll(records(RECORDS))
    await expect.poll(() => texts.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(RECORDS)

    expect(texts.toArray()).toEqual(records(RECORDS))
    expect(Math.max(...perTask)).toBeLessThanOrEqual(RECORDS_PER_SLICE) // before slicing: all in one task
    expect(perTask.length).toBeGreaterThanOrEqual(Math.ceil(RECORDS / RECORDS_PER_SLICE))
    expect(bob.stats().framing.slicedMessages).toBeGreaterThanOrEqual(1)
  })

  it('is read once in the task it arrives in: the guard’s count and the plan of its slices share the read', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    expect(SLICE_ABOVE_BYTES).toBe(4 * 1024) // what the wrapped readers leave out
    const { alice, texts, bob } = await linkedPair()
    reads.log.length = 0
    await alice.pushAll(records(RECORDS))
    await expect.poll(() => texts.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(RECORDS)

    expect(bob.stats().framing.slicedMessages).toBeGreaterThanOrEqual(1)
    const perTaskAndUpdate = new Map<string, number>()
    for (const { task, update } of reads.log)
      perTaskAndUpdate.set(`${task} ${update}`, (perTaskAndUpdate.get(`${task} ${update}`) ?? 0) + 1)
    expect(perTaskAndUpdate.size).toBeGreaterThanOrEqual(1) // the batch was read (counted and cut)
    expect(Math.max(...perTaskAndUpdate.values())).toBe(1) // main: 2 (Y.parseUpdateMeta for the guard, Y.decodeUpdate for the plan)
  })
})

/** Records a peer writes at once past what it relays (RELAYED_RECORDS_BURST): left to the digests, whose repair brings them. */
const REPAIRED = RELAYED_RECORDS_BURST + 150

/**
 * What Bob holds before he links, so that his first request is not fresh: answers on a link whose
 * first request was (a joiner's) are applied whole, however late (PeerGuard.historyDue).
 */
const HELD = ['held by Bob']

/** Alice's records among what Bob holds, in the document's order. */
const alicesOf = (texts: Y.Array<string>): string[] => texts.toArray().filter((text) => !HELD.includes(text))

describe('the answer to a request', () => {
  it('is applied a slice a task when it repairs (a batch left to the digests), every record in order', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    const { alice, texts, perTask, bob } = await linkedPair(undefined, HELD)
    // Too many for Alice to send at once: her digest round makes Bob ask, and she answers with a step 2.
    await alice.pushAll(records(REPAIRED))
    await expect.poll(() => texts.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(HELD.length + REPAIRED)

    expect(bob.stats().relay.repairRequests).toBeGreaterThanOrEqual(1)
    expect(alicesOf(texts)).toEqual(records(REPAIRED))
    expect(Math.max(...perTask)).toBeLessThanOrEqual(RECORDS_PER_SLICE) // on main: the answer whole, all in one task
    expect(bob.stats().framing.slicedMessages).toBeGreaterThanOrEqual(1)
  })

  it('is applied whole when it is the history a joiner asked for', { timeout: TEST_TIMEOUT_MS }, async () => {
    const topic = topicFor({ name: signaling.topic(), secret: null })
    const alice = await signaling.startPeer({ kind: 'parley', topic })
    await alice.pushAll(records(REPAIRED))
    const doc = new Y.Doc()
    const texts = doc.getArray<string>(TEXTS)
    const perTask = recordsPerTask(doc)
    const bob = open(topic, doc)
    await expect.poll(() => texts.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(REPAIRED)

    expect(Math.max(...perTask)).toBe(REPAIRED)
    expect(bob.stats().framing.slicedMessages).toBe(0)
  })
})

/** Records of a repair's answer cut into many slices, so that a link closing in the first one's turn closes before the last. */
const MANY_SLICES = RECORDS_PER_SLICE * 30

describe('a link that closes between the slices of a message', () => {
  it('still has every slice applied, the sender gone for good', { timeout: TEST_TIMEOUT_MS }, async () => {
    const connections: RTCPeerConnection[] = []
    const base: RtcImplementation = nodeRtc('node-datachannel')
    class Recorded extends base.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config)
        connections.push(this)
      }
    }
    const { alice, doc, texts, bob } = await linkedPair({ ...base, RTCPeerConnection: Recorded }, HELD)
    // As the first slice lands, Alice goes for good and Bob's link to her closes: nobody else holds the rest.
    let closedAt: number | null = null
    doc.on('afterTransaction', () => {
      if (closedAt !== null || texts.length === HELD.length) return
      closedAt = texts.length - HELD.length
      void alice.kill()
      for (const connection of connections) connection.close()
    })
    await alice.pushAll(records(MANY_SLICES))
    await expect.poll(() => bob.stats().framing.slicedMessages, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    await expect.poll(() => texts.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(HELD.length + MANY_SLICES) // on main: the rest dropped

    expect(closedAt).toBeLessThanOrEqual(RECORDS_PER_SLICE)
    expect(bob.links()).toHaveLength(0)
    expect(bob.stats().framing.orphanedSlices).toBeGreaterThanOrEqual(1)
    expect(alicesOf(texts)).toEqual(records(MANY_SLICES))
  })
})
