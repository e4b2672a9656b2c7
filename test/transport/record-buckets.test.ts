import { describe, expect, it } from 'vitest'
import { LINK_RECORD_LIMITS, RECORDS_BURST, SUSTAINED_RECORDS_BURST } from '../../src/transport/peer-guard.js'
import { RecordBuckets } from '../../src/transport/record-buckets.js'
import { RELAYED_RECORD_LIMITS } from '../../src/transport/relay.js'

describe('RecordBuckets', () => {
  it('lets a burst through, then the short rate, until the minutes’ bucket is spent', () => {
    const buckets = new RecordBuckets(LINK_RECORD_LIMITS, 0)
    expect(buckets.fits(RECORDS_BURST)).toBe(true)
    expect(buckets.fits(RECORDS_BURST + 1)).toBe(false)
    buckets.spend(RECORDS_BURST)
    // 40 a second, under the short rate: the minutes' bucket runs out (on main there was none).
    let now = 0
    let passed = RECORDS_BURST
    for (;;) {
      now += 1000
      buckets.refill(now)
      if (!buckets.fits(40)) break
      buckets.spend(40)
      passed += 40
    }
    expect(passed).toBeGreaterThan(SUSTAINED_RECORDS_BURST)
    expect(passed).toBeLessThanOrEqual(SUSTAINED_RECORDS_BURST + (now / 1000) * LINK_RECORD_LIMITS.sustainedPerSecond)
    // A given burst is the burst bucket's start, never past the limit; the minutes' starts full.
    expect(new RecordBuckets(LINK_RECORD_LIMITS, 0, 30).fits(31)).toBe(false)
    expect(new RecordBuckets(LINK_RECORD_LIMITS, 0, 10 * RECORDS_BURST).fits(RECORDS_BURST + 1)).toBe(false)
  })

  it('keeps what a page relays within what its neighbours’ guards let in, for an hour, whatever its links bring', () => {
    // A page with three links, each letting records in at the most its guard allows (a flood, or
    // a busy room's writing), relays them on to a fourth: what it sends (the rest is left to the
    // digests, whose answers are not counted) never trips that link's guard. With main's relay
    // (250 at once and 25 a second, nothing over minutes) it did within two minutes.
    const links = Array.from({ length: 3 }, () => new RecordBuckets(LINK_RECORD_LIMITS, 0))
    const relay = new RecordBuckets(RELAYED_RECORD_LIMITS, 0)
    const next = new RecordBuckets(LINK_RECORD_LIMITS, 0)
    let left = 0
    for (let now = 0; now <= 3_600_000; now += 100) {
      for (const each of [...links, relay, next]) each.refill(now)
      for (const link of links) {
        const batch = 5 // 50 a second offered, as fast as a link takes records
        if (!link.fits(batch)) continue
        link.spend(batch)
        if (!relay.fits(batch)) {
          left += batch
          continue
        }
        relay.spend(batch)
        expect(next.fits(batch), `at ${now} ms`).toBe(true)
        next.spend(batch)
      }
    }
    expect(left).toBeGreaterThan(0)
  })

  it('says how long until records fit both buckets, and never for more than a burst', () => {
    const buckets = new RecordBuckets(RELAYED_RECORD_LIMITS, 0)
    expect(buckets.waitMs(200)).toBe(0)
    buckets.spend(200)
    // 50 left of the short burst: 150 more at 25 a second.
    expect(buckets.waitMs(200)).toBe(6000)
    buckets.refill(6000)
    expect(buckets.fits(200)).toBe(true)
    // The minutes' bucket (750, 5 a second) nearly spent: it is the slower one. 20 s later the
    // short one holds 50 (150 more in 6 s), the minutes' one 150 (50 more in 10 s).
    const spent = new RecordBuckets(RELAYED_RECORD_LIMITS, 0)
    spent.spend(700)
    spent.refill(20_000)
    expect(spent.fits(200)).toBe(false)
    expect(spent.waitMs(200)).toBe(10_000)
    expect(buckets.waitMs(RELAYED_RECORD_LIMITS.burst + 1)).toBe(Number.POSITIVE_INFINITY)
  })
})
