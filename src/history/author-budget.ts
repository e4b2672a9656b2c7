// How much of each author a room shows: token buckets of records and bytes per second with a
// burst, per author id. Pure: buckets are data (refilled as the tasks layer's token buckets are),
// and time is the records' own (their `sentAt`).
// The same lanes budget messages (AuthorBudgets) and annotations (history/annotations.ts).
//
// Time is what the author claims, not when a record arrived: the shown messages are then a
// function of the document alone, so every peer hides the same records whatever order or
// batches the document reached it in (a late joiner's history included), and converges.
//
// Nothing in a record proves its author before its signature is checked, so budgets are
// charged by the claimed id and checked only where it matters: a record whose signature is
// known to be bad (checked and failed, or with a key that is not the claimed id's), or absent,
// is charged to a lane of its own under that id, never to the author's; of messages, only the
// first few proven forgeries under an id are shown at all (FORGERIES_SHOWN: the rest are
// counted, so a forged flood cannot fill the log whatever times it claims). Records a lane
// shows unchecked are handed out (`doubted`) for the room to check where it matters: all those
// of an author whose lane hid one (what it showed decides what it hid), and the newest shown
// (CHECKED_NEWEST: what the log draws at the bottom, where every new record lands), so that
// a forger spacing its claimed times out, which never makes a lane hide, is found as its
// forgeries come, before more than a few of them show. If one was forged, the room admits
// everything again with that knowledge, which gives the author back what the forgery spent;
// and the id is suspect from then on: its unchecked records are charged as forgeries, and all
// are checked. The rest of a history (older records of lanes that hid nothing) is not checked
// for the budgets: a joiner's or a reloaded page's whole history would cost a check per record
// (0.15 ms each on the main thread, 15 s at 100,000), and the log checks what it draws anyway.
// Never the hidden excess of a flood.
//
// Why peers still agree on the real messages: once no lane that hid a record has an unchecked
// record shown, and a suspect id's records are all checked, an author's lane shows what it
// would if every signature were known. A lane that hid nothing shows every real record of its
// author whatever else it showed. In a lane that hid one, take the records in order; real ones
// are charged alike. A forgery known bad is skipped alike. An unchecked forgery cannot have
// been shown (it would be checked), so it was hidden, and a hidden record leaves the bucket as
// it was, as skipping it does. Forgeries may differ: which show in their own lane depends on
// which a peer has checked.
import { perSecond, refilled } from '../tasks/index.js'
import type { MessageRecord } from './schema.js'

/** Rates and bursts of one author's budget. */
export interface BudgetLimits {
  messagesPerSecond: number
  messageBurst: number
  bytesPerSecond: number
  byteBurst: number
}

/** What a room shows of each author: far above typing speed, far below a script's. */
export const AUTHOR_BUDGET: BudgetLimits = {
  messagesPerSecond: 2,
  messageBurst: 30,
  bytesPerSecond: 4_000,
  byteBurst: 64_000,
}

/**
 * Messages proven forged (a signature that fails, a key that is not the claimed id's, a copied
 * signature), or charged as forged until checked, that a room shows per claimed author id, ever,
 * in document order; the rest are counted in the "hidden" line. A few show that someone writes
 * under that name; more would only push real messages out of view (a forger chooses its
 * claimed times, so a rate alone would let it through).
 */
export const FORGERIES_SHOWN = 10

/**
 * The newest records shown that are checked whatever their lane did: more than the log draws at
 * the bottom (a log of up to 200 entries whole, a longer one the viewport and 800 px more), and
 * every record that arrives after them lands among them.
 */
export const CHECKED_NEWEST = 256

/** Bytes a record costs besides its text and name: ids, time, key and signature, roughly. */
const RECORD_OVERHEAD_BYTES = 200

/** One author's bucket: tokens left, and the (claimed) time they were counted at, in ms. */
export interface Bucket {
  messages: number
  bytes: number
  at: number
}

/** The bucket of an author not seen before: full. */
export function fullBucket(limits: BudgetLimits, at: number): Bucket {
  return { messages: limits.messageBurst, bytes: limits.byteBurst, at }
}

/** What a record costs in bytes. */
export function recordBytes(record: MessageRecord): number {
  return record.text.length + record.authorName.length + RECORD_OVERHEAD_BYTES
}

/**
 * The bucket after spending one message of `bytes` at time `at`, or null when it cannot pay
 * (the record is over budget; the bucket keeps its tokens). Time only moves forward: a record
 * claiming an earlier time than the bucket's refills nothing.
 */
