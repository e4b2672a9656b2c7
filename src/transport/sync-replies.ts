// Answers to a fresh joiner's sync request, encoded once per state of the document: encoding a
// room of 10,000 messages takes 0.1-0.6 s, and every late joiner asked for the same bytes.
//
// A sync request (y-webrtc message type 0, y-protocols sync step 1) carrying an empty state vector
// is exactly FRESH_SYNC_REQUEST. y-webrtc answers it with the whole document as a sync step 2;
// this module gives the same answer from a cache: the step 2 encoded when first asked, and, once
// the document changed, a second step 2 with what changed since (the joiner applies both). The
// cache is encoded afresh when that second part grows past MAX_DELTA_SHARE of the first, and let
// go after CACHE_KEEP_MS without a request. Stock peers get the same y-protocols messages.
import * as encoding from 'lib0/encoding'
import { messageYjsSyncStep2 } from 'y-protocols/sync'
import * as Y from 'yjs'
import { changedDocument } from './doc-changes.js'

/** A sync step 1 with an empty state vector: message type sync (0), step 1 (0), a state vector of one byte (1), no clients (0). */
export const FRESH_SYNC_REQUEST: readonly number[] = [0, 0, 1, 0]
/** y-webrtc's message type of sync messages (lib0 varUint). */
const MESSAGE_SYNC = 0
/** Largest share of the cached document that the changes since may make before it is encoded again. */
export const MAX_DELTA_SHARE = 0.25
/** How long a cached answer is kept without a request, in ms (it holds the whole document's bytes). */
export const CACHE_KEEP_MS = 60_000

/** Whether a data-channel message is a fresh joiner's sync request (an empty state vector). */
export function isFreshSyncRequest(data: unknown): boolean {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
  return bytes !== null && bytes.byteLength === FRESH_SYNC_REQUEST.length && FRESH_SYNC_REQUEST.every((byte, at) => bytes[at] === byte)
}

/** A y-webrtc sync message carrying `update` as sync step 2, as y-webrtc encodes its answer. */
export function syncStep2Message(update: Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  encoding.writeVarUint(encoder, messageYjsSyncStep2)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder) as Uint8Array<ArrayBuffer>
}

/** What the cache did since the room opened. */
export interface SyncReplyStats {
  /** Fresh sync requests answered. */
  answered: number
  /** Times the whole document was encoded for an answer (the rest reused it). */
  encoded: number
}

interface Cached {
  /** The whole document as a sync step 2 message. */
  message: Uint8Array<ArrayBuffer>
  /** Its state vector, encoded. */
  stateVector: Uint8Array
  /** What changed since, as a second sync step 2 message; null while nothing did. */
  changes: Uint8Array<ArrayBuffer> | null
  /** Whether the document changed since `changes` was encoded. */
  stale: boolean
}

/** The cached answers to fresh sync requests for one document. */
export class SyncReplies {
  readonly stats: SyncReplyStats = { answered: 0, encoded: 0 }
  readonly #doc: Y.Doc
  readonly #keepMs: number
  #cached: Cached | null = null
  #dropTimer: ReturnType<typeof setTimeout> | null = null
  readonly #onTransaction = (transaction: Y.Transaction): void => {
    if (this.#cached === null || this.#cached.stale) return
    if (changedDocument(transaction)) this.#cached.stale = true
  }

  /** `keepMs`: how long an answer is kept without a request (tests shorten it). */
  constructor(doc: Y.Doc, keepMs = CACHE_KEEP_MS) {
    this.#doc = doc
    this.#keepMs = keepMs
    doc.on('afterTransaction', this.#onTransaction)
  }

  /** The messages that answer a fresh sync request now, in order: the same objects while the document is unchanged. */
  reply(): Uint8Array<ArrayBuffer>[] {
    this.stats.answered++
    let cached = this.#cached
    if (cached?.stale === true) {
      const changes = Y.encodeStateAsUpdate(this.#doc, cached.stateVector)
      if (changes.byteLength > cached.message.byteLength * MAX_DELTA_SHARE) cached = null
      else Object.assign(cached, { changes: syncStep2Message(changes), stale: false })
    }
    if (cached === null) {
      cached = {
        message: syncStep2Message(Y.encodeStateAsUpdate(this.#doc)),
        stateVector: Y.encodeStateVector(this.#doc),
        changes: null,
        stale: false,
      }
      this.stats.encoded++
    }
    this.#cached = cached
    this.#keep()
    return cached.changes === null ? [cached.message] : [cached.message, cached.changes]
  }

  /** Lets go of the cache and stops listening to the document. */
  destroy(): void {
    this.#doc.off('afterTransaction', this.#onTransaction)
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer)
    this.#dropTimer = null
    this.#cached = null
  }

  #keep(): void {
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer)
    this.#dropTimer = setTimeout(() => {
      this.#dropTimer = null
      this.#cached = null
    }, this.#keepMs)
  }
}
