// Joins benchmark: N Node peers (one process each) join one room at the same moment, K times,
// Parley's transport against stock y-webrtc: pairs still unconnected after 30 s, signaling frames, crashes.
// Run alone: npx tsx bench/joins.ts [--n 8] [--runs 20] [--kinds parley,stock] [--rtc wrtc|node-datachannel] [--trace DIR]
import { type ChildProcess, fork } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSignalingServer } from '../signaling/index.js'
import type { JoinsPeerCommand, JoinsPeerOptions, JoinsPeerState } from './joins-peer.js'

/** How long a join may take before its unconnected pairs count as stuck, in ms. */
export const STUCK_AFTER_MS = 30_000
/** How long the room is watched after every pair connected (late re-offers would show), in ms. */
const SETTLE_AFTER_CONNECTED_MS = 2000
/** How often the peers' links are read, in ms. */
const POLL_MS = 1000

/** What @roamhq/wrtc prints for each ICE candidate it skips. */
const WRTC_NOISE = 'Ignoring unsupported ICE candidate'

const CHILD_SCRIPT = fileURLToPath(new URL('./joins-peer.ts', import.meta.url))

/** What K joins of N peers of one kind measured. */
export interface JoinsFigure {
  kind: 'parley' | 'stock'
  rtc: JoinsPeerOptions['rtc']
  peers: number
  runs: number
  /** Runs in which some pair was still unconnected after STUCK_AFTER_MS (or a peer died). */
  stuckRuns: number
  /** Unconnected pairs after STUCK_AFTER_MS, summed over runs (pairs with a dead peer not counted). */
  stuckPairs: number
  /** Peer processes that died (a signal or a non-zero exit), summed over runs, and the signals. */
  crashed: number
  crashSignals: string[]
  /** Signaling publish frames (announcements and signals) per run, mean over runs. */
  signalingFramesPerRun: number
  /** Peer connections made per run, mean (N·(N−1) means each pair took two, 1 per side is ideal). */
  peerConnectionsPerRun: number
  /** Time until every pair connected, median over runs where all did, in ms. */
  allConnectedMsP50: number | null
}

/** A peer process driven over IPC. */
class Peer {
  readonly child: ChildProcess
  readonly exit: Promise<string>
  exited: string | null = null
  #nextId = 1
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()

  constructor(options: JoinsPeerOptions) {
    this.child = fork(CHILD_SCRIPT, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_JOINS_PEER: JSON.stringify(options) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    // @roamhq/wrtc writes a line per ICE candidate it skips (IPv6 link-local); anything else is shown.
    this.child.stderr?.setEncoding('utf8')
    this.child.stderr?.on('data', (text: string) => {
      const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.includes(WRTC_NOISE))
      if (lines.length > 0) process.stderr.write(lines.join('\n') + '\n')
    })
    this.child.on('message', (reply: { id: number; result?: unknown; error?: string }) => {
      const pending = this.#pending.get(reply.id)
      this.#pending.delete(reply.id)
      if (reply.error !== undefined) pending?.reject(new Error(reply.error))
      else pending?.resolve(reply.result)
    })
    this.exit = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = signal ?? String(code)
        for (const { reject } of this.#pending.values()) reject(new Error(`peer exited (${this.exited})`))
        this.#pending.clear()
        resolve(this.exited)
      })
    })
  }

  started(): Promise<unknown> {
    return new Promise((resolve, reject) => this.#pending.set(0, { resolve, reject }))
  }

  call(command: JoinsPeerCommand): Promise<unknown> {
    if (this.exited !== null) return Promise.reject(new Error('peer has exited'))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.child.send({ id, command })
    })
  }
}

/** Pairs (i < j) of peers that have a connected link to each other, matched by ICE ufrags. */
function connectedPairs(states: Array<JoinsPeerState | null>): Set<string> {
  const owner = new Map<string, number>()
  states.forEach((state, index) => {
    for (const link of state?.links ?? []) owner.set(link.local, index)
  })
  const pairs = new Set<string>()
  states.forEach((state, index) => {
    for (const link of state?.links ?? []) {
      const other = owner.get(link.remote)
      if (other === undefined || other === index) continue
      // Connected on both sides: the other end's link names ours back.
      const back = states[other]?.links.some((candidate) => candidate.local === link.remote && candidate.remote === link.local)
      if (back === true) pairs.add(index < other ? `${index}-${other}` : `${other}-${index}`)
    }
  })
  return pairs
}

