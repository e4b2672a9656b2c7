// What the reloading tab's y-webrtc gets from its sibling tabs over lib0's BroadcastChannel while
// its stored history loads and after. The room here is y-webrtc's Room as far as the module sees it
// (its subscriber records what reaches it); the channel is lib0's, and the sibling posts on a
// BroadcastChannel of its own (Node's, as another tab would). Two tabs of real y-webrtc sync over
// it in test/e2e/reload-sibling.test.ts.
import { afterEach, describe, expect, it } from 'vitest'
import * as bc from 'lib0/broadcastchannel'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { MAX_ASKS, SiblingSyncAfterLoad, type SiblingRoom } from '../../src/transport/sibling-sync-after-load.js'
import { writtenSyncMessage } from '../support/sync-message.js'

/** Time for a posted message to reach the other channel, in ms. */
const DELIVERY_TIMEOUT_MS = 5_000

/** A sync step 2 carrying `update`, as y-protocols writes one. */
const answer = (update: Uint8Array) =>
  writtenSyncMessage((encoder) => {
    encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2)
    encoding.writeVarUint8Array(encoder, update)
  })
const change = (update: Uint8Array) => writtenSyncMessage((encoder) => syncProtocol.writeUpdate(encoder, update))

/** Writes `count` records of a writer of its own into `doc`. */
function write(doc: Y.Doc, count: number): void {
  const writer = new Y.Doc()
  Y.applyUpdate(writer, Y.encodeStateAsUpdate(doc))
  writer.getArray<number>('a').push(Array.from({ length: count }, (_, index) => index))
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(doc)))
}

const opened: Array<() => void> = []
afterEach(() => {
  for (const close of opened.splice(0)) close()
})

/** A room connected to lib0's channel as y-webrtc connects it, a sibling's channel, and what reached y-webrtc or was posted. */
function tabs(doc: Y.Doc) {
  const name = `sibling-sync-${Math.random().toString(36).slice(2)}`
  const delivered: Uint8Array[] = []
  const room: SiblingRoom = {
    name,
    key: null,
    doc,
    bcconnected: true,
    // Not this tab's own requests, which lib0 hands back to it (y-webrtc answers them with nothing).
    _bcSubscriber: (data) => {
      const bytes = new Uint8Array(data)
      if (bytes[0] !== 0 || bytes[1] !== syncProtocol.messageYjsSyncStep1) delivered.push(bytes)
    },
  }
  bc.subscribe(name, room._bcSubscriber)
  const sibling = new BroadcastChannel(name)
  const posted: Uint8Array[] = []
  sibling.onmessage = (event: MessageEvent) => posted.push(new Uint8Array(event.data as Uint8Array))
  opened.push(() => {
    bc.unsubscribe(name, room._bcSubscriber)
    sibling.close()
  })
  return { room, delivered, posted, post: (message: Uint8Array) => sibling.postMessage(message) }
}

/** The state vector a sync request names. */
function requested(message: Uint8Array): Map<number, number> {
  const decoder = decoding.createDecoder(message)
  expect(decoding.readVarUint(decoder)).toBe(0)
  expect(decoding.readVarUint(decoder)).toBe(syncProtocol.messageYjsSyncStep1)
  return Y.decodeStateVector(decoding.readVarUint8Array(decoder))
}

/**
 * A tab whose room connected mid-load (attached before the load settles) and whose stored history
 * of `records` is then loaded; the sibling posts on its own channel.
 */
function loadedTab(records: number, options?: { watchMs?: number }) {
  const history = new Y.Doc()
  write(history, records)
  const doc = new Y.Doc()
  const sync = new SiblingSyncAfterLoad(Promise.resolve(), options)
  const sides = tabs(doc)
  sync.attach(sides.room)
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(history))
  return { ...sides, history, sync }
}

