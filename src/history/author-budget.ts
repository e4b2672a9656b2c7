// How much of each author a room shows: token buckets of messages and bytes per second with a
// burst, per author id. Pure: buckets are data, and time is the records' own (their `sentAt`).
//
// Time is what the author claims, not when a record arrived: the shown messages are then a
// function of the document alone, so every peer hides the same records whatever order or
// batches the document reached it in (a late joiner's history included), and converges.
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
  const elapsedMs = Math.max(0, at - bucket.at)
  const messages = Math.min(limits.messageBurst, bucket.messages + (elapsedMs * limits.messagesPerSecond) / 1000)
  const budgetBytes = Math.min(limits.byteBurst, bucket.bytes + (elapsedMs * limits.bytesPerSecond) / 1000)
  const time = Math.max(bucket.at, at)
  if (messages < 1 || budgetBytes < bytes) return null
  return { messages: messages - 1, bytes: budgetBytes - bytes, at: time }
}

/** Records over budget, by author id: how many, and the name the last one claimed. */
export type HiddenCounts = ReadonlyMap<string, { authorName: string; count: number }>

/** The budgets of a room's authors, updated as records are shown in document order. */
export class AuthorBudgets {
  readonly #limits: BudgetLimits
  readonly #buckets = new Map<string, Bucket>()
  readonly #hidden = new Map<string, { authorName: string; count: number }>()
  /** Records hidden so far, all authors together. */
  hiddenTotal = 0

  constructor(limits: BudgetLimits = AUTHOR_BUDGET) {
    this.#limits = limits
  }

  /** The records of `records` within their authors' budgets, in order; the others are counted as hidden. */
  admit(records: readonly MessageRecord[]): MessageRecord[] {
    const shown: MessageRecord[] = []
    for (const record of records) {
      const bucket = this.#buckets.get(record.authorId) ?? fullBucket(this.#limits, record.sentAt)
      const after = spend(bucket, this.#limits, recordBytes(record), record.sentAt)
      if (after !== null) {
        this.#buckets.set(record.authorId, after)
        shown.push(record)
        continue
      }
      this.#buckets.set(record.authorId, bucket)
      const hidden = this.#hidden.get(record.authorId)
      this.#hidden.set(record.authorId, { authorName: record.authorName, count: (hidden?.count ?? 0) + 1 })
      this.hiddenTotal++
    }
    return shown
  }

  /** Hidden records per author so far (a live view; copy it to keep). */
  get hidden(): HiddenCounts {
    return this.#hidden
  }
}
