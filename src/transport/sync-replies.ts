// Answers to a fresh joiner's sync request, encoded once per state of the document: encoding a
// room of 10,000 messages takes 0.1-0.6 s, and every late joiner asked for the same bytes.
//
// A sync request (y-webrtc message type 0, y-protocols sync step 1) carrying an empty state vector
// is exactly FRESH_SYNC_REQUEST. y-webrtc answers it with the whole document as a sync step 2;
// this module gives the same answer from a cache: the step 2 of the whole document, and, once
// the document changed, a second step 2 with what changed since (the joiner applies both). The
// cache is encoded afresh when that second part grows past MAX_DELTA_SHARE of the first (or
// MAX_CHANGES_BYTES). Stock peers get the same y-protocols messages.
//
// In parts: given the array whose order the history follows (`order`), a document of more than
// a few hundred KB is answered as several sync steps 2 of about PART_BYTES each, oldest records
// first (answer-parts.ts), so that the joiner applies and shows the first ones while the rest are
// on the wire, each in a task of its own; applied in order they give the document the one step 2
// gives. An older Parley joiner frees only the first two steps 2 from its link's byte budget: where
// the rest would pass what it takes, it is answered with the document cut as it was before
// (everything but the last PARTED_MAX_BYTES in the first part), encoded on request.
//
// Kept warm (the transport's default): once the document has been quiet for WARM_QUIET_MS (from a
// change, or from the cache's making where the document holds a history already), in an idle
// moment of the page, the cache is brought up to date and its messages handed to `prepare`
// (framing deflates them), so that the first joiner after a change is answered at once rather
// than after the whole document is encoded and deflated. What `prepare` gives back is held in
// place of each message (framing: only its deflated bytes, a third of what message and deflated
// form took together); the state vector lets the next warm-up encode only what changed. A warm
// cache is kept while the room is open, up to WARM_MAX_BYTES; past that, or not kept warm, it is
// let go after CACHE_KEEP_MS without a request.
import { messageYjsSyncStep2 } from 'y-protocols/sync'
import * as Y from 'yjs'
import { documentPartSteps, estimatedBytes, PARTED_MAX_BYTES } from './answer-parts.js'
import type { DeflatedMessage } from './framing-deflate.js'
import { syncMessage } from './y-webrtc-messages.js'
import { whenIdle } from '../tasks/index.js'
import { changedDocument, runSteps, StepBudget, type Steps, stateUpdateSteps } from '../updates/index.js'

/** A sync step 1 with an empty state vector: message type sync (0), step 1 (0), a state vector of one byte (1), no clients (0). */
export const FRESH_SYNC_REQUEST: readonly number[] = [0, 0, 1, 0]
/** Largest share of the cached document that the changes since may make before it is encoded again. */
export const MAX_DELTA_SHARE = 0.25
/**
 * Most bytes of the changes since before the document is encoded again: an older Parley joiner
 * counts the steps 2 after its first two against its link's byte budget (4 MiB, peer-guard.ts),
 * and the parts after the first two it is sent hold up to 2 MiB (answer-parts.ts PARTED_MAX_BYTES).
 */
export const MAX_CHANGES_BYTES = 1024 * 1024
/** How long a cached answer that is not kept warm is kept without a request, in ms (it holds the whole document's bytes). */
export const CACHE_KEEP_MS = 60_000
/** How long the document must go without a change before the cache is warmed, in ms: a conversation is not encoded at every line. */
export const WARM_QUIET_MS = 2_000
/** How long a warm-up may wait for the page to be idle once the document is quiet, in ms. */
const WARM_IDLE_TIMEOUT_MS = 5_000
/** Largest whole-document answer kept warm, in bytes (about 180,000 short messages); larger ones are encoded on request and let go. */
export const WARM_MAX_BYTES = 32 * 1024 * 1024

/** Whether a data-channel message is a fresh joiner's sync request (an empty state vector). */
export function isFreshSyncRequest(data: unknown): boolean {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
  return bytes !== null && bytes.byteLength === FRESH_SYNC_REQUEST.length && FRESH_SYNC_REQUEST.every((byte, at) => bytes[at] === byte)
}

