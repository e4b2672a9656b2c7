// Two token buckets of Yjs records, spent together: a burst with its rate, and a larger one with
// a lower rate (minutes). What a link's guard lets in (peer-guard.ts) and what a page relays
// (relay.ts, half of it) are both counted this way. Pure: time is a parameter.

/** A burst and its rate, and the same over minutes. */
export interface RecordLimits {
  burst: number
  perSecond: number
  sustainedBurst: number
  sustainedPerSecond: number
}

/** Both buckets of one link (or one relay), full or as given at first. */
export class RecordBuckets {
  readonly #limits: RecordLimits
  #burst: number
  #sustained: number
  #refilledAt: number

  /** Full at `now`, except the burst bucket, which starts at `burst` (at most the limit). */
  constructor(limits: RecordLimits, now: number, burst = limits.burst) {
    this.#limits = limits
    this.#burst = Math.min(limits.burst, burst)
    this.#sustained = limits.sustainedBurst
    this.#refilledAt = now
  }

  /** Refills both buckets for the time since the last refill (none when `now` is earlier). */
  refill(now: number): void {
    const elapsedMs = Math.max(0, now - this.#refilledAt)
    const limits = this.#limits
    this.#burst = Math.min(limits.burst, this.#burst + (elapsedMs * limits.perSecond) / 1000)
    this.#sustained = Math.min(limits.sustainedBurst, this.#sustained + (elapsedMs * limits.sustainedPerSecond) / 1000)
    this.#refilledAt = Math.max(this.#refilledAt, now)
  }

  /** Records the burst bucket holds now (as last refilled). */
  get burstLeft(): number {
    return this.#burst
  }

  /** Whether `records` fit both buckets (as last refilled). */
  fits(records: number): boolean {
    return records <= this.#burst && records <= this.#sustained
  }

  /**
   * Time until `records` fit both buckets at their rates, from the last refill, in ms: 0 when
   * they fit now, Infinity when they never do (past either burst).
   */
  waitMs(records: number): number {
    const limits = this.#limits
    if (records > limits.burst || records > limits.sustainedBurst) return Number.POSITIVE_INFINITY
    const burstMs = (Math.max(0, records - this.#burst) * 1000) / limits.perSecond
    const sustainedMs = (Math.max(0, records - this.#sustained) * 1000) / limits.sustainedPerSecond
    return Math.max(burstMs, sustainedMs)
  }

  /** Spends `records` from both buckets (below zero if they did not fit: what is owed is paid back first). */
  spend(records: number): void {
    this.#burst -= records
    this.#sustained -= records
  }

  /** Spends `records` from the burst bucket alone. */
  spendBurst(records: number): void {
    this.#burst -= records
  }
}