export function spend(bucket: Bucket, limits: BudgetLimits, bytes: number, at: number): Bucket | null {
  const elapsedMs = at - bucket.at
  const messages = refilled(perSecond(limits.messageBurst, limits.messagesPerSecond), bucket.messages, elapsedMs)
  const budgetBytes = refilled(perSecond(limits.byteBurst, limits.bytesPerSecond), bucket.bytes, elapsedMs)
  const time = Math.max(bucket.at, at)
  if (messages < 1 || budgetBytes < bytes) return null
  return { messages: messages - 1, bytes: budgetBytes - bytes, at: time }
}

/**
 * What the room knows of a record's signature: checked and good; bad (a forgery: the check
 * failed, the key is not the claimed id's, or the signature was copied from another record);
 * unsigned (no signature, or no key to check it with: a stock client, an old build); or not
 * checked yet.
 */
export type SignatureState = 'good' | 'bad' | 'unsigned' | 'unchecked'

/** How many records of one lane were hidden, the name the last one claimed, and where the newest one sits. */
export interface HiddenCount {
  authorName: string
  count: number
  /**
   * Records shown before the lane's newest hidden one (in document order): where the log says what
   * the lane hid, so that the line follows a flood down the log rather than stay where it started.
   */
  after: number
  /** The lane of records whose signature is bad or absent: forgeries (or unsigned records) under the id; the room adds refused records, never checked, to it. */
  forged?: true
}

/**
 * Records over budget, by lane: an author id, or `forgedLaneOf(id)` for the bad-signature
 * records claiming it.
 */
export type HiddenCounts = ReadonlyMap<string, HiddenCount>

/** The key of the lane where records claiming `authorId` are charged once their signature is known to be bad. */
export function forgedLaneOf(authorId: string): string {
  return `forged:${authorId}`
}

/** What a budget needs of a record: the author it claims, under what name, and when. */
export interface BudgetedRecord {
  authorId: string
  authorName: string
  sentAt: number
}

/** The budgets of a room's authors for one kind of record, updated as records are shown in document order. */
export class LaneBudgets<R extends BudgetedRecord> {
  readonly #limits: BudgetLimits
  readonly #stateOf: (record: R) => SignatureState
  readonly #bytesOf: (record: R) => number
  readonly #buckets = new Map<string, Bucket>()
  readonly #hidden = new Map<string, HiddenCount>()
  /** Per author id: records shown in the author's lane before their signature was checked, not handed out. */
  readonly #unchecked = new Map<string, R[]>()
  /** Author ids whose own lane hid a record since the last `doubted()`. */
  readonly #contested = new Set<string>()
  /**
   * The newest records shown unchecked in their authors' lanes since the last `doubted()`, in
   * order, each with its place among the records shown (at most twice `#checkedNewest`).
   */
  #recent: Array<{ record: R; at: number }> = []
  /** Records shown so far. */
  #shownCount = 0
  /** Records handed out from `#recent`: not handed out again with their author's lane. */
  readonly #handed = new WeakSet<R>()
  readonly #checkedNewest: number
  /** Records of suspect authors not checked yet (charged as forgeries until checked). */
  #presumed: R[] = []
  /** Per author id: records shown charged as forgeries (bad, or presumed), at most `#forgeriesShown`. */
  readonly #forgeries = new Map<string, number>()
  readonly #forgeriesShown: number
  readonly #suspect: (authorId: string) => boolean
  /** Records hidden so far, all authors together. */
  hiddenTotal = 0

  /**
   * `stateOf` says what is known of a record's signature now (default: nothing, all in the
   * authors' lanes); `suspect` whether forgeries were found under an author id: its records
   * are then charged as forgeries until checked, and all doubted (`presumedForged`), so that a
   * forged flood costs a re-admission per real message found, not one per burst of forgeries.
   * `bytesOf` is what a record costs in bytes; `limits` default to AUTHOR_BUDGET;
   * `forgeriesShown` is how many records charged as forgeries each author id shows at most, ever
   * (unsigned records are charged to the same lane, by its rate alone); `checkedNewest` how many of
   * the newest records shown are doubted whatever their lane did.
   */
  constructor(
    bytesOf: (record: R) => number,
    limits: BudgetLimits = AUTHOR_BUDGET,
    stateOf: (record: R) => SignatureState = () => 'unchecked',
    suspect: (authorId: string) => boolean = () => false,
    forgeriesShown = Number.POSITIVE_INFINITY,
    checkedNewest = CHECKED_NEWEST,
  ) {
    this.#limits = limits
    this.#checkedNewest = checkedNewest
    this.#forgeriesShown = forgeriesShown
    this.#stateOf = stateOf
    this.#suspect = suspect
    this.#bytesOf = bytesOf
  }

