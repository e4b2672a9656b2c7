// What a link's records buckets let a slow flooder bring, in the pure rule (no network, counts
// only): at a steady rate on one link, when it is cut off and what it got in; then a flooder that
// comes back as somebody new (a new peer id, document and key) each time it is cut off, records an
// hour, with the links opened after a ban starting fresh (as now) or from pools shared by them,
// and with the least share of the short burst as now or a person's burst (30).
// Run: npx tsx bench/slow-flood-model.ts
import { SharedBurst } from '../src/transport/banned-peers.js'
import { LEAST_RECORDS_BURST, LINK_RECORD_LIMITS, RECORDS_BURST } from '../src/transport/peer-guard.js'
import { RecordBuckets } from '../src/transport/record-buckets.js'

/** The flooder writes a batch every this many ms. */
const STEP_MS = 100
const HOUR_MS = 3_600_000

/** One link's three buckets, starting at the given levels (the guard's RecordBuckets starts the last two full). */
class Levels {
  readonly #size = [LINK_RECORD_LIMITS.burst, LINK_RECORD_LIMITS.sustainedBurst, LINK_RECORD_LIMITS.hourlyBurst]
  readonly #perSecond = [LINK_RECORD_LIMITS.perSecond, LINK_RECORD_LIMITS.sustainedPerSecond, LINK_RECORD_LIMITS.hourlyPerSecond]
  constructor(readonly levels: number[]) {}
  refill(ms: number): void {
    this.levels.forEach((level, index) => {
      this.levels[index] = Math.min(this.#size[index] ?? 0, level + ((this.#perSecond[index] ?? 0) * ms) / 1000)
    })
  }
  take(records: number): boolean {
    if (this.levels.some((level) => records > level)) return false
    this.levels.forEach((level, index) => {
      this.levels[index] = level - records
    })
    return true
  }
}

/** A pool the links opened after a ban take from: empty at the ban, whole again in `refillMs`. */
class Pool {
  #tokens = 0
  #at = 0
  constructor(
    readonly size: number,
    readonly refillMs: number,
  ) {}
  take(now: number): number {
    this.#tokens = Math.min(this.size, this.#tokens + ((now - this.#at) * this.size) / this.refillMs)
    this.#at = now
    const taken = Math.floor(this.#tokens)
    this.#tokens -= taken
    return taken
  }
}

/** A steady flood on one link: when it is cut off (ms, or null within `limitMs`) and the records it got in. */
function steady(perSecond: number, limitMs: number): { cutAt: number | null; records: number } {
  const buckets = new RecordBuckets(LINK_RECORD_LIMITS, 0)
  let owed = 0
  let records = 0
  for (let now = STEP_MS; now <= limitMs; now += STEP_MS) {
    buckets.refill(now)
    owed += (perSecond * STEP_MS) / 1000
    const batch = Math.floor(owed)
    if (batch === 0) continue
    if (!buckets.fits(batch)) return { cutAt: now, records }
    buckets.spend(batch)
    records += batch
    owed -= batch
  }
  return { cutAt: null, records }
}

/** A flooder at `perSecond` that comes back `reconnectMs` after each cut: records in an hour, links' starting levels from `start`. */
function renewing(perSecond: number, reconnectMs: number, start: (now: number) => number[]): number {
  let now = 0
  let records = 0
  while (now < HOUR_MS) {
    const link = new Levels(start(now))
    let owed = 0
    for (;;) {
      now += STEP_MS
      if (now >= HOUR_MS) break
      link.refill(STEP_MS)
      owed += (perSecond * STEP_MS) / 1000
      const batch = Math.floor(owed)
      if (batch === 0) continue
      if (!link.take(batch)) break
      records += batch
      owed -= batch
    }
    now += reconnectMs
  }
  return records
}

const format = (n: number): string => n.toLocaleString('en')
console.log('| records/s on one link | cut off after | records in |')
console.log('|---|---|---|')
for (const rate of [9.9, 9, 5, 3, 2, 1.25, 1]) {
  const { cutAt, records } = steady(rate, 48 * HOUR_MS)
  console.log(`| ${rate} | ${cutAt === null ? 'never (48 h)' : `${(cutAt / 60_000).toFixed(1)} min`} | ${format(records)} |`)
}
console.log('\n| reconnect | records/s | fresh buckets (as now) | minutes and hours shared, floors 750 / 3,600 | shared, floors 30 / 30 |')
console.log('|---|---|---|---|---|')
const { sustainedBurst, hourlyBurst } = LINK_RECORD_LIMITS
for (const reconnectMs of [3000, 10_000]) {
  for (const rate of [9.9, 20, 50]) {
    const shortPool = new SharedBurst(RECORDS_BURST, 0)
    const now = renewing(rate, reconnectMs, (at) => [Math.max(LEAST_RECORDS_BURST, shortPool.take(at)), sustainedBurst, hourlyBurst])
    const shared = (minutesFloor: number, hoursFloor: number): number => {
      const short = new SharedBurst(RECORDS_BURST, 0)
      const minutes = new Pool(sustainedBurst, 10 * 60_000)
      const hours = new Pool(hourlyBurst, HOUR_MS)
      return renewing(rate, reconnectMs, (at) => [
        Math.max(LEAST_RECORDS_BURST, short.take(at)),
        Math.max(minutesFloor, minutes.take(at)),
        Math.max(hoursFloor, hours.take(at)),
      ])
    }
    console.log(`| ${reconnectMs / 1000} s | ${rate} | ${format(now)} | ${format(shared(750, 3600))} | ${format(shared(30, 30))} |`)
  }
}

// The least share a link opened after a ban takes (LEAST_RECORDS_BURST) against a person's burst
// alone (30, before the sixteenth session), for a flooder that offers more than the short rate.
console.log(`\n| reconnect | records/s offered | least share ${LEAST_RECORDS_BURST} (now) | least share 30 |`)
console.log('|---|---|---|---|')
for (const reconnectMs of [3000, 10_000]) {
  for (const rate of [50, 100, 200]) {
    const withLeast = (least: number): number => {
      const short = new SharedBurst(RECORDS_BURST, 0)
      return renewing(rate, reconnectMs, (at) => [Math.max(least, short.take(at)), sustainedBurst, hourlyBurst])
    }
    console.log(`| ${reconnectMs / 1000} s | ${rate} | ${format(withLeast(LEAST_RECORDS_BURST))} | ${format(withLeast(30))} |`)
  }
}
