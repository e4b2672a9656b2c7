// The cached answers to fresh joiners' sync requests: the same bytes y-webrtc would send, the
// document encoded once while it is unchanged, and what changed since sent beside it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { readSyncMessage, writeSyncStep1 } from 'y-protocols/sync'
import * as Y from 'yjs'
import { PART_BYTES, PARTED_MAX_BYTES } from '../../src/transport/answer-parts.js'
import { Framing } from '../../src/transport/framing.js'
import { DeflatedMessage } from '../../src/transport/framing-deflate.js'
import {
  CACHE_KEEP_MS,
  SyncReplies,
  WARM_QUIET_MS,
  isFreshSyncRequest,
  syncStep2Message,
  type SyncReply,
  type WarmOptions,
} from '../../src/transport/sync-replies.js'

/** A sync request as y-webrtc writes it (message type 0, then step 1) for `doc`'s state. */
function syncRequest(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  writeSyncStep1(encoder, doc)
  return encoding.toUint8Array(encoder)
}

/** What y-webrtc answers `request` with for `doc` (its readMessage, for a sync message). */
function yWebrtcAnswer(doc: Y.Doc, request: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(request)
  decoding.readVarUint(decoder)
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  readSyncMessage(decoder, encoder, doc, null)
  return encoding.toUint8Array(encoder)
}

/** The bytes of a message of an answer (a message held deflated is inflated, as framing does for a peer that takes it plain). */
async function bytesOf(message: SyncReply | Uint8Array): Promise<Uint8Array> {
  const bytes = message instanceof DeflatedMessage ? await message.inflated() : message
  if (bytes === null) throw new Error('a message held deflated did not inflate')
  return bytes
}

/** Applies y-webrtc sync messages to a fresh document, as a joiner does. */
async function joinerOf(messages: readonly (SyncReply | Uint8Array)[]): Promise<Y.Doc> {
  const joiner = new Y.Doc()
  for (const message of messages) {
    const decoder = decoding.createDecoder(await bytesOf(message))
    expect(decoding.readVarUint(decoder)).toBe(0)
    readSyncMessage(decoder, encoding.createEncoder(), joiner, 'peer')
  }
  return joiner
}

function roomOf(count: number): Y.Doc {
  const doc = new Y.Doc()
  doc.getArray<string>('messages').push(Array.from({ length: count }, (_, index) => `message ${index}`))
  return doc
}

const contents = (doc: Y.Doc) => doc.getArray<string>('messages').toArray()

/** Bytes in a history of realistic size: chat records with a random id and signature each, as the room stores them (deflate takes about half off). */
const REALISTIC_MESSAGES = 10_000

/** A room of `count` chat records: id, author, time, text and a signature (random bytes in base64url do not deflate). */
function realisticRoom(count: number): Y.Doc {
  let seed = 7
  const random = (): number => {
    // xorshift32: the same history every run
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return (seed >>> 0) / 2 ** 32
  }
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const randomText = (length: number): string => Array.from({ length }, () => chars[Math.floor(random() * 64)]).join('')
  const doc = new Y.Doc()
  doc.getArray<Record<string, unknown>>('records').push(
    Array.from({ length: count }, (_, index) => ({
      id: randomText(21),
      author: 'Seeder',
      at: 1_700_000_000_000 + index * 1_000,
      text: `message ${index} of the seeded history, a line of chat`,
      signature: randomText(86),
    })),
  )
  return doc
}

/** Waits (real time) until `done` holds, or fails after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error('until: the condition never held')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Runs idle callbacks asked for, and those they ask for, until none is left (a warm-up takes a step an idle callback). */
function idleAll(idle: Array<() => void>): void {
  for (let task = idle.shift(); task !== undefined; task = idle.shift()) task()
}