/** A y-webrtc sync message carrying `update` as sync step 2, as y-webrtc encodes its answer. */
export function syncStep2Message(update: Uint8Array): Uint8Array<ArrayBuffer> {
  return syncMessage(messageYjsSyncStep2, update)
}

/** A message of an answer as the cache holds it: its bytes, or only its deflated form (framing sends either). */
export type SyncReply = Uint8Array<ArrayBuffer> | DeflatedMessage

/** Bytes a held message takes. */
function heldBytesOf(message: SyncReply): number {
  return message instanceof Uint8Array ? message.byteLength : message.deflated.byteLength
}

/**
 * Whether an older Parley joiner takes `messages` whole: its guard counts the steps 2 after the
 * first two against its link's byte budget (4 MiB), within which they were kept before
 * (PARTED_MAX_BYTES of parts, MAX_CHANGES_BYTES of changes).
 */
function fitOlderJoiners(messages: readonly SyncReply[]): boolean {
  return messages.slice(2).reduce((sum, message) => sum + message.byteLength, 0) <= PARTED_MAX_BYTES + MAX_CHANGES_BYTES
}

/** What the cache did since the room opened. */
export interface SyncReplyStats {
  /** Fresh sync requests answered. */
  answered: number
  /** Times the whole document was encoded, for an answer or ahead of one (the rest reused it). */
  encoded: number
  /** Of those, the encodings done ahead of a request, while the page was idle (kept warm). */
  encodedAhead: number
  /** Warm-ups that ran (each brought the cache up to date: what changed, or the whole document). */
  warmUps: number
  /** Ms the warm-ups spent encoding, in all, on the page's thread. */
  aheadMs: number
  /** Ms from the warm-ups handing their messages to `prepare` until it was done with them (deflating), in all. */
  preparingMs: number
  /** Bytes the cache holds now: its messages as held (deflated only, once prepared) and the state vector, and the older joiners' answer. */
  heldBytes: number
  /** Answers to older Parley joiners encoded for them (cut as before: the answer's steps 2 after the first two passed what they take). */
  encodedForOlder: number
}

/** How a cache is kept warm. */
export interface WarmOptions {
  /**
   * Told of each message of an answer brought up to date ahead of a request (framing deflates it);
   * may be slow. What it gives is held and sent in the message's place (default: the message).
   */
  prepare?: (message: Uint8Array<ArrayBuffer>) => SyncReply | Promise<SyncReply>
  /** How long the document must be quiet first, in ms (default WARM_QUIET_MS). */
  quietMs?: number
  /** Runs `task` when the page is idle (default: requestIdleCallback where there is one, else at once). */
  whenIdle?: (task: () => void) => void
  /** Largest whole-document answer kept warm, in bytes (default WARM_MAX_BYTES). */
  maxBytes?: number
}

/** Options of the cache (tests shorten the times). */
export interface SyncReplyOptions {
  /** How long an answer not kept warm is kept without a request, in ms (default CACHE_KEEP_MS). */
  keepMs?: number
  /** Keeps the cache warm (see above); undefined: encoded on request only. */
  warm?: WarmOptions
  /** The array whose order the history follows: the answer goes in parts along it (answer-parts.ts); undefined: in one. */
  order?: Y.Array<unknown>
}

/** What brings the cache up to date: the changes since `cached` (null: none), or the whole document anew. */
type Update =
  | { cached: Cached; changes: Uint8Array<ArrayBuffer> | null }
  | { cached: null; parts: Uint8Array<ArrayBuffer>[]; stateVector: Uint8Array }

interface Cached {
  /** The whole document as sync step 2 messages, to send in order: one, or its parts (each deflated only, once prepared). */
  parts: SyncReply[]
  /** Its state vector, encoded. */
  stateVector: Uint8Array
  /** What changed since, as a second sync step 2 message (deflated only, once prepared); null while nothing did. */
  changes: SyncReply | null
  /** Whether the document changed since `changes` was encoded. */
  stale: boolean
}

