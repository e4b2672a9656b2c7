// The cached answers to fresh joiners' sync requests: the same bytes y-webrtc would send, the
// document encoded once while it is unchanged, and what changed since sent beside it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { readSyncMessage, writeSyncStep1 } from 'y-protocols/sync'
import * as Y from 'yjs'
import { CACHE_KEEP_MS, SyncReplies, isFreshSyncRequest } from '../../src/transport/sync-replies.js'

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

/** Applies y-webrtc sync messages to a fresh document, as a joiner does. */
function joinerOf(messages: Uint8Array[]): Y.Doc {
  const joiner = new Y.Doc()
  for (const message of messages) {
    const decoder = decoding.createDecoder(message)
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
    expect(replies.stats).toEqual({ answered: 2, encoded: 1 })
    replies.destroy()
  })

  it('sends what changed since beside the cached document, and encodes it again once that grows', () => {
    const doc = roomOf(500)
    const replies = new SyncReplies(doc)
    const [cached] = replies.reply()
    doc.getArray<string>('messages').push(['one more'])
    doc.getArray<string>('messages').delete(0, 2)
    const withChanges = replies.reply()
    expect(withChanges).toHaveLength(2)
    expect(withChanges[0]).toBe(cached)
    expect(contents(joinerOf(withChanges))).toEqual(contents(doc))
    expect(replies.reply()[1]).toBe(withChanges[1]) // unchanged since: the same second part
    doc.getArray<string>('messages').push(Array.from({ length: 400 }, (_, index) => `later ${index}`))
    const encodedAgain = replies.reply()
    expect(encodedAgain).toHaveLength(1)
    expect(contents(joinerOf(encodedAgain))).toEqual(contents(doc))
    expect(replies.stats).toEqual({ answered: 4, encoded: 2 })
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
})
