// Signaling load benchmark: Parley's server and the stock y-webrtc server under the same load.
// Run alone: npx tsx bench/signaling-load.ts [--configs 1000x100@2,4000x400@3] [--servers parley,stock]
//   [--p99-bounds-ms 250,500] [--duration-ms 20000]
//
// Parley's server is built and started as a deployment does (`npm run build:signaling`, then
// the command of `npm run serve:signaling`); the stock one is node_modules/y-webrtc/bin/server.js.
// Both run under plain `node`. For each configuration and server it starts the server as its own
// process on 127.0.0.1, spawns the load generator (bench/signaling-load-worker.ts) as another,
// samples the server's RSS and CPU from /proc during the measurement window, and reports
// delivered/s, delivery ratio and relay latency percentiles, then each server's capacity: the
// most it delivered completely within a p99 bound. Prints tables and one JSON line.
// If "pub/s" falls short of its target, or "gen cpu %" nears 100, the generator ran out of CPU
// and the figures describe the machine rather than the server.

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve as resolvePath } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LoadOptions, LoadResult } from './signaling-load-worker.js'

/** Which server a run measures. */
export type BenchServer = 'parley' | 'stock'

/** One load: clients spread evenly over rooms, each publishing at a rate. */
export interface BenchConfig {
  readonly clients: number
  readonly rooms: number
  /** Publishes per second per client. */
  readonly ratePerClient: number
}

/** Options of `runSignalingBench`; every field has a default. */
export interface SignalingBenchOptions {
  readonly configs: readonly BenchConfig[]
  readonly servers: readonly BenchServer[]
  /** p99 relay latencies a run must stay within to count towards a server's capacity. */
  readonly p99BoundsMs: readonly number[]
  /** Publishing before the window, so connections and JIT are warm. */
  readonly warmupMs: number
  /** Length of the measurement window. */
  readonly durationMs: number
  /** Time after the window for late deliveries to arrive. */
  readonly drainMs: number
  /** Size of the padding inside each publish (a y-webrtc ICE candidate is ~200-300 bytes). */
  readonly payloadBytes: number
}

/** The figures of one configuration on one server. */
export interface SignalingBenchResult {
  readonly server: BenchServer
  readonly clients: number
  readonly rooms: number
  readonly ratePerClient: number
  readonly connected: number
  readonly closedEarly: number
  readonly published: number
  /** Publishes per second the load generator achieved, and what it aimed for (clients x rate). */
  readonly publishedPerSecond: number
  readonly targetPublishedPerSecond: number
  readonly expected: number
  readonly delivered: number
  readonly deliveredPerSecond: number
  readonly deliveryRatio: number
  readonly latencyMs: LoadResult['latencyMs']
  /** Server RSS before the load started and at its peak during the window, in MiB. */
  readonly serverRssIdleMiB: number
  readonly serverRssPeakMiB: number
  /** Server CPU time over the window, as a percentage of one core. */
  readonly serverCpuPercent: number
  /** The load generator's CPU and event-loop delay p99 over the window (see LoadResult). */
  readonly generatorCpuPercent: number
  readonly generatorLoopDelayP99Ms: number
}

/**
 * The defaults: the two loads of project issue 5 (1,000 and 4,000 clients at 2 msg/s), and
 * 4,000 clients at rising rates to find each server's capacity within the p99 bound.
 */
export const DEFAULT_BENCH_OPTIONS: SignalingBenchOptions = {
  configs: [
    { clients: 1_000, rooms: 100, ratePerClient: 2 },
    ...[0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3].map((ratePerClient) => ({ clients: 4_000, rooms: 400, ratePerClient })),
  ],
  servers: ['parley', 'stock'],
  p99BoundsMs: [250, 500],
  warmupMs: 3_000,
  durationMs: 20_000,
  drainMs: 2_000,
  payloadBytes: 250,
}

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolvePath(HERE, '..')
const WORKER = join(HERE, 'signaling-load-worker.ts')
const STOCK_SERVER = join(ROOT, 'node_modules', 'y-webrtc', 'bin', 'server.js')
const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 20_000
const READY_POLL_MS = 100
const SAMPLE_INTERVAL_MS = 250
const STOP_TIMEOUT_MS = 5_000
const BYTES_PER_MIB = 1024 * 1024
/** Delivery ratio that counts as "everything delivered". */
const COMPLETE_DELIVERY = 0.9999
/** Linux clock ticks per second for /proc/<pid>/stat times (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100
const PAGE_FIELDS_UTIME = 13

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, HOST, () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/** RSS in bytes and CPU ticks (user + system) of a process, from /proc; undefined if gone. */
function sampleProcess(pid: number): { rssBytes: number; cpuTicks: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[PAGE_FIELDS_UTIME - 2])
    const stime = Number(fields[PAGE_FIELDS_UTIME - 1])
    return { rssBytes: rssKiB * 1024, cpuTicks: utime + stime }
  } catch {
    return undefined // the process exited between samples
  }
}

