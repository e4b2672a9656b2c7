// A large update from a peer is read once in the task it arrives in, over real WebRTC (Node,
// @roamhq/wrtc): the peer guard counts the records it brings and the plan of its slices cuts it,
// and each read the whole update (Y.parseUpdateMeta, Y.decodeUpdate: about 7.5 ms of CPU a
// thousand records, BENCHMARKS.md, Flood). Yjs's two readers are wrapped to count their calls, per
// task and per update (its bytes' place in memory); what they return is Yjs's own. Counted, not timed.
import { describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { topicFor } from '../../src/address/index.js'
import { DeferredUpdates } from '../../src/history/index.js'
import type { Transport } from '../../src/transport/index.js'
import { RELAYED_RECORDS_BURST } from '../../src/transport/relay.js'
import { SLICE_ABOVE_BYTES } from '../../src/transport/update-slices.js'
import { openLocalTransport } from '../support/local-transport.js'
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

const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 60_000
/** The shared array a child peer writes its texts to (node-peer-child.ts). */
const TEXTS = 'texts'
/** Records in the batch: several slices' worth, within what a Parley peer sends at once. */
const RECORDS = RELAYED_RECORDS_BURST - 10

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('read-once')

function open(topic: string, doc: Y.Doc): Transport {
  const changes = new DeferredUpdates(doc)
  const { transport } = openLocalTransport(signaling, topic, changes, doc)
  signaling.track(() => changes.destroy())
  return transport
}

const record = (k: number): string => `record ${k} `.padEnd(160, '.')

describe('a large update from a peer', () => {
  it('is read once in the task it arrives in: the guard’s count and the plan of its slices share the read', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    expect(SLICE_ABOVE_BYTES).toBe(4 * 1024)
    const topic = topicFor({ name: signaling.topic(), secret: null })
    const alice = await signaling.startPeer({ kind: 'parley', topic })
    const doc = new Y.Doc()
    const texts = doc.getArray<string>(TEXTS)
    texts.push(['held by Bob'])
    const bob = open(topic, doc)
    await expect.poll(() => bob.links().length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    reads.log.length = 0
    await alice.pushAll(Array.from({ length: RECORDS }, (_, k) => record(k)))
    await expect.poll(() => texts.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(RECORDS + 1)

    expect(bob.stats().framing.slicedMessages).toBeGreaterThanOrEqual(1)
    const perTaskAndUpdate = new Map<string, number>()
    for (const { task, update } of reads.log) perTaskAndUpdate.set(`${task} ${update}`, (perTaskAndUpdate.get(`${task} ${update}`) ?? 0) + 1)
    expect(perTaskAndUpdate.size).toBeGreaterThanOrEqual(1) // the batch was read (counted and cut)
    expect(Math.max(...perTaskAndUpdate.values())).toBe(1) // main: 2 (Y.parseUpdateMeta for the guard, Y.decodeUpdate for the plan)
  })
})
