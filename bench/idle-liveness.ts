// Liveness at room scale with Node peers (one process per peer, Parley's transport): data-channel
// messages an idle peer sends per second, and how long until a killed peer is gone from every other.
//
//   npx tsx bench/idle-liveness.ts [--peers 16] [--window 30] [--kills 3] [--max-conns 4]
//
// Without --max-conns the peers join at once and form a full mesh. With it (y-webrtc's maxConns)
// they join one by one, each once it has a link and every peer holds every state: a partial
// mesh, where most survivors have no link to a killed peer and learn of it by rumor. Peer n
// gets maxConns min(M, n + 2), as the band of test/transport/relay.test.ts: with M for all, the
// first M + 1 would close a clique, and later peers, whom only peers with room offer to, no link.
// Counts (messages sent, by channel) come from each peer's transport; they do not depend on the
// machine's load. Times are from the kill to each survivor's awareness no longer holding the
// victim, as this process sees it by polling the survivors every POLL_MS over IPC, for survivors
// linked to the victim and the others apart.
import { startSignalingServer } from '../signaling/index.js'
import { NodePeer, type NodePeerState } from '../test/support/node-peer.js'

/** How often survivors are asked whether they still hold the victim, in ms. */
const POLL_MS = 50
/** How long the room may take to become a full mesh, in ms. */
const MESH_TIMEOUT_MS = 180_000
/** How long a kill may take to be seen by all before it counts as missed, in ms (awareness alone: 30 s). */
const DROP_TIMEOUT_MS = 40_000

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? Number(process.argv[at + 1]) : fallback
}
const peerCount = arg('peers', 16)
const windowS = arg('window', 30)
const kills = arg('kills', 3)
const maxConns = process.argv.includes('--max-conns') ? arg('max-conns', 4) : undefined

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
const topic = `idle-liveness-${process.pid}`
const peers: NodePeer[] = []
try {
  const states = () => Promise.all(peers.map((peer) => peer.state()))
  const meshStart = Date.now()
  /** Waits until `formed` holds for every peer's state (live links, states held). */
  const until = async (formed: (state: NodePeerState) => boolean, what: string): Promise<void> => {
    for (;;) {
      const all = await states()
      if (all.every(formed)) return
      if (Date.now() - meshStart > MESH_TIMEOUT_MS) {
        const shape = all.map((state) => `${state.liveLinks}/${state.awareness.length}`).join(' ')
        throw new Error(`no ${what} after ${MESH_TIMEOUT_MS} ms (live links/states per peer: ${shape})`)
      }
      await sleep(250)
    }
  }
  if (maxConns === undefined) {
    for (let i = 0; i < peerCount; i++) {
      peers.push(await NodePeer.start({ kind: 'parley', topic, signalingUrl: server.url, awareness: { name: `p${i}` }, rtc: 'wrtc' }))
    }
    await until((state) => state.liveLinks === peers.length - 1 && state.awareness.length === peers.length, 'full mesh')
  } else {
    for (let i = 0; i < peerCount; i++) {
      const own = Math.min(maxConns, i + 2)
      peers.push(
        await NodePeer.start({ kind: 'parley', topic, signalingUrl: server.url, maxConns: own, awareness: { name: `p${i}` }, rtc: 'wrtc' }),
      )
      await until((state) => (peers.length === 1 || state.liveLinks > 0) && state.awareness.length === peers.length, 'connected mesh')
    }
  }
  const degrees = (await states()).map((state) => state.liveLinks)
  const shape =
    maxConns === undefined
      ? 'a full mesh'
      : `a partial mesh (maxConns ${maxConns}, links per peer ${Math.min(...degrees)}–${Math.max(...degrees)})`
  console.log(`${peerCount} peers in ${shape} after ${Date.now() - meshStart} ms; counting ${windowS} s of idle`)
  await sleep(5000) // the first promises are lengthened, the joins' syncs are over
  const before = await states()
  await sleep(windowS * 1000)
  const after = await states()
  const rates = after.map((state, i) => {
    const sent = (s: NodePeerState | undefined, key: 'liveness' | 'data') => s?.transportSent?.[key] ?? Number.NaN
    return {
      liveness: (sent(state, 'liveness') - sent(before[i], 'liveness')) / windowS,
      data: (sent(state, 'data') - sent(before[i], 'data')) / windowS,
    }
  })
  const fmt = (values: number[]) => `median ${median(values).toFixed(2)}, max ${Math.max(...values).toFixed(2)}`
  console.log(
    `idle msgs/s per peer: liveness ${fmt(rates.map((r) => r.liveness))}; y-webrtc channel ${fmt(rates.map((r) => r.data))}; total ${fmt(rates.map((r) => r.liveness + r.data))}`,
  )

  const timesOf = (times: number[]) =>
    times.length === 0 ? 'none' : `first ${Math.min(...times)} ms, median ${median(times)} ms, last ${Math.max(...times)} ms`
  const idleLiveness = rates.map((rate) => rate.liveness)
  for (let k = 0; k < kills && peers.length > 2; k++) {
    const victim = peers.shift() as NodePeer
    idleLiveness.shift()
    const { clientId: victimClient, peerId: victimPeer } = await victim.state()
    const atKill = await states()
    const linked = atKill.map((state) => victimPeer !== null && state.links.includes(victimPeer))
    const killedAt = Date.now()
    await victim.kill()
    const seenAt = new Map<number, number>()
    while (seenAt.size < peers.length && Date.now() - killedAt < DROP_TIMEOUT_MS) {
      const survivors = await states()
      const now = Date.now()
      survivors.forEach((state, i) => {
        if (!seenAt.has(i) && !state.awareness.some(({ client }) => client === victimClient)) seenAt.set(i, now - killedAt)
      })
      await sleep(POLL_MS)
    }
    const group = (isLinked: boolean) => [...seenAt].filter(([i]) => linked[i] === isLinked).map(([, ms]) => ms)
    const linkedCount = linked.filter(Boolean).length
    await sleep(3000)
    // Liveness frames the survivors sent from the kill until 3 s after the last drop: beats, probes, suspects and rumors;
    // and those beyond what they send idle in as long.
    const elapsedS = (Date.now() - killedAt) / 1000
    const idleFrames = idleLiveness.reduce((sum, rate) => sum + rate * elapsedS, 0)
    const frames = (await states()).reduce(
      (sum, state, i) => sum + (state.transportSent?.liveness ?? Number.NaN) - (atKill[i]?.transportSent?.liveness ?? Number.NaN),
      0,
    )
    console.log(
      `kill ${k + 1} (room of ${peers.length + 1}): gone from ${seenAt.size}/${peers.length} survivors within ${DROP_TIMEOUT_MS} ms; ` +
        `linked (${linkedCount}): ${timesOf(group(true))}; not linked (${peers.length - linkedCount}): ${timesOf(group(false))}; ` +
        `liveness frames sent by all survivors in the ${elapsedS.toFixed(1)} s after: ${frames} (idle rate: ${idleFrames.toFixed(0)})`,
    )
  }
} finally {
  await Promise.all(peers.map((peer) => peer.close()))
  await server.close()
}
process.exit(0)
