// A token bucket for per-connection frame rate limiting, as plain data and pure functions.
// Time is a parameter (`nowMs`), so tests need no clock and no sleeps.

/** Bucket state: tokens left (fractional while refilling) and when it was last refilled. */
export interface TokenBucket {
  readonly tokens: number
  readonly updatedAtMs: number
}

/** Refill rate and capacity; a rate of 0 means "unlimited". */
export interface RateLimit {
  readonly perSecond: number
  readonly burst: number
}

const MS_PER_SECOND = 1_000

/** A full bucket at time `nowMs`. */
export function createTokenBucket(limit: RateLimit, nowMs: number): TokenBucket {
  return { tokens: limit.burst, updatedAtMs: nowMs }
}

/**
 * Takes one token at `nowMs`. Returns the next bucket state, or undefined when the bucket is
 * empty (the caller then refuses the frame). The input bucket is never mutated.
 */
export function takeToken(bucket: TokenBucket, limit: RateLimit, nowMs: number): TokenBucket | undefined {
  if (limit.perSecond === 0) return bucket
  const elapsedMs = Math.max(0, nowMs - bucket.updatedAtMs)
  const refilled = Math.min(limit.burst, bucket.tokens + (elapsedMs * limit.perSecond) / MS_PER_SECOND)
  if (refilled < 1) return undefined
  return { tokens: refilled - 1, updatedAtMs: nowMs }
}
