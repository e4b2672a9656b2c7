// Reads the join traces of Node peers (test/support/join-trace.ts: one log per process) and tells,
// per pair of peers, how its link came about: offers, invitations, failures, and when it opened.
// Run: JOIN_TRACE_DIR=/tmp/t npx tsx bench/rooms.ts --sizes 8 --kinds parley --idle-ms 0 --no-partial
//      npx tsx bench/join-trace.ts /tmp/t [--late-ms 3000]
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A pair whose link opened later than this after the first announcement counts as late, in ms. */
const DEFAULT_LATE_MS = 3000

/** Late pairs listed one per line, at most. */
const MAX_LATE_SHOWN = 20

/** One traced line: when, which peer wrote it, and its words. */
interface TraceEvent {
  at: number
  self: string
  words: string[]
}

/** How one pair's link came about (ids as y-webrtc peer ids; `low` offers under Parley's rule). */
export interface PairTrace {
  low: string
  high: string
  /** Offers either sent to the other (each a fresh link). */
  offers: number
  /** Marked announcements addressed to the other (invitations to offer). */
  invitations: number
  /** Links of the pair that failed with an error (simple-peer's), and the errors. */
  failures: string[]
  /** From the first announcement in the room until both ends had the link open; null: never. */
  openMs: number | null
}

/** Reads every log of `dir` into events, each tagged with the peer id of the process that wrote it. */
export function readTraces(dir: string): TraceEvent[] {
  const events: TraceEvent[] = []
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.log'))) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean)
    const parsed = lines.map((line) => line.split(' '))
    // A process's own id: the sender of its first announcement.
    const own = parsed.find((words) => words[1] === 'out' && words[2] === 'publish' && words[3] === 'announce')?.[4] ?? file
    for (const words of parsed) events.push({ at: Number(words[0]), self: own, words: words.slice(1) })
  }
  return events.sort((a, b) => a.at - b.at)
}

/** Per pair of the peers that announced: offers, invitations, failures, open time. */
export function pairTraces(events: TraceEvent[]): PairTrace[] {
  const announced = events.filter((event) => event.words[0] === 'out' && event.words[2] === 'announce')
  const start = announced[0]?.at ?? 0
  const ids = [...new Set(announced.map((event) => event.self))].sort()
  const pairs: PairTrace[] = []
  for (const [i, low] of ids.entries())
    for (const high of ids.slice(i + 1)) {
      const between = (a: string, b: string) => (a === low && b === high) || (a === high && b === low)
      const sent = events.filter((event) => event.words[0] === 'out' && between(event.words[3], event.words[4]))
      const opens = events.filter((event) => event.words[0] === 'link-open' && between(event.words[1], event.words[2]))
      const bothOpen = opens.some((event) => event.self === low) && opens.some((event) => event.self === high)
      pairs.push({
        low,
        high,
        offers: sent.filter((event) => event.words[2] === 'signal' && event.words[5] === 'offer').length,
        invitations: sent.filter((event) => event.words[2] === 'announce').length,
        failures: events
          .filter((event) => event.words[0] === 'link-error' && between(event.words[1], event.words[2]))
          .map((event) => event.words[3]),
        openMs: bothOpen ? Math.max(...opens.map((event) => event.at)) - start : null,
      })
    }
  return pairs
}

/** A summary: counts over all pairs, then the late pairs one per line. */
export function traceReport(events: TraceEvent[], lateMs = DEFAULT_LATE_MS): string {
  const pairs = pairTraces(events)
  const late = pairs.filter((pair) => pair.openMs === null || pair.openMs > lateMs)
  const sum = (pick: (pair: PairTrace) => number) => pairs.reduce((total, pair) => total + pick(pair), 0)
  const libraryErrors = new Map<string, number>()
  for (const event of events.filter((each) => each.words[0] === 'rtc-log'))
    libraryErrors.set(event.words.slice(2).join(' '), (libraryErrors.get(event.words.slice(2).join(' ')) ?? 0) + 1)
  const opened = pairs.flatMap((pair) => (pair.openMs === null ? [] : [pair.openMs])).sort((a, b) => a - b)
  return [
    `pairs ${pairs.length}, opened ${opened.length}, last open ${opened.at(-1) ?? '–'} ms after the first announcement`,
    `offers ${sum((pair) => pair.offers)} (pairs with more than one: ${pairs.filter((pair) => pair.offers > 1).length}), invitations ${sum((pair) => pair.invitations)}, failed links ${sum((pair) => pair.failures.length)}`,
    `WebRTC library errors: ${libraryErrors.size === 0 ? 'none' : [...libraryErrors].map(([text, count]) => `${count} × ${text}`).join('; ')}`,
    `late pairs (open after ${lateMs} ms or never): ${late.length}`,
    ...late
      .slice(0, MAX_LATE_SHOWN)
      .map(
        (pair) =>
          `  ${pair.low.slice(0, 8)} ${pair.high.slice(0, 8)} open ${pair.openMs ?? 'never'} offers ${pair.offers} invitations ${pair.invitations} failures ${pair.failures.join(',') || '–'}`,
      ),
    ...(late.length > MAX_LATE_SHOWN ? [`  … and ${late.length - MAX_LATE_SHOWN} more`] : []),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2]
  if (dir === undefined) throw new Error('usage: npx tsx bench/join-trace.ts DIR [--late-ms 3000]')
  const lateIndex = process.argv.indexOf('--late-ms')
  console.log(traceReport(readTraces(dir), lateIndex > 0 ? Number(process.argv[lateIndex + 1]) : DEFAULT_LATE_MS))
}