/**
 * Builds the server as a deployment does (`npm run build:signaling`) and returns how
 * `npm run serve:signaling` starts it: node's flags and the entry point.
 */
async function buildParleyServer(): Promise<readonly string[]> {
  const tsc = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.signaling.json')],
    { cwd: ROOT, stdio: 'inherit' },
  )
  const code = await new Promise<number | null>((resolve) => tsc.once('exit', resolve))
  if (code !== 0) throw new Error(`building the signaling server failed (tsc exited with ${code})`)
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {}
  const serve = scripts['serve:signaling']
  if (serve === undefined) throw new Error('package.json has no serve:signaling script')
  // `exec` hands npm's shell over to node, so signals reach it: the command is what follows.
  const [command, ...args] = serve.replace(/^exec\s+/, '').split(/\s+/)
  if (command !== 'node') throw new Error(`serve:signaling must start with node (after exec), got "${serve}"`)
  return args.map((arg) => (arg.endsWith('.js') ? join(ROOT, arg) : arg))
}

/**
 * Where each process may run. With two or more cores and `taskset`, the server gets core 0 and
 * the load generator the others, so neither steals the other's CPU and a saturated generator
 * shows up as a shortfall in pub/s instead of as server latency. Elsewhere both share.
 */
interface Placement {
  readonly server: readonly string[]
  readonly generator: readonly string[]
  readonly description: string
}

function choosePlacement(): Placement {
  const cores = availableParallelism()
  const taskset = '/usr/bin/taskset'
  let hasTaskset = true
  try {
    accessSync(taskset, constants.X_OK)
  } catch {
    hasTaskset = false
  }
  if (cores < 2 || !hasTaskset)
    return { server: [], generator: [], description: `shared (${cores} cores, taskset ${hasTaskset ? 'found' : 'missing'})` }
  return {
    server: [taskset, '-c', '0'],
    generator: [taskset, '-c', `1-${cores - 1}`],
    description: `server on core 0, generator on cores 1-${cores - 1}`,
  }
}

/** Spawns `node args` under the placement prefix (taskset) if there is one. */
function spawnPlaced(prefix: readonly string[], args: readonly string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const [command, ...rest] = prefix.length > 0 ? [...prefix, process.execPath, ...args] : [process.execPath, ...args]
  return spawn(command ?? process.execPath, rest, options)
}

function startServer(kind: BenchServer, port: number, parleyCommand: readonly string[], placement: Placement): ChildProcess {
  const args =
    kind === 'stock'
      ? [STOCK_SERVER]
      : [...parleyCommand, '--host', HOST, '--port', String(port), '--max-connections-per-ip', '0', '--log-level', 'error']
  return spawnPlaced(placement.server, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    // Both servers print a line when they start or stop; only failures matter here.
    stdio: ['ignore', 'ignore', 'pipe'],
  })
}

async function waitUntilServing(port: number, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode} before serving`)
    try {
      const response = await fetch(`http://${HOST}:${port}/`)
      await response.text()
      return
    } catch {
      await sleep(READY_POLL_MS) // not listening yet
    }
  }
  throw new Error(`server on port ${port} not serving after ${READY_TIMEOUT_MS} ms`)
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

/** Guards one stdout line of the load worker. */
function readWorkerLine(line: string): { phase: string } | { result: LoadResult } | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined // not a protocol line
  }
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (typeof record['phase'] === 'string') return { phase: record['phase'] }
  const result = record['result']
  if (typeof result === 'object' && result !== null && typeof (result as Record<string, unknown>)['delivered'] === 'number') {
    return { result: result as LoadResult }
  }
  return undefined
}

