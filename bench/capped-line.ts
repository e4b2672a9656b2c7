// Capped-line benchmark: Node Parley peers (one process each) with the caps of
// test/transport/liveness-rumors-wrtc.test.ts's line (maxConns 1, 2, 2, 2: p0 - p1 - p2 - p3) join
// one by one, each once the one before has a link, K times; every link counts as connected
// --slow-connect-ms late (each peer's getStats that slow, as on a loaded machine; from peer
// --slow-from on, all by default). Counts, after the room settles: lines that did not form, peers
// over their cap, pieces of the link graph, lonely announcements, take invitations, sheds (late
// ones: cap-rule.ts lateLinkToShed), and delivery of a message from the first and the last peer.
// Run alone: npx tsx bench/capped-line.ts [--runs 6] [--slow-connect-ms 3000] [--settle-ms 12000]
//   [--caps 1,2,2,2] [--slow-from 0]
// (the triangle a stalled link leaves: --caps 1,2,2 --slow-from 2 --slow-connect-ms 12000)
import { startSignalingServer } from '../signaling/index.js'
import { NodePeer, type NodePeerState } from '../test/support/node-peer.js'
import { joinedOneByOne, meshShape } from '../test/support/partial-mesh.js'

const capsFlag = process.argv.indexOf('--caps')
const CAPS = capsFlag > 0 ? process.argv[capsFlag + 1].split(',').map(Number) : [1, 2, 2, 2]
/** How long a message may take to reach every peer, in ms. */
const DELIVERY_WAIT_MS = 30_000
/** How long a newcomer may take to get its first link before the next joins anyway, in ms. */
const FIRST_LINK_WAIT_MS = 20_000
const POLL_MS = 250

const flag = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name)
  return index > 0 ? Number(process.argv[index + 1]) : fallback
}
const runs = flag('--runs', 6)
const slowConnectMs = flag('--slow-connect-ms', 3000)
const slowFrom = flag('--slow-from', 0)
/** After the last join, how long takes and sheds get before the counts (a take, its link, a shed's 2–4 s), in ms. */
const settleMs = flag('--settle-ms', 12_000)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** One run's counts. */
interface LineRun {
  /** The links each peer held at the end, against the line's 1, 2, 2, 1. */
  links: number[]
  /** The links at the end, as pairs of peer indices ("0-2"). */
  edges: string[]
  formed: boolean
  overCap: number
  /** Pieces of the link graph at the end. */
  components: number
  /** Peers holding both messages (the first peer's and the last's) within DELIVERY_WAIT_MS, of all. */
  delivered: number
  reannounced: number
  /** Lonely announcements by peer (p0 alone before p1 joins makes some on every build). */
  reannouncedBy: number[]
  takes: number
  shed: number
  /** Of `shed`, late sheds (null: a build without them). */
  lateShed: number | null
}

async function run(signalingUrl: string, index: number): Promise<LineRun> {
  const topic = `capped-line-${index}-${process.pid}-${Date.now()}`
  const peers: NodePeer[] = []
  try {
    for (const [n, maxConns] of CAPS.entries()) {
      peers.push(
        await NodePeer.start({
          kind: 'parley',
          topic,
          signalingUrl,
          maxConns,
          awareness: { name: `p${n}` },
          getStatsDelayMs: n >= slowFrom ? slowConnectMs : undefined,
        }),
      )
      const since = Date.now()
      while (n > 0 && Date.now() - since < FIRST_LINK_WAIT_MS && (await peers[n].state()).links.length === 0) await sleep(POLL_MS)
    }
    await sleep(settleMs)
    const states: NodePeerState[] = await Promise.all(peers.map((peer) => peer.state()))
    const texts = ['from the first', 'from the last']
    await peers[0].push(texts[0])
    await peers[peers.length - 1].push(texts[1])
    const holding = async () =>
      (await Promise.all(peers.map((peer) => peer.state()))).filter((state) => texts.every((text) => state.texts.includes(text))).length
    const since = Date.now()
    let delivered = await holding()
    while (delivered < peers.length && Date.now() - since < DELIVERY_WAIT_MS) {
      await sleep(POLL_MS)
      delivered = await holding()
    }
    const expected = joinedOneByOne(CAPS).map((neighbours) => neighbours.size)
    const links = states.map((state) => state.links.length)
    const indexOf = new Map(states.map((state, n) => [state.peerId, n]))
    const edges = [
      ...new Set(states.flatMap((state, n) => state.links.map((other) => [n, indexOf.get(other) ?? -1].sort((a, b) => a - b).join('-')))),
    ].sort()
    const cap = (state: NodePeerState) => state.join?.cap
    return {
      links,
      edges,
      formed: links.every((count, n) => count === expected[n]),
      overCap: links.filter((count, n) => count > CAPS[n]).length,
      components: meshShape(states).components,
      delivered,
      reannounced: states.reduce((sum, state) => sum + (cap(state)?.reannounced ?? 0), 0),
      reannouncedBy: states.map((state) => cap(state)?.reannounced ?? 0),
      takes: states.reduce((sum, state) => sum + (cap(state)?.takes ?? 0), 0),
      shed: states.reduce((sum, state) => sum + (cap(state)?.shed ?? 0), 0),
      lateShed: states.some((state) => cap(state)?.lateShed === undefined)
        ? null
        : states.reduce((sum, state) => sum + (cap(state)?.lateShed ?? 0), 0),
    }
  } finally {
    await Promise.allSettled(peers.map((peer) => peer.close()))
  }
}

const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
const results: LineRun[] = []
try {
  for (let index = 0; index < runs; index++) {
    const result = await run(server.url, index)
    console.log(JSON.stringify(result))
    results.push(result)
  }
} finally {
  await server.close()
}
const total = (key: 'overCap' | 'reannounced' | 'takes' | 'shed') => results.reduce((sum, each) => sum + each[key], 0)
const lateShed = results.some((each) => each.lateShed === null) ? '–' : results.reduce((sum, each) => sum + (each.lateShed ?? 0), 0)
console.log(
  `capped line (caps ${CAPS.join(', ')}), links ${slowConnectMs} ms slow to connect from p${slowFrom}, ${runs} runs: ` +
    `not formed ${results.filter((each) => !each.formed).length}, peers over cap ${total('overCap')}, ` +
    `more than one piece ${results.filter((each) => each.components > 1).length}, ` +
    `delivery ${results.reduce((sum, each) => sum + each.delivered, 0)} of ${runs * CAPS.length} peers, late shed ${lateShed}, ` +
    `lonely announcements ${total('reannounced')} (by p1-p3 ${results.reduce((sum, each) => sum + each.reannouncedBy.slice(1).reduce((a, b) => a + b, 0), 0)}), takes ${total('takes')}, shed ${total('shed')}`,
)
process.exit(0)
