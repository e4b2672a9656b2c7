// A hostile peer over real WebRTC that cuts each sync update short in its delete set: Yjs would
// integrate the update's records and only then fail on the delete set, so a guard that counted
// such an update as none let any number of records past the link's budgets. A stock y-webrtc peer
// in a child process sends the crafted messages, byte for byte, to a Parley transport in this
// process; the first is refused, and the link dropped and its peer ignored.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { DeferredUpdates } from '../../src/history/index.js'
import { RECORDS_BURST } from '../../src/transport/peer-guard.js'
import { openLocalTransport } from '../support/local-transport.js'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { syncMessage } from '../support/sync-message.js'

/** Time for the child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
/** Updates the hostile peer sends, and records in each: together more than a link's burst. */
const UPDATES = 8
const RECORDS_PER_UPDATE = 100

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('unreadable-updates')

/**
 * Sync updates of `RECORDS_PER_UPDATE` new records each by one writer (the first also the record it
 * deleted), each carrying the writer's delete set with its last byte cut off; and the writer's client id.
 */
function truncatedUpdates(): { messages: Uint8Array[]; writer: number } {
  const writer = new Y.Doc()
  const messages = writer.getArray('messages')
  messages.push([{ text: 'deleted' }])
  messages.delete(0, 1)
  const cut: Uint8Array[] = []
  let before: Uint8Array = new Uint8Array([0]) // an empty state vector: the first update holds the deleted record too
  for (let n = 0; n < UPDATES; n++) {
    messages.push(Array.from({ length: RECORDS_PER_UPDATE }, (_, index) => ({ text: `unbudgeted ${n}.${index}` })))
    const update = Y.encodeStateAsUpdate(writer, before)
    cut.push(syncMessage(2, update.subarray(0, update.byteLength - 1)))
    before = Y.encodeStateVector(writer)
  }
  return { messages: cut, writer: writer.clientID }
}

describe('a peer sending sync updates cut short in their delete set, over WebRTC', () => {
  it('gets none of their records in: the first is refused, its link dropped and its peer banned', { timeout: 90_000 }, async () => {
    const topic = signaling.topic()
    const doc = new Y.Doc()
    const changes = new DeferredUpdates(doc)
    signaling.track(() => changes.destroy())
    const local = openLocalTransport(signaling, topic, changes, doc)
    const remote = await signaling.startPeer({ kind: 'stock', topic, rtc: 'node-datachannel' })
    await expect.poll(() => local.transport.links().length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
    await expect.poll(async () => (await remote.state()).links.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)

    const { messages, writer } = truncatedUpdates()
    expect(UPDATES * RECORDS_PER_UPDATE).toBeGreaterThan(RECORDS_BURST)
    expect(await remote.sendRaw(messages)).toBeGreaterThan(0)
    // Settled once the peer is banned, or every record is in (on main: all of them, no refusal,
    // and y-webrtc's apply failing on each delete set after it wrote the records).
    const held = (): number => Y.getState(doc.store, writer)
    const settled = (): boolean => local.transport.stats().bannedPeers === 1 || held() > UPDATES * RECORDS_PER_UPDATE
    await expect.poll(settled, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
    expect(held()).toBe(0)
    const stats = local.transport.stats()
    expect([stats.refused.malformed, stats.bannedPeers]).toEqual([1, 1])
    await expect.poll(async () => (await remote.state()).links.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(0)
  })
})