async function runOne(
  kind: BenchServer,
  config: BenchConfig,
  options: SignalingBenchOptions,
  parleyCommand: readonly string[],
  placement: Placement,
): Promise<SignalingBenchResult> {
  const port = await freePort()
  const server = startServer(kind, port, parleyCommand, placement)
  let serverErrors = ''
  server.stderr?.on('data', (chunk: Buffer) => {
    serverErrors += chunk.toString()
  })
  try {
    await waitUntilServing(port, server)
    const pid = server.pid ?? -1
    const idle = sampleProcess(pid)
    const load: LoadOptions = {
      url: `ws://${HOST}:${port}`,
      clients: config.clients,
      rooms: config.rooms,
      ratePerClient: config.ratePerClient,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      drainMs: options.drainMs,
      payloadBytes: options.payloadBytes,
    }
    const worker = spawnPlaced(placement.generator, ['--import', 'tsx', WORKER, JSON.stringify(load)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let peakRss = idle?.rssBytes ?? 0
    let cpuAtStart: number | undefined
    let cpuAtEnd: number | undefined
    let sampler: NodeJS.Timeout | undefined
    let result: LoadResult | undefined
    let buffered = ''
    worker.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      let newline = buffered.indexOf('\n')
      while (newline >= 0) {
        const line = readWorkerLine(buffered.slice(0, newline))
        buffered = buffered.slice(newline + 1)
        newline = buffered.indexOf('\n')
        if (line === undefined) continue
        if ('result' in line) result = line.result
        else if (line.phase === 'measuring') {
          cpuAtStart = sampleProcess(pid)?.cpuTicks
          sampler = setInterval(() => {
            peakRss = Math.max(peakRss, sampleProcess(pid)?.rssBytes ?? 0)
          }, SAMPLE_INTERVAL_MS)
        } else if (line.phase === 'draining') {
          cpuAtEnd = sampleProcess(pid)?.cpuTicks
          clearInterval(sampler)
        }
      }
    })
    const code = await new Promise<number | null>((resolve) => worker.once('exit', resolve))
    clearInterval(sampler)
    if (result === undefined) throw new Error(`load worker exited with ${code} without a result; server said: ${serverErrors}`)
    const windowSeconds = result.windowMs / 1_000
    const cpuTicks = cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : Number.NaN
    return {
      server: kind,
      clients: config.clients,
      rooms: config.rooms,
      ratePerClient: config.ratePerClient,
      connected: result.connected,
      closedEarly: result.closedEarly,
      published: result.published,
      publishedPerSecond: result.published / windowSeconds,
      targetPublishedPerSecond: result.connected * config.ratePerClient,
      expected: result.expected,
      delivered: result.delivered,
      deliveredPerSecond: result.delivered / windowSeconds,
      deliveryRatio: result.expected === 0 ? Number.NaN : result.delivered / result.expected,
      latencyMs: result.latencyMs,
      serverRssIdleMiB: (idle?.rssBytes ?? Number.NaN) / BYTES_PER_MIB,
      serverRssPeakMiB: peakRss / BYTES_PER_MIB,
      serverCpuPercent: (100 * cpuTicks) / CLOCK_TICKS_PER_SECOND / windowSeconds,
      generatorCpuPercent: result.generatorCpuPercent,
      generatorLoopDelayP99Ms: result.generatorLoopDelayP99Ms,
    }
  } finally {
    await stopProcess(server)
  }
}

/** Runs every configuration against every server, one at a time, and returns the figures. */
export async function runSignalingBench(partial: Partial<SignalingBenchOptions> = {}): Promise<SignalingBenchResult[]> {
  const options: SignalingBenchOptions = { ...DEFAULT_BENCH_OPTIONS, ...partial }
  const results: SignalingBenchResult[] = []
  const parleyCommand = await buildParleyServer()
  const placement = choosePlacement()
  process.stderr.write(`signaling bench: ${placement.description}\n`)
  for (const config of options.configs) {
    for (const server of options.servers) {
      const result = await runOne(server, config, options, parleyCommand, placement)
      results.push(result)
      // Progress: a full run takes minutes.
      process.stderr.write(
        `  ${server} ${config.clients}x${config.rooms}@${config.ratePerClient}: ${fixed(result.deliveredPerSecond, 0)}/s, ratio ${fixed(result.deliveryRatio, 4)}, p99 ${fixed(result.latencyMs.p99, 1)} ms\n`,
      )
    }
  }
  return results
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-'
}

/** A plain-text table of results, one row per configuration and server. */
export function formatBenchTable(results: readonly SignalingBenchResult[]): string {
  const header = [
    'server',
    'clients',
    'rooms',
    'msg/s/client',
    'pub/s (target)',
    'delivered/s',
    'ratio',
    'p50 ms',
    'p99 ms',
    'max ms',
    'rss idle MiB',
    'rss peak MiB',
    'cpu %',
    'gen cpu %',
    'gen lag ms',
    'dropped',
  ]
  const rows = results.map((r) => [
    r.server,
    String(r.clients),
    String(r.rooms),
    String(r.ratePerClient),
    `${fixed(r.publishedPerSecond, 0)} (${r.targetPublishedPerSecond})`,
    fixed(r.deliveredPerSecond, 0),
    fixed(r.deliveryRatio, 4),
    fixed(r.latencyMs.p50, 2),
    fixed(r.latencyMs.p99, 2),
    fixed(r.latencyMs.max, 1),
    fixed(r.serverRssIdleMiB, 1),
    fixed(r.serverRssPeakMiB, 1),
    fixed(r.serverCpuPercent, 0),
    fixed(r.generatorCpuPercent, 0),
    fixed(r.generatorLoopDelayP99Ms, 0),
    String(r.closedEarly + (r.clients - r.connected)),
  ])
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}

