// Liveness at room scale with Node peers (one process per peer, Parley's transport): data-channel
// messages an idle peer sends per second, and how long until a killed peer is gone from every other.
//
//   npx tsx bench/idle-liveness.ts [--peers 16] [--window 30] [--kills 3]
//
// Counts (messages sent, by channel) come from each peer's transport; they do not depend on the
// machine's load. Times are from the kill to each survivor's awareness no longer holding the
// victim, as this process sees it by polling the survivors every POLL_MS over IPC.
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
const topic = `idle-liveness-${process.pid}`
const peers: NodePeer[] = []
try {
  for (let i = 0; i < peerCount; i++) {
    peers.push(await NodePeer.start({ kind: 'parley', topic, signalingUrl: server.url, awareness: { name: `p${i}` } }))
  }
  const states = () => Promise.all(peers.map((peer) => peer.state()))
  const meshStart = Date.now()
  for (;;) {
    const all = await states()
    if (all.every((state) => state.liveLinks === peers.length - 1 && state.awareness.length === peers.length)) break
    if (Date.now() - meshStart > MESH_TIMEOUT_MS) {
      const shape = all.map((state) => `${state.liveLinks}/${state.awareness.length}`).join(' ')
      throw new Error(`no full mesh after ${MESH_TIMEOUT_MS} ms (live links/states per peer: ${shape})`)
    }
    await sleep(500)
  }
  console.log(`${peerCount} peers in a full mesh after ${Date.now() - meshStart} ms; counting ${windowS} s of idle`)
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

  for (let k = 0; k < kills && peers.length > 2; k++) {
    const victim = peers.shift() as NodePeer
    const victimClient = (await victim.state()).clientId
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
    const times = [...seenAt.values()]
    console.log(
      `kill ${k + 1} (room of ${peers.length + 1}): gone from ${times.length}/${peers.length} survivors; first ${Math.min(...times)} ms, median ${median(times)} ms, last ${Math.max(...times)} ms`,
    )
    await sleep(3000)
  }
} finally {
  await Promise.all(peers.map((peer) => peer.close()))
  await server.close()
}
process.exit(0)