/** The cached answers to fresh sync requests for one document. */
export class SyncReplies {
  readonly stats: SyncReplyStats = {
    answered: 0,
    encoded: 0,
    encodedAhead: 0,
    warmUps: 0,
    aheadMs: 0,
    preparingMs: 0,
    heldBytes: 0,
    encodedForOlder: 0,
  }
  readonly #doc: Y.Doc
  readonly #keepMs: number
  readonly #warm: Required<WarmOptions> | null
  readonly #order: Y.Array<unknown> | null
  #cached: Cached | null = null
  /** The answer for older Parley joiners, where it differs (see `olderJoinerReply`): let go at the next change, or CACHE_KEEP_MS after the last request. */
  #older: Uint8Array<ArrayBuffer>[] | null = null
  #olderDropTimer: ReturnType<typeof setTimeout> | null = null
  #dropTimer: ReturnType<typeof setTimeout> | null = null
  #warmTimer: ReturnType<typeof setTimeout> | null = null
  /** When the document last changed (Date.now()): the warm-up's wait for quiet runs from there. */
  #changedAt = 0
  /** Bytes of the whole document's answer when it was last encoded (0: never). */
  #wholeBytes = 0
  #destroyed = false
  /** Changes of the document seen (a warm-up under way is given up on the next). */
  #changes = 0
  readonly #onTransaction = (transaction: Y.Transaction): void => {
    const watched = this.#warm !== null || (this.#cached !== null && !this.#cached.stale)
    if (!watched && this.#older === null) return
    if (!changedDocument(transaction)) return
    this.#holdOlder(null)
    if (!watched) return
    this.#changes++
    if (this.#cached !== null) this.#cached.stale = true
    this.#scheduleWarmUp()
  }

  constructor(doc: Y.Doc, options: SyncReplyOptions = {}) {
    this.#doc = doc
    this.#keepMs = options.keepMs ?? CACHE_KEEP_MS
    this.#order = options.order ?? null
    const warm = options.warm
    this.#warm =
      warm === undefined
        ? null
        : {
            prepare: warm.prepare ?? ((message) => message),
            quietMs: warm.quietMs ?? WARM_QUIET_MS,
            whenIdle: warm.whenIdle ?? ((task) => whenIdle(task, WARM_IDLE_TIMEOUT_MS)),
            maxBytes: warm.maxBytes ?? WARM_MAX_BYTES,
          }
    doc.on('afterTransaction', this.#onTransaction)
    // The transport's code loads after the room opened its document (lazy-transport.ts): what was
    // loaded from storage or written meanwhile is in already, and no change may come to warm it.
    if (doc.store.clients.size > 0) this.#scheduleWarmUp()
  }

  /** The messages that answer a fresh sync request now, in order: the same objects while the document is unchanged. */
  reply(): SyncReply[] {
    this.stats.answered++
    const messages = this.#current(false)
    this.#keep()
    return messages
  }

  /**
   * The messages that answer an older Parley joiner's fresh request now. Its guard frees the first
   * two steps 2 of the answer from its link's byte budget (4 MiB) and counts the rest against it:
   * so `reply()`'s messages where those after the first two hold at most PARTED_MAX_BYTES and
   * MAX_CHANGES_BYTES, else the document cut as before (answer-parts.ts: everything but the last
   * PARTED_MAX_BYTES in the first part), encoded now and kept while the document is unchanged.
   */
  olderJoinerReply(): SyncReply[] {
    const messages = this.#current(false)
    this.#keep()
    if (fitOlderJoiners(messages)) return messages
    if (this.#older === null) {
      this.stats.encodedForOlder++
      this.#holdOlder(runSteps(this.#encodeWhole(new StepBudget(Number.POSITIVE_INFINITY), PARTED_MAX_BYTES)))
    }
    if (this.#olderDropTimer !== null) clearTimeout(this.#olderDropTimer)
    this.#olderDropTimer = setTimeout(() => this.#holdOlder(null), this.#keepMs)
    return [...(this.#older ?? [])]
  }

  /**
   * The answer to a fresh request as framing sends it (framing-channel.ts Answer): `reply()`, and
   * where an older Parley joiner would not take it, `olderJoinerReply()` for one.
   */
  answer(): { messages: SyncReply[]; forOlderPeers?: () => SyncReply[] } {
    const messages = this.reply()
    return fitOlderJoiners(messages) ? { messages } : { messages, forOlderPeers: () => this.olderJoinerReply() }
  }

  /** Lets go of the cache and stops listening to the document. */
  destroy(): void {
    this.#destroyed = true
    this.#doc.off('afterTransaction', this.#onTransaction)
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer)
    if (this.#warmTimer !== null) clearTimeout(this.#warmTimer)
    this.#dropTimer = null
    this.#warmTimer = null
    this.#hold(null)
    this.#holdOlder(null)
  }

  /** The answer as the document is now, bringing the cache up to date (`ahead`: for a request yet to come). */
  #current(ahead: boolean): SyncReply[] {
    return this.#install(runSteps(this.#update(new StepBudget(Number.POSITIVE_INFINITY))), ahead)
  }

  /**
   * What brings the cache up to date, in steps (stepped-encoding.ts): what changed since it was
   * encoded, or the whole document once that grew too large (or nothing was cached). Nothing is
   * kept until `#install`: steps given up leave the cache as it was.
   */
  *#update(budget: StepBudget): Steps<Update> {
    const cached = this.#cached
    if (cached?.stale === true) {
      const changes = yield* stateUpdateSteps(this.#doc, Y.decodeStateVector(cached.stateVector), budget)
      if (changes.byteLength <= Math.min(this.#wholeBytes * MAX_DELTA_SHARE, MAX_CHANGES_BYTES))
        return { cached, changes: syncStep2Message(changes) }
    } else if (cached !== null) {
      return { cached, changes: null }
    }
    const stateVector = Y.encodeStateVector(this.#doc)
    return { cached: null, parts: yield* this.#encodeWhole(budget), stateVector }
  }

  /** Brings the cache up to `update` and gives the answer's messages, in order. */
  #install(update: Update, ahead: boolean): SyncReply[] {
    let cached: Cached
    if (update.cached !== null) {
      cached = update.cached
      if (update.changes !== null) Object.assign(cached, { changes: update.changes, stale: false })
    } else {
      cached = { parts: update.parts, stateVector: update.stateVector, changes: null, stale: false }
      this.#wholeBytes = update.parts.reduce((sum, message) => sum + message.byteLength, 0)
      this.stats.encoded++
      if (ahead) this.stats.encodedAhead++
    }
    this.#hold(cached)
    return cached.changes === null ? [...cached.parts] : [...cached.parts, cached.changes]
  }

  /**
   * The whole document as sync step 2 messages, in steps: in parts along `order` when it is large
   * enough, judged by its size when last encoded, or estimated from its structs when it never was
   * (not encoded whole to learn its size and then again in parts). Every part about PART_BYTES, or
   * with `partedMaxBytes` as older joiners take them (answer-parts.ts).
   */
  *#encodeWhole(budget: StepBudget, partedMaxBytes = Number.POSITIVE_INFINITY): Steps<Uint8Array<ArrayBuffer>[]> {
    const wholeBytes = this.#wholeBytes > 0 ? this.#wholeBytes : estimatedBytes(this.#doc)
    const parts = this.#order === null ? null : yield* documentPartSteps(this.#doc, this.#order, wholeBytes, { partedMaxBytes }, budget)
    return (parts ?? [yield* stateUpdateSteps(this.#doc, new Map(), budget)]).map(syncStep2Message)
  }

  /** Holds `cached` (null: nothing), counting its bytes. */
  #hold(cached: Cached | null): void {
    this.#cached = cached
    this.#countHeld()
  }

  /** Holds the older joiners' answer (null: lets it go), counting its bytes. */
  #holdOlder(older: Uint8Array<ArrayBuffer>[] | null): void {
    if (older === null && this.#olderDropTimer !== null) clearTimeout(this.#olderDropTimer)
    if (older === null) this.#olderDropTimer = null
    this.#older = older
    this.#countHeld()
  }

  #countHeld(): void {
    const cached = this.#cached
    this.stats.heldBytes =
      (cached === null
        ? 0
        : cached.parts.reduce((sum, part) => sum + heldBytesOf(part), 0) +
          (cached.changes === null ? 0 : heldBytesOf(cached.changes)) +
          cached.stateVector.byteLength) + (this.#older ?? []).reduce((sum, message) => sum + message.byteLength, 0)
  }

  /** Whether the cache is kept warm now: warming is on and the document's answer is not too large to hold. */
  #keptWarm(): boolean {
    return this.#warm !== null && this.#wholeBytes <= this.#warm.maxBytes
  }

  /**
   * Warms the cache once the document has been quiet for a while (each change starts the wait
   * again). One timer for a run of changes, which waits on when it finds a change since it was
   * set: a timer cleared and set again at each change cost every arrival two timer calls before
   * its text was drawn (BENCHMARKS.md, "Send", "Sixteenth session").
   */
  #scheduleWarmUp(): void {
    const warm = this.#warm
    if (warm === null || !this.#keptWarm()) return
    this.#changedAt = Date.now()
    if (this.#warmTimer === null) this.#waitForQuiet(warm, warm.quietMs)
  }

  #waitForQuiet(warm: Required<WarmOptions>, ms: number): void {
    this.#warmTimer = setTimeout(() => {
      this.#warmTimer = null
      const quietFor = Date.now() - this.#changedAt
      if (quietFor >= 0 && quietFor < warm.quietMs) {
        this.#waitForQuiet(warm, warm.quietMs - quietFor)
        return
      }
      if (this.#cached !== null && !this.#cached.stale) return // a request brought it up to date meanwhile
      warm.whenIdle(() => {
        // A change since restarted the wait; that wait warms it.
        if (this.#destroyed || this.#warmTimer !== null) return
        this.#warmUp(warm)
      })
    }, ms)
  }

  /**
   * Brings the cache up to date ahead of a request, a step of RECORDS_PER_STEP records an idle
   * callback (stepped-encoding.ts), then hands its messages to `prepare`. Given up when the
   * document changes in between (the change waits for quiet and warms it again) or a request
   * brought the cache up to date meanwhile.
   */
  #warmUp(warm: Required<WarmOptions>): void {
    if (this.#cached !== null && !this.#cached.stale) return
    this.stats.warmUps++
    const changes = this.#changes
    const steps = this.#update(new StepBudget())
    let spent = 0
    const step = (): void => {
      if (this.#destroyed || this.#changes !== changes || (this.#cached !== null && !this.#cached.stale)) return
      const started = performance.now()
      const next = steps.next()
      spent += performance.now() - started
      if (next.done === true) this.#warmed(warm, next.value, spent)
      else warm.whenIdle(step)
    }
    step()
  }

  /** Installs a warm-up's `update`, encoded in `spent` ms in all, and prepares its messages. */
  #warmed(warm: Required<WarmOptions>, update: Update, spent: number): void {
    this.stats.aheadMs += spent
    const messages = this.#install(update, true)
    const cached = this.#cached
    const encoded = performance.now()
    if (!this.#keptWarm()) {
      this.#keep() // too large to hold for joiners who may never come: let go as before
      return
    }
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer)
    this.#dropTimer = null
    void Promise.all(messages.map((message) => (message instanceof Uint8Array ? warm.prepare(message) : message))).then(
      (prepared) => {
        this.stats.preparingMs += performance.now() - encoded
        // Held in place of what was prepared, if the cache still holds it (a later change may have replaced it).
        if (cached === null || this.#cached !== cached) return
        cached.parts = cached.parts.map((part, index) => (part === messages[index] ? prepared[index] : part))
        const changesAt = cached.parts.length
        if (cached.changes !== null && cached.changes === messages[changesAt]) cached.changes = prepared[changesAt]
        this.#hold(cached)
      },
      () => {}, // not prepared: framing deflates it when it is sent, as before
    )
  }

  /** Lets go of the cache after a while without requests, unless it is kept warm. */
  #keep(): void {
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer)
    this.#dropTimer = null
    if (this.#keptWarm()) return
    this.#dropTimer = setTimeout(() => {
      this.#dropTimer = null
      this.#hold(null)
    }, this.#keepMs)
  }
}
