// How often a stock y-webrtc peer joining a Parley peer waits for the stuck-link timer: the
// history e2e's stock case in Node (one stock peer leaves as the next joins), looped.
// Run: npx tsx bench/stock-join.ts [--runs 20] [--center-ms -45] [--spread-ms 40] [--trace-dir /tmp/t]
//      (each run's per-process join traces go to <trace-dir>/<run>; read with bench/join-trace.ts)
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startSignalingServer } from '../signaling/index.js'
import { NodePeer } from '../test/support/node-peer.js'

/** A join that takes longer than this counts as slow, in ms (a normal one takes well under a second). */
const SLOW_JOIN_MS = 5000
/** A run gives up waiting for the link after this long, in ms (the timer repairs within ~15 s). */
const RUN_TIMEOUT_MS = 40_000
/** How often the link is polled, in ms. */
const POLL_MS = 20

/** One run: how the joiner's link to the Parley peer came about. */
interface RunResult {
  run: number
  /** The joiner's join call began this many ms after the leaving peer's close did (may be negative). */
  offsetMs: number
  /** From the join call until both ends had the link open, in ms; null: not within the timeout. */
  joinMs: number | null
  /** The Parley peer's join counters after the link opened. */
  join: { invitations: number; lostOffers?: number; reoffers: number; reinvitations: number } | null
  /** Offers the joiner sent and received over signaling. */
  joinerOffersSent: number
  joinerOffersReceived: number
  /** A peer's process ended during the run (a crash of the WebRTC library; the traces show what led to it). */
  crashed?: string
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  return false
}

/** One run on a fresh topic: a Parley peer linked to stock peer A; A leaves as stock peer B joins. */
async function oneRun(url: string, run: number, centerMs: number, spreadMs: number, traceDir: string | undefined): Promise<RunResult> {
  if (traceDir !== undefined) {
    const dir = join(traceDir, String(run))
    mkdirSync(dir, { recursive: true })
    process.env.JOIN_TRACE_DIR = dir // the child peers inherit it
  }
  const topic = `stock-join-${process.pid}-${run}`
  const peers: NodePeer[] = []
  try {
    // @roamhq/wrtc, as the published figures were measured (child peers default to node-datachannel now).
    const parley = await NodePeer.start({ kind: 'parley', topic, signalingUrl: url, rtc: 'wrtc' })
    peers.push(parley)
    const leaving = await NodePeer.start({ kind: 'stock', topic, signalingUrl: url, rtc: 'wrtc' })
    peers.push(leaving)
    if (!(await waitFor(async () => (await parley.state()).links.length === 1, RUN_TIMEOUT_MS))) throw new Error('first link never opened')
    const joiner = await NodePeer.start({ kind: 'stock', topic, signalingUrl: url, deferJoin: true, rtc: 'wrtc' })
    peers.push(joiner)
    // The leaving peer's close makes the Parley peer announce again (y-webrtc does when a link
    // closes); the joiner announces as it subscribes, some tens of ms after its join call. The
    // slow path needs the two announcements within a few ms: offsets spread around `centerMs`.
    const offsetMs = Math.round(centerMs + (Math.random() - 0.5) * spreadMs)
    const closing = (async () => {
      if (offsetMs < 0) await new Promise((resolve) => setTimeout(resolve, -offsetMs))
      await leaving.close()
    })()
    if (offsetMs > 0) await new Promise((resolve) => setTimeout(resolve, offsetMs))
    const startedAt = Date.now()
    await joiner.join()
    let parleyId: string | null = null
    const linked = await waitFor(async () => {
      const [p, j] = await Promise.all([parley.state(), joiner.state()])
      parleyId = p.peerId
      return j.peerId !== null && p.links.includes(j.peerId) && parleyId !== null && j.links.includes(parleyId)
    }, RUN_TIMEOUT_MS)
    const joinMs = linked ? Date.now() - startedAt : null
    await closing
    const [p, j] = await Promise.all([parley.state(), joiner.state()])
    return {
      run,
      offsetMs,
      joinMs,
      join: p.join,
      joinerOffersSent: j.tap.offersSent,
      joinerOffersReceived: j.tap.offersReceived,
    }
  } finally {
    for (const peer of peers.reverse()) if (!peer.exited) await peer.close()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      'center-ms': { type: 'string', default: '-45' },
      'spread-ms': { type: 'string', default: '40' },
      'trace-dir': { type: 'string' },
    },
  })
  const runs = Number(values.runs)
  const centerMs = Number(values['center-ms'])
  const spreadMs = Number(values['spread-ms'])
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  const results: RunResult[] = []
  try {
    for (let run = 0; run < runs; run++) {
      const result = await oneRun(server.url, run, centerMs, spreadMs, values['trace-dir']).catch(
        (error: unknown): RunResult => ({
          run,
          offsetMs: 0,
          joinMs: null,
          join: null,
          joinerOffersSent: 0,
          joinerOffersReceived: 0,
          crashed: error instanceof Error ? error.message : String(error),
        }),
      )
      results.push(result)
      console.log(JSON.stringify(result))
    }
  } finally {
    await server.close()
  }
  const crashed = results.filter((result) => result.crashed !== undefined)
  const slow = results.filter((result) => result.crashed === undefined && (result.joinMs === null || result.joinMs > SLOW_JOIN_MS))
  const timerRepaired = results.filter((result) => (result.join?.reoffers ?? 0) > 0)
  const lostOffers = results.filter((result) => (result.join?.lostOffers ?? 0) > 0)
  console.log(
    JSON.stringify({
      runs,
      slowJoins: slow.length,
      neverLinked: results.filter((result) => result.crashed === undefined && result.joinMs === null).length,
      crashedRuns: crashed.map((result) => result.run),
      runsWithTimerReoffers: timerRepaired.length,
      runsWithLostOffers: lostOffers.length,
      slowRuns: slow.map((result) => result.run),
    }),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