describe('SiblingSyncAfterLoad', () => {
  it('drops siblings’ answers while loading, holds their changes until loaded, passes the rest, and asks once loaded', async () => {
    const history = new Y.Doc()
    write(history, 100)
    write(history, 100)
    const doc = new Y.Doc()
    let loaded = (): void => {}
    const sync = new SiblingSyncAfterLoad(new Promise<void>((resolve) => (loaded = resolve)))
    const { room, delivered, posted, post } = tabs(doc)
    sync.attach(room)
    // Mid-load: the sibling's answer to the room's request (nothing loaded: the whole history), a change, awareness.
    const news = new Y.Doc()
    write(news, 1)
    post(answer(Y.encodeStateAsUpdate(history)))
    post(change(Y.encodeStateAsUpdate(news)))
    post(Uint8Array.of(1, 0))
    await expect.poll(() => delivered.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    expect(delivered[0]).toEqual(Uint8Array.of(1, 0))
    expect(sync.stats).toMatchObject({ answersSetAside: 1, requestsAfterLoad: 0 })
    expect(posted).toEqual([])
    // Loaded: the change goes to y-webrtc, and one request, naming the whole document, to the siblings.
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(history))
    loaded()
    await expect.poll(() => posted.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    expect(requested(posted[0])).toEqual(Y.decodeStateVector(Y.encodeStateVector(doc)))
    await expect.poll(() => delivered.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(2)
    expect(delivered[1]).toEqual(change(Y.encodeStateAsUpdate(news)))
    sync.destroy()
  })

  it('after the load, drops an answer repeating what the document holds and asks again; the answer to what it lacks goes through', async () => {
    const { history, sync, delivered, posted, post } = loadedTab(100)
    await expect.poll(() => posted.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    // The sibling's late answer to the mid-load request: from the start of what the page holds.
    post(answer(Y.encodeStateAsUpdate(history)))
    await expect.poll(() => posted.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(2)
    expect(delivered).toEqual([])
    expect(sync.stats).toMatchObject({ answersSetAside: 1, requestsAfterLoad: 2 })
    // The answer to the request: what the sibling wrote since, from where the page's clocks end.
    const before = Y.encodeStateVector(history)
    write(history, 5)
    const lacking = answer(Y.encodeStateAsUpdate(history, before))
    post(lacking)
    await expect.poll(() => delivered.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    expect(delivered[0]).toEqual(lacking)
    sync.destroy()
  })

  it(`asks at most ${MAX_ASKS} times, then hands everything to y-webrtc`, async () => {
    const { history, sync, delivered, posted, post } = loadedTab(10)
    const repeat = answer(Y.encodeStateAsUpdate(history))
    for (let asked = 1; asked < MAX_ASKS; asked++) {
      await expect.poll(() => posted.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(asked)
      post(repeat)
    }
    await expect.poll(() => posted.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(MAX_ASKS)
    post(repeat)
    await expect.poll(() => delivered.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    expect(sync.stats.requestsAfterLoad).toBe(MAX_ASKS)
    sync.destroy()
  })

  it('stops looking once the last request is past its watch: a later answer goes to y-webrtc unread', async () => {
    const watchMs = 200
    const { history, sync, delivered, posted, post } = loadedTab(10, { watchMs })
    await expect.poll(() => posted.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 2 * watchMs))
    // Before: every sibling message was read (and decrypted, in a private room) until MAX_ASKS requests.
    post(answer(Y.encodeStateAsUpdate(history)))
    await expect.poll(() => delivered.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    expect(sync.stats).toMatchObject({ answersSetAside: 0, requestsAfterLoad: 1 })
    sync.destroy()
  })

  it('does nothing once the history was loaded before the room connected', async () => {
    const loaded = Promise.resolve()
    const sync = new SiblingSyncAfterLoad(loaded)
    await loaded
    const history = new Y.Doc()
    write(history, 10)
    const { room, delivered, post } = tabs(new Y.Doc())
    sync.attach(room)
    post(answer(Y.encodeStateAsUpdate(history)))
    await expect.poll(() => delivered.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(1)
    expect(sync.stats).toEqual({ answersSetAside: 0, bytesSetAside: 0, requestsAfterLoad: 0 })
  })
})
