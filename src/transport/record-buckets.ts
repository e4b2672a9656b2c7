// Three token buckets of Yjs records, spent together: a burst with its rate, a larger one with a
// lower rate (minutes), and a larger one still with a lower rate again (hours). What a link's guard
// lets in (peer-guard.ts) and what a page relays (relay.ts, half of it) are both counted this way.
// Pure: time is a parameter.

/** A burst and its rate, the same over minutes, and over hours. */
export interface RecordLimits {
  burst: number
  perSecond: number
  sustainedBurst: number
  sustainedPerSecond: number
  hourlyBurst: number
  hourlyPerSecond: number
}

/** One bucket: what it holds at most, its rate, what it holds now. */
interface Bucket {
  readonly size: number
  readonly perSecond: number
  tokens: number
}

/** The buckets of one link (or one relay), full or as given at first. */
export class RecordBuckets {
  /** The burst's bucket first, then minutes', then hours'. */
  readonly #buckets: readonly Bucket[]
  #refilledAt: number

  /** Full at `now`, except the burst bucket, which starts at `burst` (at most the limit). */
  constructor(limits: RecordLimits, now: number, burst = limits.burst) {
    this.#buckets = [
      { size: limits.burst, perSecond: limits.perSecond, tokens: Math.min(limits.burst, burst) },
      { size: limits.sustainedBurst, perSecond: limits.sustainedPerSecond, tokens: limits.sustainedBurst },
      { size: limits.hourlyBurst, perSecond: limits.hourlyPerSecond, tokens: limits.hourlyBurst },
    ]
    this.#refilledAt = now
  }

  /** Refills every bucket for the time since the last refill (none when `now` is earlier). */
  refill(now: number): void {
    const elapsedMs = Math.max(0, now - this.#refilledAt)
    for (const bucket of this.#buckets) bucket.tokens = Math.min(bucket.size, bucket.tokens + (elapsedMs * bucket.perSecond) / 1000)
    this.#refilledAt = Math.max(this.#refilledAt, now)
  }

  /** Records the burst bucket holds now (as last refilled). */
  get burstLeft(): number {
    return this.#buckets[0]?.tokens ?? 0
  }

  /** Whether `records` fit every bucket (as last refilled). */
  fits(records: number): boolean {
    return this.#buckets.every((bucket) => records <= bucket.tokens)
  }

  /** Spends `records` from every bucket (below zero if they did not fit: what is owed is paid back first). */
  spend(records: number): void {
    for (const bucket of this.#buckets) bucket.tokens -= records
  }

  /** Spends `records` from the burst bucket alone. */
  spendBurst(records: number): void {
    const burst = this.#buckets[0]
    if (burst !== undefined) burst.tokens -= records
  }
}
