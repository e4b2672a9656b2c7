// Flood benchmark: a stock y-webrtc peer (Node) writes thousands of signed messages as fast as
// its links take them while two real users (Chromium pages) chat; how their pages hold up.
// Run alone: npx tsx bench/flood.ts [--count 20000] [--profile] [--trace-tasks] [--forge] (--profile:
// unminified build, and the functions that took Alice's page's time (Bob's with --alone bob), from a CDP CPU
// profile; --trace-tasks: unminified too, that page's longest tasks while the flood is written, from a Chrome
// trace, and what filled them; --forge: the flood claims Alice's id, name and key, signed with the flooder's own key;
// --flooder-nice N: the flooder's process at niceness N, as if on a machine of its own;
// --trace-file PATH: with --trace-tasks, the whole trace written there, JS samples included (read it with
// bench/trace-long-tasks.ts: every long task, what ran in it);
// --watch alice|bob: whose page --profile and --trace-tasks look at (default: the one --alone names, else Alice's);
// --alone alice|bob: that user's Chromium on CPU 0 alone and everything else on CPU 1, as if each
// user had a machine of their own, with one core, and the flooder shared the other's; --alone users:
// both users' Chromiums share CPU 0, the flooder and the servers CPU 1, as if the flooder had a
// machine of its own).
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'
import { FlooderProcess, floodProbe, probeFlood, resetLongTasks, type FloodProbe } from '../test/e2e/flood-harness.js'
import { rememberName } from '../test/e2e/history-harness.js'
import { cpuByKind, longestTasks, summaryLine, TASK_TRACE_CATEGORIES, tasksReport, threadSummary, type TraceEvent } from './task-trace.js'

/** Messages the flooding peer writes by default. */
const DEFAULT_FLOOD_COUNT = 20_000
/** How often one of the two users sends a message while the flood runs, in ms. */
const PING_INTERVAL_MS = 500
/** Messages the users send at least, even if the flood ends sooner. */
const MIN_PINGS = 10
/** How long a user's message may take to show on the other page before it counts as lost, in ms. */
const LOST_AFTER_MS = 120_000
/** How often the benchmark reads the pages' probes, in ms. */
const POLL_MS = 100
/** Long tasks `--trace-tasks` lists. */
const TRACED_TASKS = 4
/** Kinds of work `--trace-tasks` lists with their CPU time over the flood. */
const TRACED_KINDS = 16
/** Text every user message starts with (what the probe watches for). */
const PING_PREFIX = 'ping '

/** What one flood measured. Times in ms. */
export interface FloodFigure {
  floodMessages: number
  /** From the first flood message written to the last, on the flooding peer. */
  floodMs: number
  /** Longest main-thread task on each user's page during the run (long-task observer). */
  longestTaskMs: { alice: number; bob: number }
  /** Sum of long tasks on each user's page. */
  longTaskTotalMs: { alice: number; bob: number }
  /** Messages the users sent while the flood ran. */
  pings: number
  /** Send (Node, before typing) → drawn on the other page (DOM), p50/p99/max over delivered pings. */
  sendToRenderedMs: { p50: number; p99: number; max: number } | null
  /** User messages never drawn on the other page within LOST_AFTER_MS. */
  lost: number
  /**
   * With --trace-tasks, from a Chrome trace of Alice's page (Bob's with --alone bob) while the flood was written: the
   * longest task and its CPU time, the task with the most CPU time, and the main thread's busy
   * and CPU time in all. On a loaded machine a task's wall time is mostly waiting for a core.
   */
  traced?: { page: User; longestMs: number; longestCpuMs: number; mostCpuMs: number; busyMs: number; cpuMs: number }
  /** With --alone, whose Chromium had CPU 0 (both users' for 'users'); the rest ran on CPU 1. */
  alone?: OnCpuZero
}

type User = 'alice' | 'bob'
type OnCpuZero = User | 'users'

interface Ping {
  text: string
  from: 'alice' | 'bob'
  sentAt: number
}

async function joinAs(browser: Browser, url: string, name: string): Promise<Page> {
  const context = await browser.newContext()
  await rememberName(context, name)
  await probeFlood(context, PING_PREFIX)
  const page = await context.newPage()
  if (process.env.FLOOD_DEBUG)
    page.on('console', (message) =>
      console.error(`[${name} ${new Date().toISOString().slice(14, 23)}] ${message.type()}: ${message.text()}`),
    )
  await page.goto(url)
  await page.getByRole('textbox', { name: 'Message' }).waitFor({ state: 'visible' })
  return page
}

