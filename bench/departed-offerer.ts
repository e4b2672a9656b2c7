// How many offers a Parley peer sends to a stock y-webrtc peer that left while its offer to us was
// on the way (y-webrtc's signaling has no leave message), and when. The stock peer is there
// first and offers when the Parley peer announces; the Parley peer's tap holds signals to it for
// `--delay-ms`, and the stock peer is closed as soon as its offer is out, so the Parley peer
// answers a peer that is gone and its link never connects.
// Run: npx tsx bench/departed-offerer.ts [--runs 3] [--delay-ms 2000] [--watch-ms 150000]
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startSignalingServer } from '../signaling/index.js'
import { NodePeer } from '../test/support/node-peer.js'

/** How often the peers are polled, in ms. */
const POLL_MS = 100

/** One run: the offers the Parley peer sent to the departed peer. */
interface RunResult {
  run: number
  /** When each of our offers to the departed peer went out, in ms after it left. */
  offersAtMs: number[]
  /** The Parley peer's join counters at the end. */
  join: Record<string, unknown> | null
  crashed?: string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function oneRun(url: string, run: number, delayMs: number, watchMs: number): Promise<RunResult> {
  const topic = `departed-offerer-${process.pid}-${run}`
  const peers: NodePeer[] = []
  try {
    const stock = await NodePeer.start({ kind: 'stock', topic, signalingUrl: url, rtc: 'node-datachannel' })
    peers.push(stock)
    while (!(await stock.state()).tap.subscribed) await sleep(POLL_MS)
    const parley = await NodePeer.start({
      kind: 'parley',
      topic,
      signalingUrl: url,
      rtc: 'node-datachannel',
      tap: { delaySignalsMs: delayMs },
    })
    peers.push(parley)
    while ((await stock.state()).tap.offersSent === 0) await sleep(10)
    const stockId = (await stock.state()).tap.peerId as string
    await stock.close()
    const left = Date.now()
    const offersAtMs: number[] = []
    while (Date.now() - left < watchMs) {
      const offers = (await parley.state()).tap.offersByPeer[stockId] ?? 0
      while (offersAtMs.length < offers) offersAtMs.push(Date.now() - left)
      await sleep(POLL_MS)
    }
    return { run, offersAtMs, join: (await parley.state()).join }
  } finally {
    for (const peer of peers.reverse()) if (!peer.exited) await peer.close()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'delay-ms': { type: 'string', default: '2000' },
      'watch-ms': { type: 'string', default: '150000' },
    },
  })
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  const results: RunResult[] = []
  try {
    for (let run = 0; run < Number(values.runs); run++) {
      const result = await oneRun(server.url, run, Number(values['delay-ms']), Number(values['watch-ms'])).catch(
        (error: unknown): RunResult => ({
          run,
          offersAtMs: [],
          join: null,
          crashed: error instanceof Error ? error.message : String(error),
        }),
      )
      results.push(result)
      console.log(JSON.stringify(result))
    }
  } finally {
    await server.close()
  }
  const counted = results.filter((result) => result.crashed === undefined)
  console.log(
    JSON.stringify({ runs: results.length, crashed: results.length - counted.length, offers: counted.map((r) => r.offersAtMs.length) }),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
