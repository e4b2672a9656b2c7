// Token buckets, the one rate limit every layer uses: a bucket holds at most `capacity` tokens and
// earns `refill` more every `refillMs` ms, pro rata; what is spent past what it holds is owed, paid
// back first. Pure: time is a parameter (a clock's, or the time a record claims) and never runs back.

/** What a bucket holds at most, and what it earns: `refill` tokens every `refillMs` ms, pro rata. */
export interface BucketRate {
  readonly capacity: number
  readonly refill: number
  readonly refillMs: number
}

/** `capacity` tokens at most, earning `tokensPerSecond` a second. */
export function perSecond(capacity: number, tokensPerSecond: number): BucketRate {
  return { capacity, refill: tokensPerSecond, refillMs: 1000 }
}

/** The tokens of a bucket that held `tokens`, `elapsedMs` later, at `rate` (a negative time earns none). */
export function refilled(rate: BucketRate, tokens: number, elapsedMs: number): number {
  return Math.min(rate.capacity, tokens + (Math.max(0, elapsedMs) * rate.refill) / rate.refillMs)
}

/** Time until a bucket holding `tokens` holds `wanted` at `rate`, in ms: 0 when it does, Infinity when it never will (past its capacity). */
export function waitMs(rate: BucketRate, tokens: number, wanted: number): number {
  if (wanted > rate.capacity) return Number.POSITIVE_INFINITY
  return (Math.max(0, wanted - tokens) * rate.refillMs) / rate.refill
}

/** A token bucket and what it holds: the shell of `refilled` for callers that keep one. */
export class TokenBucket {
  #rate: BucketRate
  #tokens: number
  /** When `#tokens` was counted, in ms. */
  #at: number

  /** Holding `tokens` at `now` (full by default, never past its capacity). */
  constructor(rate: BucketRate, now: number, tokens = rate.capacity) {
    this.#rate = rate
    this.#tokens = Math.min(rate.capacity, tokens)
    this.#at = now
  }

  /** What it holds at most. */
  get capacity(): number {
    return this.#rate.capacity
  }

  /** Tokens it holds at `now` (below zero while it owes). */
  tokensAt(now: number): number {
    return refilled(this.#rate, this.#tokens, now - this.#at)
  }

  /** Time from `now` until it holds `wanted`, in ms: 0 when it does, Infinity when it never will. */
  waitMs(wanted: number, now: number): number {
    return waitMs(this.#rate, this.tokensAt(now), wanted)
  }

  /** Counts what it earned until `now`. */
  refill(now: number): void {
    this.#tokens = this.tokensAt(now)
    this.#at = Math.max(this.#at, now)
  }

  /** Takes `tokens` at `now` if it holds them; false, taking nothing, if not. */
  take(tokens: number, now: number): boolean {
    this.refill(now)
    if (this.#tokens < tokens) return false
    this.#tokens -= tokens
    return true
  }

  /** Spends `tokens` at `now` whether it holds them or not (below zero: owed, paid back first). */
  spend(tokens: number, now: number): void {
    this.refill(now)
    this.#tokens -= tokens
  }

  /** Holds at most `capacity` from now on (what it holds past it is gone at the next count). */
  limit(capacity: number): void {
    this.#rate = { ...this.#rate, capacity }
  }
}
