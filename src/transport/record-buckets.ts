// Three token buckets of Yjs records, spent together: a burst with its rate, a larger one with a
// lower rate (minutes), and a larger one still with a lower rate again (hours). What a link's guard
// lets in (peer-guard.ts) and what a page relays (relay.ts, half of it) are both counted this way.
// Pure: time is a parameter; each bucket is the tasks layer's TokenBucket.
import { perSecond, TokenBucket } from '../tasks/index.js'

/** A burst and its rate, the same over minutes, and over hours. */
export interface RecordLimits {
  burst: number
  perSecond: number
  sustainedBurst: number
  sustainedPerSecond: number
  hourlyBurst: number
  hourlyPerSecond: number
}

/** The buckets of one link (or one relay), full or as given at first. */
export class RecordBuckets {
  /** The burst's bucket first, then minutes', then hours'. */
  readonly #buckets: readonly TokenBucket[]
  #refilledAt: number

  /** Full at `now`, except the burst bucket, which starts at `burst` (at most the limit). */
  constructor(limits: RecordLimits, now: number, burst = limits.burst) {
    this.#buckets = [
      new TokenBucket(perSecond(limits.burst, limits.perSecond), now, burst),
      new TokenBucket(perSecond(limits.sustainedBurst, limits.sustainedPerSecond), now),
      new TokenBucket(perSecond(limits.hourlyBurst, limits.hourlyPerSecond), now),
    ]
    this.#refilledAt = now
  }

  /** Refills every bucket for the time since the last refill (none when `now` is earlier). */
  refill(now: number): void {
    for (const bucket of this.#buckets) bucket.refill(now)
    this.#refilledAt = Math.max(this.#refilledAt, now)
  }

  /** Records the burst bucket holds now (as last refilled). */
  get burstLeft(): number {
    return this.#buckets[0]?.tokensAt(this.#refilledAt) ?? 0
  }

  /** Whether `records` fit every bucket (as last refilled). */
  fits(records: number): boolean {
    return this.#buckets.every((bucket) => records <= bucket.tokensAt(this.#refilledAt))
  }

  /**
   * Time until `records` fit every bucket at its rate, from the last refill, in ms: 0 when they
   * fit now, Infinity when they never do (past a bucket's size).
   */
  waitMs(records: number): number {
    return Math.max(...this.#buckets.map((bucket) => bucket.waitMs(records, this.#refilledAt)))
  }

  /** Spends `records` from every bucket (below zero if they did not fit: what is owed is paid back first). */
  spend(records: number): void {
    for (const bucket of this.#buckets) bucket.spend(records, this.#refilledAt)
  }

  /** Spends `records` from the burst bucket alone. */
  spendBurst(records: number): void {
    this.#buckets[0]?.spend(records, this.#refilledAt)
  }
}