async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' })
  // A frozen page takes the keys when it wakes: wait as long as a message may take.
  await composer.fill(text, { timeout: LOST_AFTER_MS })
  await composer.press('Enter', { timeout: LOST_AFTER_MS })
}

/** Builds the site, opens two users' pages and a flooding stock peer, and measures one flood. */
export async function runFloodBench(
  options: {
    count?: number
    profile?: boolean
    traceTasks?: boolean
    forge?: boolean
    flooderNice?: number
    alone?: OnCpuZero
    watch?: User
    traceFile?: string
  } = {},
): Promise<FloodFigure> {
  const count = options.count ?? DEFAULT_FLOOD_COUNT
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-flood-'))
  const running: Running[] = []
  const browsers: Browser[] = []
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  // Children inherit it: the flooder, the other user's Chromium, and the servers run in this process.
  const unpin = options.alone === undefined ? () => {} : pinThisProcess('1')
  try {
    await build({
      root,
      logLevel: 'error',
      build: { outDir: siteDir, emptyOutDir: true, minify: options.profile !== true && options.traceTasks !== true },
    })
    process.env.NODE_ENV = nodeEnv
    const site = await serveStatic(siteDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, signaling)
    const cpusOf = (user: User) => (options.alone === user || options.alone === 'users' ? { cpus: '0' } : {})
    browsers.push(...(await Promise.all([launchChromium([], cpusOf('alice')), launchChromium([], cpusOf('bob'))])))
    const room = `flood-${Date.now()}`
    const url = `${site.url}?signaling=${encodeURIComponent(signaling.url)}&ice=#${encodeURIComponent(room)}`
    const alice = await joinAs(browsers[0], url, 'Alice')
    const bob = await joinAs(browsers[1], url, 'Bob')
    const pages = { alice, bob }
    await send(alice, `${PING_PREFIX}warm-up`)
    await waitFor(async () => (await floodProbe(bob)).rendered[`${PING_PREFIX}warm-up`] !== undefined, 30_000)
    // In a process of its own: Node's WebRTC may crash it when the pages drop its links.
    const flooder = await FlooderProcess.start({ room, signalingUrl: signaling.url }, options.flooderNice ?? 0)
    try {
      await waitFor(async () => (await flooder.connectedLinks()) === 2 && (await flooder.messages()) > 0, 30_000)
      // The page asked for, else the page on a core of its own when there is one (--alone bob: Bob's), else Alice's.
      const watched: User = options.watch ?? (options.alone === 'bob' ? 'bob' : 'alice')
      const watchedName = watched === 'bob' ? 'Bob' : 'Alice'
      let profiler: CDPSession | null = null
      if (options.profile === true) {
        profiler = await pages[watched].context().newCDPSession(pages[watched])
        await profiler.send('Profiler.enable')
        await profiler.send('Profiler.setSamplingInterval', { interval: 1000 })
        await profiler.send('Profiler.start')
      }
      const tracer = browsers[watched === 'bob' ? 1 : 0]
      if (options.traceTasks === true)
        await tracer.startTracing(pages[watched], {
          categories:
            options.traceFile === undefined ? TASK_TRACE_CATEGORIES : [...TASK_TRACE_CATEGORIES, 'disabled-by-default-v8.cpu_profiler'],
        })
      await Promise.all([resetLongTasks(alice), resetLongTasks(bob)])
      const pings: Ping[] = []
      const floodStart = Date.now()
      let floodEnd: number | null = null
      // Ends when all is written, or when the pages' drop takes the flooder's process down.
      const flooding = flooder
        .flood(count, options.forge === true ? 'Alice' : undefined)
        .catch(() => {})
        .then(() => {
          floodEnd = Date.now()
        })
      for (let k = 0; floodEnd === null || k < MIN_PINGS; k++) {
        const from = k % 2 === 0 ? 'alice' : 'bob'
        const text = `${PING_PREFIX}${k}`
        const sentAt = Date.now()
        if (process.env.FLOOD_DEBUG) console.error(`[node ${new Date().toISOString().slice(14, 23)}] ${from} sends ${text}`)
        pings.push({ text, from, sentAt })
        await send(pages[from], text)
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, sentAt + PING_INTERVAL_MS - Date.now())))
      }
      await flooding
      let traced: FloodFigure['traced']
      if (options.traceTasks === true) {
        const raw = (await tracer.stopTracing()).toString('utf8')
        if (options.traceFile !== undefined) await writeFile(options.traceFile, raw)
        const trace = JSON.parse(raw) as { traceEvents: TraceEvent[] }
        const summary = threadSummary(trace.traceEvents)
        const [longest] = longestTasks(trace.traceEvents, 1)
        const [most] = longestTasks(trace.traceEvents, 1, 'cpu')
        if (summary !== null && longest !== undefined && most !== undefined)
          traced = {
            page: watched,
            longestMs: Math.round(longest.ms),
            longestCpuMs: Math.round(longest.cpuMs),
            mostCpuMs: Math.round(most.cpuMs),
            busyMs: summary.busyMs,
            cpuMs: summary.cpuMs,
          }
        if (summary !== null) console.log(`${summaryLine(summary)}\nCPU by kind of work (self time, ms):`)
        for (const kind of cpuByKind(trace.traceEvents, TRACED_KINDS))
          console.log(`${kind.cpuMs.toFixed(0).padStart(8)}  ×${String(kind.count).padEnd(6)} ${kind.label}`)
        console.log('')
        for (const by of ['wall', 'cpu'] as const) {
          console.log(`${watchedName}'s longest tasks while the flood was written, by ${by} time (Chrome trace, self time):\n`)
          console.log(`${tasksReport(longestTasks(trace.traceEvents, TRACED_TASKS, by))}\n`)
        }
      }
      if (process.env.FLOOD_DEBUG) console.error(`flood bench: the flooder has ${await flooder.connectedLinks()} links left`)
      const other = (ping: Ping): Page => (ping.from === 'alice' ? bob : alice)
      const probes = async () => ({ alice: await floodProbe(alice), bob: await floodProbe(bob) })
      const deadline = Date.now() + LOST_AFTER_MS
      let seen = await probes()
      const delivered = (p: { alice: FloodProbe; bob: FloodProbe }, ping: Ping) =>
        (other(ping) === alice ? p.alice : p.bob).rendered[ping.text] !== undefined
      while (!pings.every((ping) => delivered(seen, ping)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
        seen = await probes()
      }
      for (const ping of pings.filter((each) => !delivered(seen, each))) {
        const probe = other(ping) === alice ? seen.alice : seen.bob
        console.error(`flood bench: "${ping.text}" from ${ping.from} not drawn; held: ${probe.held[ping.text] !== undefined}`)
      }
      if (profiler !== null) printProfile((await profiler.send('Profiler.stop')).profile, watchedName)
      const latencies = pings
        .filter((ping) => delivered(seen, ping))
        .map((ping) => (other(ping) === alice ? seen.alice : seen.bob).rendered[ping.text] - ping.sentAt)
        .sort((a, b) => a - b)
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]
      return {
        floodMessages: count,
        floodMs: (floodEnd ?? Date.now()) - floodStart,
        longestTaskMs: { alice: Math.round(seen.alice.longestTaskMs), bob: Math.round(seen.bob.longestTaskMs) },
        longTaskTotalMs: { alice: Math.round(seen.alice.longTaskMs), bob: Math.round(seen.bob.longTaskMs) },
        pings: pings.length,
        sendToRenderedMs: latencies.length === 0 ? null : { p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1] },
        lost: pings.length - latencies.length,
        ...(traced === undefined ? {} : { traced }),
        ...(options.alone === undefined ? {} : { alone: options.alone }),
      }
    } finally {
      await flooder.close()
    }
  } finally {
    process.env.NODE_ENV = nodeEnv
    await Promise.allSettled(browsers.map((browser) => browser.close()))
    await Promise.allSettled(running.map((r) => r.close()))
    await rm(siteDir, { recursive: true, force: true })
    unpin()
  }
}

