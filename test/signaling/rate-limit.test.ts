// Unit tests of the token bucket: burst, refill, cap and the "unlimited" setting.
// Time is passed in, so there are no sleeps.

import { describe, expect, it } from 'vitest'
import { createTokenBucket, takeToken } from '../../signaling/rate-limit.js'
import type { RateLimit, TokenBucket } from '../../signaling/rate-limit.js'

function drain(bucket: TokenBucket, limit: RateLimit, nowMs: number): { taken: number; bucket: TokenBucket } {
  let taken = 0
  let current = bucket
  for (;;) {
    const next = takeToken(current, limit, nowMs)
    if (next === undefined) return { taken, bucket: current }
    taken += 1
    current = next
  }
}

describe('token bucket', () => {
  const limit: RateLimit = { perSecond: 10, burst: 5 }

  it('allows a burst, then refuses', () => {
    expect(drain(createTokenBucket(limit, 0), limit, 0).taken).toBe(5)
  })

  it('refills at the sustained rate, capped at the burst size', () => {
    const empty = drain(createTokenBucket(limit, 0), limit, 0).bucket
    expect(takeToken(empty, limit, 50)).toBeUndefined()
    expect(takeToken(empty, limit, 100)).toBeDefined()
    expect(drain(empty, limit, 300).taken).toBe(3)
    expect(drain(empty, limit, 60_000).taken).toBe(5)
  })

  it('never mutates the bucket it is given', () => {
    const bucket = createTokenBucket(limit, 0)
    takeToken(bucket, limit, 0)
    expect(bucket).toEqual({ tokens: 5, updatedAtMs: 0 })
  })

  it('treats a clock going backwards as no time passing', () => {
    const empty = drain(createTokenBucket(limit, 1_000), limit, 1_000).bucket
    expect(takeToken(empty, limit, 0)).toBeUndefined()
  })

  it('is unlimited when the rate is 0', () => {
    const unlimited: RateLimit = { perSecond: 0, burst: 1 }
    let bucket = createTokenBucket(unlimited, 0)
    for (let i = 0; i < 10_000; i += 1) {
      const next = takeToken(bucket, unlimited, 0)
      expect(next).toBeDefined()
      if (next !== undefined) bucket = next
    }
  })
})
