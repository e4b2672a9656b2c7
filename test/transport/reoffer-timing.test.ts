import { describe, expect, it } from 'vitest'
import {
  MAX_REOFFERS,
  REOFFER_BACKOFF_FACTOR,
  REOFFER_JITTER,
  REOFFER_QUIET_MS,
  isStuck,
  mayRetry,
  progressed,
  quietLimitMs,
  startClock,
} from '../../src/transport/reoffer-timing.js'

describe('quietLimitMs', () => {
  it('backs off exponentially per attempt', () => {
    expect(quietLimitMs(0, 0)).toBe(REOFFER_QUIET_MS)
    expect(quietLimitMs(1, 0)).toBe(REOFFER_QUIET_MS * REOFFER_BACKOFF_FACTOR)
    expect(quietLimitMs(2, 0)).toBe(REOFFER_QUIET_MS * REOFFER_BACKOFF_FACTOR ** 2)
  })

  it('adds up to the jitter fraction, so that peers that stalled together retry apart', () => {
    expect(quietLimitMs(0, 0.5)).toBe(Math.round(REOFFER_QUIET_MS * (1 + REOFFER_JITTER * 0.5)))
    const highest = quietLimitMs(1, 0.999_999)
    expect(highest).toBeLessThanOrEqual(REOFFER_QUIET_MS * REOFFER_BACKOFF_FACTOR * (1 + REOFFER_JITTER))
    expect(highest).toBeGreaterThan(quietLimitMs(1, 0))
  })

  it('scales from the base a caller gives', () => {
    expect(quietLimitMs(2, 0, 100)).toBe(100 * REOFFER_BACKOFF_FACTOR ** 2)
  })
})

describe('a link clock', () => {
  it('counts quiet time from the last progress, not from the start', () => {
    let clock = startClock(0, 0, 0, 1000)
    // A slow link: progress every 900 ms for ten seconds never counts as stuck.
    for (let now = 900; now <= 10_000; now += 900) {
      expect(isStuck(clock, now)).toBe(false)
      clock = progressed(clock, now)
    }
    expect(isStuck(clock, clock.lastProgressAt + 999)).toBe(false)
    expect(isStuck(clock, clock.lastProgressAt + 1000)).toBe(true)
  })

  it('a link with no progress is stuck after its quiet time', () => {
    const clock = startClock(5000, 0, 0, 1000)
    expect(isStuck(clock, 5999)).toBe(false)
    expect(isStuck(clock, 6000)).toBe(true)
  })

  it('ignores progress older than what it has, and does not change the clock it is given', () => {
    const clock = startClock(5000, 1, 0, 1000)
    expect(progressed(clock, 4000)).toBe(clock)
    const later = progressed(clock, 7000)
    expect(later).toEqual({ lastProgressAt: 7000, quietMs: 2000 })
    expect(clock.lastProgressAt).toBe(5000)
  })
})

describe('mayRetry', () => {
  it('allows MAX_REOFFERS attempts, then counts the peer as gone', () => {
    const allowed = Array.from({ length: MAX_REOFFERS + 2 }, (_, failed) => mayRetry(failed))
    expect(allowed.filter(Boolean)).toHaveLength(MAX_REOFFERS)
    expect(allowed.at(-1)).toBe(false)
  })
})
