// The token bucket every rate limit shares: a burst, then the rate; what is owed paid back first;
// time that runs back earns nothing; how long until tokens are there.
import { describe, expect, it } from 'vitest'
import { perSecond, refilled, TokenBucket, waitMs } from '../../src/tasks/index.js'

const RATE = perSecond(10, 2)

describe('refilled', () => {
  it('earns at the rate up to the capacity, and nothing for a negative time', () => {
    expect(refilled(RATE, 0, 500)).toBe(1)
    expect(refilled(RATE, 0, 499)).toBeLessThan(1)
    expect(refilled(RATE, 9, 60_000)).toBe(10)
    expect(refilled(RATE, 3, -5_000)).toBe(3)
    expect(refilled(RATE, -4, 1000)).toBe(-2)
    // A rate given per another span: 6 a minute is one every 10 s.
    expect(refilled({ capacity: 4, refill: 6, refillMs: 60_000 }, 0, 10_000)).toBe(1)
  })
})

describe('waitMs', () => {
  it('is 0 when the tokens are there, the time they take when not, and Infinity past the capacity', () => {
    expect(waitMs(RATE, 5, 5)).toBe(0)
    expect(waitMs(RATE, 4, 5)).toBe(500)
    expect(waitMs(RATE, -2, 1)).toBe(1500)
    expect(waitMs(RATE, 10, 11)).toBe(Number.POSITIVE_INFINITY)
  })
})

describe('TokenBucket', () => {
  it('lets a burst through, then the rate', () => {
    const bucket = new TokenBucket(RATE, 0)
    for (let n = 0; n < 10; n++) expect(bucket.take(1, 0), `token ${n}`).toBe(true)
    expect(bucket.take(1, 0)).toBe(false)
    expect(bucket.take(1, 499)).toBe(false)
    expect(bucket.take(1, 500)).toBe(true)
    expect(bucket.take(2, 1000)).toBe(false) // one earned since, not two: a refusal takes nothing
    expect(bucket.take(1, 1000)).toBe(true)
  })

  it('starts as given, never past its capacity', () => {
    expect(new TokenBucket(RATE, 0, 0).tokensAt(0)).toBe(0)
    expect(new TokenBucket(RATE, 0, 3).tokensAt(1000)).toBe(5)
    expect(new TokenBucket(RATE, 0, 100).tokensAt(0)).toBe(10)
  })

  it('pays back what was spent past it before it lets more through', () => {
    const bucket = new TokenBucket(RATE, 0)
    bucket.spend(14, 0)
    expect(bucket.tokensAt(0)).toBe(-4)
    expect(bucket.waitMs(1, 0)).toBe(2500)
    expect(bucket.take(1, 2499)).toBe(false)
    expect(bucket.take(1, 2500)).toBe(true)
  })

  it('earns nothing for time that runs back, and keeps the later time', () => {
    const bucket = new TokenBucket(RATE, 10_000, 0)
    bucket.refill(5_000)
    expect(bucket.tokensAt(10_000)).toBe(0)
    expect(bucket.take(1, 9_000)).toBe(false)
    expect(bucket.take(1, 10_500)).toBe(true)
  })

  it('reads without counting: tokensAt and waitMs change nothing', () => {
    const bucket = new TokenBucket(RATE, 0, 0)
    expect(bucket.tokensAt(1000)).toBe(2)
    expect(bucket.waitMs(4, 1000)).toBe(1000)
    expect(bucket.tokensAt(500)).toBe(1)
  })

  it('holds less once limited, from its next count on', () => {
    const bucket = new TokenBucket(RATE, 0)
    bucket.limit(3)
    expect(bucket.capacity).toBe(3)
    expect(bucket.tokensAt(0)).toBe(3)
    expect(bucket.take(3, 0)).toBe(true)
    expect(bucket.tokensAt(60_000)).toBe(3)
    expect(bucket.waitMs(4, 60_000)).toBe(Number.POSITIVE_INFINITY)
  })
})