function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** Runs `runs` simultaneous joins of `peers` peers of one kind. */
export async function runJoinsBench(options: {
  kind: 'parley' | 'stock'
  peers: number
  runs: number
  rtc?: JoinsPeerOptions['rtc']
  traceDir?: string
}): Promise<JoinsFigure> {
  const rtc = options.rtc ?? 'wrtc'
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  const figure: JoinsFigure = {
    kind: options.kind,
    rtc,
    peers: options.peers,
    runs: options.runs,
    stuckRuns: 0,
    stuckPairs: 0,
    crashed: 0,
    crashSignals: [],
    signalingFramesPerRun: 0,
    peerConnectionsPerRun: 0,
    allConnectedMsP50: null,
  }
  const connectedTimes: number[] = []
  let frames = 0
  let peerConnections = 0
  const start = (index: number, run: number): Peer => {
    const traceFile = options.traceDir === undefined ? undefined : join(options.traceDir, `${options.kind}-r${run}-p${index}.log`)
    return new Peer({ kind: options.kind, signalingUrl: server.url, rtc, traceFile })
  }
  let peers: Peer[] = []
  try {
    for (let run = 0; run < options.runs; run++) {
      // Fresh processes each run: a crash or a leftover link of one run must not touch the next.
      peers = Array.from({ length: options.peers }, (_, index) => start(index, run))
      await Promise.all(peers.map((peer) => peer.started()))
      const topic = `joins-${options.kind}-${process.pid}-${run}`
      const joinedAt = Date.now()
      await Promise.all(peers.map((peer) => peer.call({ op: 'join', topic })))
      const totalPairs = (options.peers * (options.peers - 1)) / 2
      let states: Array<JoinsPeerState | null> = []
      let allConnectedAt: number | null = null
      while (Date.now() - joinedAt < STUCK_AFTER_MS) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
        states = await Promise.all(
          peers.map((peer) =>
            peer.call({ op: 'state' }).then(
              (state) => state as JoinsPeerState,
              () => null,
            ),
          ),
        )
        if (allConnectedAt === null && connectedPairs(states).size === totalPairs) allConnectedAt = Date.now()
        if (allConnectedAt !== null && Date.now() - allConnectedAt >= SETTLE_AFTER_CONNECTED_MS) break
      }
      const dead = peers.filter((peer) => peer.exited !== null)
      const alive = states.map((state, index) => (peers[index]?.exited === null ? state : null))
      const aliveCount = alive.filter((state) => state !== null).length
      const stuck = (aliveCount * (aliveCount - 1)) / 2 - connectedPairs(alive).size
      figure.stuckPairs += stuck
      if (stuck > 0 || dead.length > 0) figure.stuckRuns++
      figure.crashed += dead.length
      figure.crashSignals.push(...dead.map((peer) => peer.exited as string))
      if (allConnectedAt !== null) connectedTimes.push(allConnectedAt - joinedAt)
      for (const state of states) {
        frames += state?.tap.publishesSent ?? 0
        peerConnections += state?.peerConnections ?? 0
      }
      await Promise.all(peers.map((peer) => peer.call({ op: 'exit' }).catch(() => undefined)))
      await Promise.all(peers.map((peer) => Promise.race([peer.exit, new Promise((resolve) => setTimeout(resolve, 5000))])))
      for (const peer of peers) if (peer.exited === null) peer.child.kill('SIGKILL')
      if (process.env.JOINS_DEBUG) console.error(`${options.kind} run ${run}: stuck ${stuck}, dead ${dead.length}`)
    }
  } finally {
    for (const peer of peers) if (peer.exited === null) peer.child.kill('SIGKILL')
    await server.close()
  }
  figure.signalingFramesPerRun = Math.round(frames / options.runs)
  figure.peerConnectionsPerRun = Math.round(peerConnections / options.runs)
  figure.allConnectedMsP50 = median(connectedTimes)
  return figure
}

/** The figures as a Markdown table, counts first. */
export function joinsTable(figures: JoinsFigure[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.kind} | ${f.rtc} | ${f.peers} | ${f.runs} | ${f.stuckRuns} | ${f.stuckPairs} | ${f.crashed}${f.crashSignals.length > 0 ? ` (${[...new Set(f.crashSignals)].join(', ')})` : ''} | ${f.signalingFramesPerRun} | ${f.peerConnectionsPerRun} | ${f.allConnectedMsP50 ?? '–'} |`,
  )
  return [
    '| peers | WebRTC | N | runs | runs with a stuck pair | stuck pairs | crashed peers | signaling frames / run | peer connections / run | all connected, p50 ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string): string | undefined => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const peers = Number(arg('--n') ?? 8)
  const runs = Number(arg('--runs') ?? 20)
  const kinds = (arg('--kinds') ?? 'parley,stock').split(',') as Array<'parley' | 'stock'>
  const rtc = (arg('--rtc') ?? 'wrtc') as JoinsPeerOptions['rtc']
  const traceDir = arg('--trace')
  if (traceDir !== undefined) mkdirSync(traceDir, { recursive: true })
  const figures: JoinsFigure[] = []
  for (const kind of kinds) figures.push(await runJoinsBench({ kind, peers, runs, rtc, traceDir }))
  console.log(joinsTable(figures) + '\n')
  console.log(JSON.stringify({ joins: figures }))
  process.exit(0)
}