  /** The records of `records` within their lanes' budgets, in order; the others are counted as hidden. */
  admit(records: readonly R[]): R[] {
    const shown: R[] = []
    for (const record of records) {
      const state = this.#stateOf(record)
      const presumed = state === 'unchecked' && this.#suspect(record.authorId)
      if (presumed) this.#presumed.push(record)
      const forged = state === 'bad' || presumed
      const lane = forged || state === 'unsigned' ? forgedLaneOf(record.authorId) : record.authorId
      const bucket = this.#buckets.get(lane) ?? fullBucket(this.#limits, record.sentAt)
      const forgeries = forged ? (this.#forgeries.get(record.authorId) ?? 0) : 0
      const after = forgeries < this.#forgeriesShown ? spend(bucket, this.#limits, this.#bytesOf(record), record.sentAt) : null
      if (after !== null) {
        this.#buckets.set(lane, after)
        if (forged) this.#forgeries.set(record.authorId, forgeries + 1)
        shown.push(record)
        this.#shownCount++
        if (state === 'unchecked' && !presumed) this.#noteUnchecked(record)
        continue
      }
      this.#buckets.set(lane, bucket)
      if (lane === record.authorId) this.#contested.add(record.authorId)
      const hidden = this.#hidden.get(lane)
      const count = (hidden?.count ?? 0) + 1
      const shownBefore = this.#shownCount
      this.#hidden.set(
        lane,
        lane === record.authorId
          ? { authorName: record.authorName, count, after: shownBefore }
          : { authorName: record.authorName, count, after: shownBefore, forged: true },
      )
      this.hiddenTotal++
    }
    return shown
  }

  /**
   * Every record of a suspect author not checked yet, the records shown unchecked in each lane
   * that hid one since the last call, and those of the newest `checkedNewest` records shown
   * since the last call: check their signatures, and if one lands in another lane than it was
   * charged to (`presumedForged` tells which), admit everything again knowing it. Each record is
   * handed out once. What a lane hides is never handed out (a flood's excess), nor the older
   * records of lanes that hid nothing.
   */
  doubted(): R[] {
    const doubted: R[] = this.#presumed
    this.#presumed = []
    const newest: R[] = []
    for (const { record, at } of this.#recent) if (at >= this.#shownCount - this.#checkedNewest) newest.push(record)
    this.#recent = []
    for (const record of newest) this.#handed.add(record)
    for (const authorId of this.#contested) {
      for (const record of this.#unchecked.get(authorId) ?? []) if (!this.#handed.has(record)) doubted.push(record)
      this.#unchecked.delete(authorId)
    }
    this.#contested.clear()
    for (const record of newest) doubted.push(record)
    return doubted
  }

  /** Whether an unchecked `record` is charged as a forgery (its author is suspect). */
  presumedForged(record: R): boolean {
    return this.#suspect(record.authorId)
  }

  #noteUnchecked(record: R): void {
    const list = this.#unchecked.get(record.authorId)
    if (list === undefined) this.#unchecked.set(record.authorId, [record])
    else list.push(record)
    this.#recent.push({ record, at: this.#shownCount - 1 })
    if (this.#recent.length > 2 * this.#checkedNewest) this.#recent = this.#recent.slice(-this.#checkedNewest)
  }

  /** Hidden records per author so far (a live view; copy it to keep). */
  get hidden(): HiddenCounts {
    return this.#hidden
  }
}

/** LaneBudgets' arguments after `bytesOf`: limits, what is known of signatures, which ids are suspect. */
export type LaneArguments<R extends BudgetedRecord> =
  ConstructorParameters<typeof LaneBudgets<R>> extends [unknown, ...infer Rest] ? Rest : never

/** The budgets of a room's authors for messages, each costing `recordBytes`; at most FORGERIES_SHOWN forgeries per id. */
export class AuthorBudgets extends LaneBudgets<MessageRecord> {
  constructor(...[limits, stateOf, suspect, forgeriesShown = FORGERIES_SHOWN]: LaneArguments<MessageRecord>) {
    super(recordBytes, limits, stateOf, suspect, forgeriesShown)
  }
}