/** Pins every thread of this process to `cpus` (taskset, Linux); returns what puts the old mask back. */
function pinThisProcess(cpus: string): () => void {
  const pid = String(process.pid)
  const before = execFileSync('taskset', ['-p', pid], { encoding: 'utf8' }).trim().split(' ').pop()
  if (before === undefined) throw new Error('flood bench: taskset printed no mask')
  execFileSync('taskset', ['-a', '-c', '-p', cpus, pid], { stdio: 'ignore' })
  return () => execFileSync('taskset', ['-a', '-p', before, pid], { stdio: 'ignore' })
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('flood bench: timed out waiting for the room')
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

/** Prints the functions with the most self time in a CDP CPU profile. */
function printProfile(
  profile: {
    nodes: ProfileNode[]
    samples?: number[]
    timeDeltas?: number[]
    startTime: number
    endTime: number
  },
  whose: string,
): void {
  const samples = profile.samples?.length ?? 1
  const perSampleMs = (profile.endTime - profile.startTime) / 1000 / samples
  const self = new Map<string, number>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0) * perSampleMs)
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)
  console.log(`Self time on ${whose}'s page (ms):`)
  for (const [name, ms] of top) console.log(`${ms.toFixed(0).padStart(8)}  ${name}`)
  // The longest run of samples without idle time: roughly the longest task, and what filled it.
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const name = (id: number): string => {
    const frame = byId.get(id)?.callFrame
    return frame === undefined ? '?' : `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`
  }
  const ids = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  let best = { start: 0, end: -1, ms: 0 }
  let start = 0
  let busyMs = 0
  for (let i = 0; i < ids.length; i++) {
    if (name(ids[i]).startsWith('(idle)')) {
      start = i + 1
      busyMs = 0
      continue
    }
    busyMs += (deltas[i + 1] ?? 0) / 1000
    if (busyMs > best.ms) best = { start, end: i, ms: busyMs }
  }
  const inRun = new Map<string, number>()
  for (let i = best.start; i <= best.end; i++) inRun.set(name(ids[i]), (inRun.get(name(ids[i])) ?? 0) + (deltas[i + 1] ?? 0) / 1000)
  console.log(`Longest busy stretch: ${best.ms.toFixed(0)} ms, by self time:`)
  for (const [fn, ms] of [...inRun].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${ms.toFixed(0).padStart(8)}  ${fn}`)
}

/** The figure as a table. */
export function floodTable(figure: FloodFigure): string {
  const latency = figure.sendToRenderedMs
  return [
    `Flood (a stock y-webrtc peer writes ${figure.floodMessages.toLocaleString('en')} signed messages as fast as it can; two users chat meanwhile)`,
    '| measure | Alice | Bob |',
    '|---|---|---|',
    `| longest main-thread task | ${figure.longestTaskMs.alice} ms | ${figure.longestTaskMs.bob} ms |`,
    `| long tasks, total | ${figure.longTaskTotalMs.alice} ms | ${figure.longTaskTotalMs.bob} ms |`,
    ...(figure.alone === undefined ? [] : [`| Chromium's cores | ${coresOf(figure.alone, 'alice')} | ${coresOf(figure.alone, 'bob')} |`]),
    '',
    '| flood took | user messages | send → drawn on the other page p50 / p99 / max | lost |',
    '|---|---|---|---|',
    `| ${figure.floodMs} ms | ${figure.pings} | ${latency === null ? '–' : `${latency.p50} / ${latency.p99} / ${latency.max} ms`} | ${figure.lost} |`,
    ...(figure.traced === undefined
      ? []
      : [
          '',
          `| ${figure.traced.page === 'bob' ? 'Bob' : 'Alice'}'s page, traced | longest task (its CPU) | most CPU in one task | main thread busy / CPU |`,
          '|---|---|---|---|',
          `| | ${figure.traced.longestMs} ms (${figure.traced.longestCpuMs} ms) | ${figure.traced.mostCpuMs} ms | ${figure.traced.busyMs} / ${figure.traced.cpuMs} ms |`,
        ]),
  ].join('\n')
}

