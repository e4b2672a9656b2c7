// How long a Parley peer and a stock y-webrtc peer stay unlinked when the Parley peer's link to
// it fails on its side alone (as a DTLS handshake failed in a browser), looped. `--case answering`:
// the stock peer is there first and offers; the Parley peer answers, and test/support's
// `failAnswers` reports ICE 'failed' a task after its answer is set. `--case offering`: the Parley
// peer is there first and offers to the stock peer as it announces; `failOffers` fails its link a
// task after the stock peer's answer is set.
// Run: npx tsx bench/lapsed-answer.ts [--runs 10] [--case answering|offering] [--stock-rtc node-datachannel|wrtc] [--timeout-ms 60000]
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startSignalingServer } from '../signaling/index.js'
import { NodePeer } from '../test/support/node-peer.js'
import type { NodeRtcName } from '../test/support/node-rtc.js'

/** How often the links are polled, in ms. */
const POLL_MS = 50

/** One run: how long the pair took to link, and how. */
interface RunResult {
  run: number
  /** From the second peer's start until both ends had the link open, in ms; null: not within the timeout. */
  linkMs: number | null
  /** Offers each side sent over signaling. */
  stockOffers: number
  parleyOffers: number
  /** The Parley peer's join counters at the end. */
  join: Record<string, unknown> | null
  crashed?: string
}

/** Which of the Parley peer's links fails: one that answers the stock peer, or one that offers to it. */
type FailingCase = 'answering' | 'offering'

const waitSubscribed = async (peer: NodePeer): Promise<void> => {
  while (!(await peer.state()).tap.subscribed) await new Promise((resolve) => setTimeout(resolve, POLL_MS))
}

async function oneRun(url: string, run: number, failing: FailingCase, stockRtc: NodeRtcName, timeoutMs: number): Promise<RunResult> {
  const topic = `lapsed-answer-${process.pid}-${run}`
  const peers: NodePeer[] = []
  try {
    // The one that comes second announces to the first, which offers: the stock peer when the
    // Parley peer's answer is to fail, the Parley peer when its offer is to.
    const startStock = async (): Promise<NodePeer> => {
      const peer = await NodePeer.start({ kind: 'stock', topic, signalingUrl: url, rtc: stockRtc })
      peers.push(peer)
      return peer
    }
    const startParley = async (): Promise<NodePeer> => {
      const fails = failing === 'answering' ? { failAnswers: 1 } : { failOffers: 1 }
      const peer = await NodePeer.start({ kind: 'parley', topic, signalingUrl: url, rtc: 'node-datachannel', ...fails })
      peers.push(peer)
      return peer
    }
    let started: number
    let stock: NodePeer
    let parley: NodePeer
    if (failing === 'answering') {
      stock = await startStock()
      await waitSubscribed(stock)
      started = Date.now()
      parley = await startParley()
    } else {
      parley = await startParley()
      await waitSubscribed(parley)
      started = Date.now()
      stock = await startStock()
    }
    let linkMs: number | null = null
    while (Date.now() - started < timeoutMs) {
      const [a, b] = await Promise.all([parley.state(), stock.state()])
      if (a.links.length === 1 && b.links.length === 1) {
        linkMs = Date.now() - started
        break
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    const [a, b] = await Promise.all([parley.state(), stock.state()])
    return { run, linkMs, stockOffers: b.tap.offersSent, parleyOffers: a.tap.offersSent, join: a.join }
  } finally {
    for (const peer of peers.reverse()) if (!peer.exited) await peer.close()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      case: { type: 'string', default: 'answering' },
      'stock-rtc': { type: 'string', default: 'node-datachannel' },
      'timeout-ms': { type: 'string', default: '60000' },
    },
  })
  const runs = Number(values.runs)
  const stockRtc = values['stock-rtc'] as NodeRtcName
  const failing = values.case as FailingCase
  if (failing !== 'answering' && failing !== 'offering') throw new Error(`--case answering|offering, not ${failing}`)
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  const results: RunResult[] = []
  try {
    for (let run = 0; run < runs; run++) {
      const result = await oneRun(server.url, run, failing, stockRtc, Number(values['timeout-ms'])).catch(
        (error: unknown): RunResult => ({
          run,
          linkMs: null,
          stockOffers: 0,
          parleyOffers: 0,
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
  const linked = results.filter((result) => result.linkMs !== null).map((result) => result.linkMs as number)
  linked.sort((x, y) => x - y)
  console.log(
    JSON.stringify({
      runs,
      case: failing,
      stockRtc,
      linked: linked.length,
      neverLinked: results.filter((result) => result.crashed === undefined && result.linkMs === null).length,
      crashed: results.filter((result) => result.crashed !== undefined).length,
      linkMs: linked,
    }),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