/** A server's capacity for one shape of load (clients x rooms) within the p99 bound. */
export interface ServerCapacity {
  readonly server: BenchServer
  readonly clients: number
  readonly rooms: number
  /** The run with the most delivered/s that delivered everything within the bound, if any. */
  readonly best: SignalingBenchResult | undefined
}

/** Runs that count: every publish delivered to every other member, p99 within the bound. */
function withinBound(result: SignalingBenchResult, p99BoundMs: number): boolean {
  return result.deliveryRatio >= COMPLETE_DELIVERY && result.latencyMs.p99 <= p99BoundMs && result.closedEarly === 0
}

/** Each server's capacity per load shape, from the runs at different rates. */
export function capacities(results: readonly SignalingBenchResult[], p99BoundMs: number): ServerCapacity[] {
  const byShape = new Map<string, ServerCapacity>()
  for (const result of results) {
    const key = `${result.server} ${result.clients}x${result.rooms}`
    const current = byShape.get(key)
    const better =
      withinBound(result, p99BoundMs) && (current?.best === undefined || result.deliveredPerSecond > current.best.deliveredPerSecond)
    if (current === undefined || better) {
      byShape.set(key, { server: result.server, clients: result.clients, rooms: result.rooms, best: better ? result : undefined })
    }
  }
  return [...byShape.values()]
}

/** The capacity table: per shape, each server's best run within the bound and Parley's ratio to stock. */
export function formatCapacityTable(results: readonly SignalingBenchResult[], p99BoundMs: number): string {
  const all = capacities(results, p99BoundMs)
  const lines = [`capacity: most delivered/s with everything delivered and p99 <= ${p99BoundMs} ms`]
  for (const entry of all) {
    const best = entry.best
    const stock = all.find((other) => other.server === 'stock' && other.clients === entry.clients && other.rooms === entry.rooms)?.best
    const ratio =
      entry.server === 'parley' && best !== undefined && stock !== undefined
        ? `  (${fixed(best.deliveredPerSecond / stock.deliveredPerSecond, 2)}x stock)`
        : ''
    lines.push(
      best === undefined
        ? `  ${entry.server.padStart(6)} ${entry.clients}x${entry.rooms}: no run within the bound`
        : `  ${entry.server.padStart(6)} ${entry.clients}x${entry.rooms}: ${fixed(best.deliveredPerSecond, 0)}/s at ${best.ratePerClient} msg/s/client, p99 ${fixed(best.latencyMs.p99, 1)} ms, peak RSS ${fixed(best.serverRssPeakMiB, 1)} MiB${ratio}`,
    )
  }
  return lines.join('\n')
}

function parseArgs(argv: readonly string[]): Partial<SignalingBenchOptions> {
  const options: { -readonly [K in keyof SignalingBenchOptions]?: SignalingBenchOptions[K] } = {}
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]
    const value = argv[i + 1] ?? ''
    switch (flag) {
      case '--configs':
        options.configs = value.split(',').map((item) => {
          const match = /^(\d+)x(\d+)@(\d+(?:\.\d+)?)$/.exec(item)
          if (match === null) throw new Error(`--configs expects clients x rooms @ msg/s per client, e.g. 1000x100@2, got "${item}"`)
          return { clients: Number(match[1]), rooms: Number(match[2]), ratePerClient: Number(match[3]) }
        })
        break
      case '--servers':
        options.servers = value.split(',').map((name) => {
          if (name !== 'parley' && name !== 'stock') throw new Error(`--servers expects parley,stock, got "${name}"`)
          return name
        })
        break
      case '--p99-bounds-ms':
        options.p99BoundsMs = value.split(',').map(Number)
        break
      case '--duration-ms':
        options.durationMs = Number(value)
        break
      case '--warmup-ms':
        options.warmupMs = Number(value)
        break
      case '--payload-bytes':
        options.payloadBytes = Number(value)
        break
      default:
        throw new Error(
          `unknown argument "${flag ?? ''}"; flags: --configs --servers --p99-bounds-ms --duration-ms --warmup-ms --payload-bytes`,
        )
    }
  }
  return options
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])
if (isMain) {
  const options = { ...DEFAULT_BENCH_OPTIONS, ...parseArgs(process.argv.slice(2)) }
  runSignalingBench(options).then(
    (results) => {
      process.stdout.write(formatBenchTable(results) + '\n\n')
      for (const bound of options.p99BoundsMs) process.stdout.write(formatCapacityTable(results, bound) + '\n')
      process.stdout.write(JSON.stringify({ bench: 'signaling-load', results }) + '\n')
    },
    (error: unknown) => {
      process.stderr.write(`signaling bench failed: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