/** Where a user's Chromium ran, for the table. */
function coresOf(alone: OnCpuZero, user: User): string {
  if (alone === 'users') return 'CPU 0, both users (flooder on CPU 1)'
  return alone === user ? 'CPU 0 alone' : 'CPU 1, with the flooder'
}

function userOf(value: string | undefined): User | undefined {
  if (value === undefined || value === 'alice' || value === 'bob') return value
  throw new Error(`--watch takes alice or bob, not ${value}`)
}

function aloneUser(value: string | undefined): OnCpuZero | undefined {
  if (value === undefined || value === 'alice' || value === 'bob' || value === 'users') return value
  throw new Error(`--alone takes alice, bob or users, not ${value}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const count = flag('--count')
  const figure = await runFloodBench({
    count: count === undefined ? undefined : Number(count),
    profile: process.argv.includes('--profile'),
    traceTasks: process.argv.includes('--trace-tasks'),
    flooderNice: flag('--flooder-nice') === undefined ? undefined : Number(flag('--flooder-nice')),
    forge: process.argv.includes('--forge'),
    alone: aloneUser(flag('--alone')),
    watch: userOf(flag('--watch')),
    traceFile: flag('--trace-file'),
  })
  console.log(floodTable(figure))
  console.log(JSON.stringify({ flood: figure }))
  // Node's WebRTC (@roamhq/wrtc) keeps threads alive after its last connection closed.
  process.exit(0)
}