describe('sync replies', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('knows a fresh joiner’s request from any other message', () => {
    expect(isFreshSyncRequest(syncRequest(new Y.Doc()))).toBe(true)
    expect(isFreshSyncRequest(syncRequest(new Y.Doc()).slice().buffer)).toBe(true)
    expect(isFreshSyncRequest(syncRequest(roomOf(1)))).toBe(false)
    for (const other of [
      Uint8Array.of(0, 1, 1, 0),
      Uint8Array.of(0, 0, 1, 0, 0),
      Uint8Array.of(1, 0, 1, 0),
      '\u0000\u0000\u0001\u0000',
      null,
    ])
      expect(isFreshSyncRequest(other)).toBe(false)
  })

  it('answers with the bytes y-webrtc would send, encoding the document once while it is unchanged', () => {
    const doc = roomOf(500)
    const replies = new SyncReplies(doc)
    const first = replies.reply()
    expect(first).toHaveLength(1)
    expect(first[0]).toEqual(yWebrtcAnswer(doc, syncRequest(new Y.Doc())))
    const second = replies.reply()
    expect(second[0]).toBe(first[0])
    expect(replies.stats).toMatchObject({ answered: 2, encoded: 1, encodedAhead: 0, warmUps: 0 })
    replies.destroy()
  })

  it('sends what changed since beside the cached document, and encodes it again once that grows', async () => {
    const doc = roomOf(500)
    const replies = new SyncReplies(doc)
    const [cached] = replies.reply()
    doc.getArray<string>('messages').push(['one more'])
    doc.getArray<string>('messages').delete(0, 2)
    const withChanges = replies.reply()
    expect(withChanges).toHaveLength(2)
    expect(withChanges[0]).toBe(cached)
    expect(contents(await joinerOf(withChanges))).toEqual(contents(doc))
    expect(replies.reply()[1]).toBe(withChanges[1]) // unchanged since: the same second part
    doc.getArray<string>('messages').push(Array.from({ length: 400 }, (_, index) => `later ${index}`))
    const encodedAgain = replies.reply()
    expect(encodedAgain).toHaveLength(1)
    expect(contents(await joinerOf(encodedAgain))).toEqual(contents(doc))
    expect(replies.stats).toMatchObject({ answered: 4, encoded: 2, encodedAhead: 0, warmUps: 0 })
    replies.destroy()
  })

  it('lets go of the cache after a while without requests, and stops listening when destroyed', () => {
    vi.useFakeTimers()
    const doc = roomOf(10)
    const replies = new SyncReplies(doc)
    const [first] = replies.reply()
    vi.advanceTimersByTime(CACHE_KEEP_MS - 1)
    expect(replies.reply()[0]).toBe(first) // a request keeps it another while
    vi.advanceTimersByTime(CACHE_KEEP_MS)
    expect(replies.reply()[0]).not.toBe(first)
    expect(replies.stats.encoded).toBe(2)
    replies.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps the answer warm: once the document is quiet and the page idle, it is encoded and prepared before anyone asks', async () => {
    vi.useFakeTimers()
    const doc = roomOf(500)
    const prepared: Uint8Array[] = []
    const idle: Array<() => void> = []
    const warm: WarmOptions = {
      prepare: (message) => {
        prepared.push(message)
        return message
      },
      whenIdle: (task) => idle.push(task),
    }
    const replies = new SyncReplies(doc, { warm })
    const messages = doc.getArray<string>('messages')
    messages.push(['a change'])
    vi.advanceTimersByTime(WARM_QUIET_MS - 1)
    messages.push(['another, before the room went quiet']) // the wait starts again
    vi.advanceTimersByTime(WARM_QUIET_MS - 1)
    expect(idle).toHaveLength(0)
    vi.advanceTimersByTime(1)
    expect(replies.stats.encoded).toBe(0) // quiet now, but the page is not idle yet
    idleAll(idle)
    expect(replies.stats).toMatchObject({ answered: 0, encoded: 1, encodedAhead: 1, warmUps: 1 })
    expect(prepared).toHaveLength(1)
    const answer = replies.reply()
    expect(answer).toEqual(prepared)
    expect(answer[0]).toBe(prepared[0]) // the very object prepared: framing deflated it already
    expect(contents(await joinerOf(answer))).toEqual(contents(doc))
    expect(replies.stats.encoded).toBe(1)

    // A chat line later: only what changed is encoded ahead, the whole document is kept as it was.
    messages.push(['a line of chat'])
    vi.advanceTimersByTime(WARM_QUIET_MS)
    idleAll(idle)
    expect(prepared).toHaveLength(3)
    expect(prepared[1]).toBe(answer[0])
    const afterChat = replies.reply()
    expect(afterChat).toEqual([prepared[1], prepared[2]])
    expect(afterChat[1]).toBe(prepared[2])
    expect(contents(await joinerOf(afterChat))).toEqual(contents(doc))
    expect(replies.stats).toMatchObject({ answered: 2, encoded: 1, encodedAhead: 1, warmUps: 2 })

    // Kept while the room is open, however long nobody asks.
    vi.advanceTimersByTime(10 * CACHE_KEEP_MS)
    expect(replies.reply()[0]).toBe(answer[0])
    replies.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('warms a history that was in the document before the cache was made, with no change after it', () => {
    // The transport's code loads after the room opened its document: a history stored, or written
    // meanwhile, is in already (the flaky e2e warm-up: no change came after, and it never warmed).
    vi.useFakeTimers()
    const doc = roomOf(500)
    const idle: Array<() => void> = []
    const replies = new SyncReplies(doc, { warm: { whenIdle: (task) => idle.push(task) } })
    vi.advanceTimersByTime(WARM_QUIET_MS - 1)
    expect(idle).toHaveLength(0)
    vi.advanceTimersByTime(1)
    idleAll(idle)
    expect(replies.stats).toMatchObject({ answered: 0, encoded: 1, encodedAhead: 1, warmUps: 1 })
    // An empty document has nothing to warm until something is written.
    const empty = new SyncReplies(new Y.Doc(), { warm: { whenIdle: (task) => idle.push(task) } })
    vi.advanceTimersByTime(WARM_QUIET_MS)
    expect(idle).toHaveLength(0)
    replies.destroy()
    empty.destroy()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('waits for the quiet before a warm-up without a timer call in each change, only in its own timer', () => {
    vi.useFakeTimers()
    const doc = roomOf(50)
    const idle: Array<() => void> = []
    const replies = new SyncReplies(doc, { warm: { whenIdle: (task) => idle.push(task) } })
    vi.advanceTimersByTime(WARM_QUIET_MS) // the history it was made with, warmed first
    idleAll(idle)
    const messages = doc.getArray<string>('messages')
    // A chat: ten lines a second apart, each an arrival whose way to the log its timer calls were on.
    const inChanges: string[] = []
    const { setTimeout: set, clearTimeout: clear } = globalThis
    for (let line = 0; line < 10; line++) {
      const calls = { set: 0, cleared: 0 }
      // The fake timers' own functions, counted during the change alone (put back before they are).
      globalThis.setTimeout = ((...args: Parameters<typeof set>) => {
        calls.set++
        return set(...args)
      }) as typeof set
      globalThis.clearTimeout = ((...args: Parameters<typeof clear>) => {
        calls.cleared++
        clear(...args)
      }) as typeof clear
      try {
        messages.push([`line ${line}`])
      } finally {
        globalThis.setTimeout = set
        globalThis.clearTimeout = clear
      }
      inChanges.push(`${calls.set} set, ${calls.cleared} cleared`)
      vi.advanceTimersByTime(1_000)
    }
    expect(inChanges).toEqual(['1 set, 0 cleared', ...Array.from({ length: 9 }, () => '0 set, 0 cleared')])
    // Quiet from the last line on: warmed WARM_QUIET_MS after it, not before.
    vi.advanceTimersByTime(WARM_QUIET_MS - 1_000 - 1)
    expect(idle).toHaveLength(0)
    vi.advanceTimersByTime(1)
    idleAll(idle)
    expect(replies.stats.warmUps).toBe(2)
  })

  it('holds only the deflated answer once framing prepared it, a fraction of the raw one, and answers completely from it', {
    timeout: 30_000,
  }, async () => {
    const doc = realisticRoom(REALISTIC_MESSAGES)
    const framing = new Framing()
    const replies = new SyncReplies(doc, { warm: { prepare: (message) => framing.prepare(message), quietMs: 1 } })
    const raw = syncStep2Message(Y.encodeStateAsUpdate(doc))
    const records = doc.getArray<Record<string, unknown>>('records')
    records.push([{ id: 'x', text: 'a change, then the room goes quiet' }])
    await until(() => replies.stats.warmUps === 1 && replies.stats.preparingMs > 0)
    // Held: the deflated bytes and the state vector, not the raw step 2 beside them.
    expect(replies.stats.heldBytes).toBeGreaterThan(0)
    expect(replies.stats.heldBytes).toBeLessThan(raw.byteLength * 0.6)
    const [whole, ...rest] = replies.reply()
    expect(rest).toHaveLength(0)
    expect(whole).toBeInstanceOf(DeflatedMessage)
    // What y-webrtc would send, but for the one item of 10,000 records, which comes in pieces of a warm-up's step (stepped-encoding.ts).
    const warmed = await joinerOf([whole])
    const stock = await joinerOf([yWebrtcAnswer(doc, syncRequest(new Y.Doc())) as Uint8Array<ArrayBuffer>])
    expect(warmed.getArray('records').toJSON()).toEqual(records.toJSON())
    expect(Buffer.compare(Y.encodeStateVector(warmed), Y.encodeStateVector(stock))).toBe(0)
    expect(Buffer.compare(Y.encodeStateAsUpdate(warmed), Y.encodeStateAsUpdate(stock))).toBe(0)

    // A line of chat: only what changed is encoded, against the state vector kept beside the deflated bytes.
    records.push([{ id: 'y', text: 'a line of chat' }])
    await until(() => replies.stats.warmUps === 2)
    const afterChat = replies.reply()
    expect(afterChat).toHaveLength(2)
    expect(afterChat[0]).toBe(whole)
    expect((await joinerOf(afterChat)).getArray('records').toJSON()).toEqual(records.toJSON())
    expect(replies.stats).toMatchObject({ encoded: 1, encodedAhead: 1 })
    expect(replies.stats.heldBytes).toBeLessThan(raw.byteLength * 0.6)
    replies.destroy()
    expect(replies.stats.heldBytes).toBe(0)
  })

  it('answers a large history in parts along its records, oldest first, which a joiner applies one by one as they come', {
    timeout: 30_000,
  }, async () => {
    const doc = realisticRoom(REALISTIC_MESSAGES)
    const records = doc.getArray<Record<string, unknown>>('records')
    const framing = new Framing()
    const replies = new SyncReplies(doc, {
      warm: { prepare: (message) => framing.prepare(message), quietMs: 1 },
      order: doc.getArray('records'),
    })
    records.push([{ id: 'x', text: 'a change, then the room goes quiet' }])
    await until(() => replies.stats.warmUps === 1 && replies.stats.preparingMs > 0)
    const answer = replies.reply()
    expect(answer.length).toBeGreaterThanOrEqual(3)
    // Each part was deflated ahead, once.
    for (const part of answer) expect(part).toBeInstanceOf(DeflatedMessage)
    expect(replies.stats).toMatchObject({ encoded: 1, encodedAhead: 1 })
    // Each part integrates as it comes (nothing waits for a later one) and brings older records first.
    const joiner = new Y.Doc()
    const held: number[] = []
    for (const part of answer) {
      const decoder = decoding.createDecoder(await bytesOf(part))
      expect(decoding.readVarUint(decoder)).toBe(0)
      readSyncMessage(decoder, encoding.createEncoder(), joiner, 'peer')
      expect(joiner.store.pendingStructs).toBeNull()
      held.push(joiner.getArray('records').length)
    }
    for (let index = 1; index < held.length; index++) expect(held[index]).toBeGreaterThan(held[index - 1])
    expect(joiner.getArray('records').toJSON()).toEqual(records.toJSON())
    // Older joiners count the parts after the first two against a link's byte budget: they stay within PARTED_MAX_BYTES.
    const plain = await Promise.all(answer.map(bytesOf))
    expect(plain.slice(2).reduce((sum, part) => sum + part.byteLength, 0)).toBeLessThanOrEqual(PARTED_MAX_BYTES)
    replies.destroy()
  })

  it('answers in parts of about PART_BYTES each, however large the history; an older Parley joiner with the first part it takes', {
    timeout: 60_000,
  }, async () => {
    const doc = realisticRoom(4 * REALISTIC_MESSAGES)
    const records = doc.getArray<Record<string, unknown>>('records')
    const whole = Y.encodeStateAsUpdate(doc).byteLength
    expect(whole).toBeGreaterThan(2 * PARTED_MAX_BYTES) // an older joiner's answer is cut otherwise
    const replies = new SyncReplies(doc, { order: doc.getArray('records') })
    const parts = await Promise.all(replies.reply().map(bytesOf))
    // Each applied in a task of its own by the joiner: none holds much more than PART_BYTES
    // (on main the first held everything but the last PARTED_MAX_BYTES, 5 MB of 7).
    expect(parts.length).toBeGreaterThan(whole / PART_BYTES - 2)
    for (const part of parts) expect(part.byteLength).toBeLessThan(1.5 * PART_BYTES)
    expect((await joinerOf(parts)).getArray('records').toJSON()).toEqual(records.toJSON())
    // An older Parley joiner frees the first two steps 2 and counts the rest: it gets the answer cut as before.
    const answer = replies.answer()
    expect(answer.messages).toHaveLength(parts.length) // the same cached messages
    const older = await Promise.all((answer.forOlderPeers?.() ?? []).map(bytesOf))
    expect(older.length).toBeGreaterThan(2)
    expect(older.slice(2).reduce((sum, part) => sum + part.byteLength, 0)).toBeLessThanOrEqual(PARTED_MAX_BYTES)
    expect(older[0].byteLength).toBeGreaterThan(whole / 2)
    expect((await joinerOf(older)).getArray('records').toJSON()).toEqual(records.toJSON())
    // Kept while the document is unchanged, encoded again after a change.
    expect(answer.forOlderPeers?.()[0]).toBe(older[0])
    expect(replies.stats).toMatchObject({ answered: 2, encoded: 1, encodedForOlder: 1 })
    records.push([{ id: 'y', text: 'a change' }])
    const changed = replies.answer().forOlderPeers?.() ?? []
    expect(changed[0]).not.toBe(older[0])
    expect((await joinerOf(changed)).getArray('records').toJSON()).toEqual(records.toJSON())
    expect(replies.stats.encodedForOlder).toBe(2)
    replies.destroy()
    // A history whose parts after the first two fit what older joiners take has one answer for all.
    const small = realisticRoom(REALISTIC_MESSAGES)
    const smallReplies = new SyncReplies(small, { order: small.getArray('records') })
    const smallAnswer = smallReplies.answer()
    expect(smallAnswer.messages.length).toBeGreaterThan(2)
    expect(smallAnswer.forOlderPeers).toBeUndefined()
    smallReplies.destroy()
  })

  it('does not warm a document too large to hold, and lets its answer go as before', () => {
    vi.useFakeTimers()
    const doc = roomOf(500)
    const idle: Array<() => void> = []
    const replies = new SyncReplies(doc, { warm: { maxBytes: 1000, whenIdle: (task) => idle.push(task) } })
    doc.getArray<string>('messages').push(['a change'])
    vi.advanceTimersByTime(WARM_QUIET_MS)
    idleAll(idle)
    expect(replies.stats).toMatchObject({ encoded: 1, encodedAhead: 1 }) // its size is known only once encoded
    const [first] = replies.reply()
    vi.advanceTimersByTime(CACHE_KEEP_MS)
    doc.getArray<string>('messages').push(['another change'])
    vi.advanceTimersByTime(WARM_QUIET_MS)
    expect(idle).toHaveLength(0) // too large: no more warm-ups
    expect(replies.reply()[0]).not.toBe(first) // let go after the keep time
    expect(replies.stats).toMatchObject({ answered: 2, encoded: 2, encodedAhead: 1, warmUps: 1 })
    replies.destroy()
  })

  it('warms nothing after destroy, and nothing while the answer is up to date', () => {
    vi.useFakeTimers()
    const doc = roomOf(10)
    const idle: Array<() => void> = []
    const replies = new SyncReplies(doc, { warm: { whenIdle: (task) => idle.push(task) } })
    replies.reply()
    doc.transact(() => {}) // a transaction that wrote nothing
    vi.advanceTimersByTime(WARM_QUIET_MS)
    expect(idle).toHaveLength(0)
    doc.getArray<string>('messages').push(['a change'])
    vi.advanceTimersByTime(WARM_QUIET_MS)
    replies.destroy()
    idle.shift()?.()
    expect(replies.stats.warmUps).toBe(0)
  })
})
