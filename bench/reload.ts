// What a room's history costs a page's main thread: a page joins a room of N messages from a Node
// peer, keeps it in IndexedDB, and is opened again with no peer online (a reload: the history
// comes from storage alone). For each, the signature checks the page made (Ed25519 verifications
// through WebCrypto, of any kind; and the room's own count of those made for its budgets), and
// the main thread's busy time from navigation until the checks settled (no check for a second).
// With --trace, the reload's main thread is traced, and the trace events with the most self time
// are printed (what the page did besides script); with --profile, the site is built unminified
// and the reload's functions with the most CPU time are printed.
// With --reloads K the page is opened again K times, each from storage alone (what an open leaves
// behind is paid by the next). With --settle S the joined page stays open S seconds more once the
// history is stored (time for storage's merge of a large history, which runs once the page is quiet).
// With --online the Node peer stays online through the reloads: each reload links to it while its
// stored history loads, and the bytes its page received on y-webrtc's channel are reported.
// With --sibling another tab of the same profile stays open in the room through the reloads (a
// sibling: y-webrtc's tabs of one browser sync over BroadcastChannel, not over WebRTC).
// With --profile-join, the join is profiled the same way instead. With --trace-join, the join's main
// thread is traced and its tasks counted by their CPU time (on a loaded machine a task's wall time
// includes waits for a core), the longest by CPU listed.
// Run alone: npx tsx bench/reload.ts [--count 100000] [--trials 1] [--reloads 1] [--settle 0] [--online] [--sibling] [--trace] [--profile]
//   [--profile-join] [--trace-join]
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'
import { type CpuProfile, functionTimes, top } from './join-profile.js'
import {
  longestTasks,
  summaryLine,
  TASK_TRACE_CATEGORIES,
  tasksReport,
  threadSummary,
  type TraceEvent as TaskTraceEvent,
} from './task-trace.js'
import * as Y from 'yjs'
import { topicFor } from '../src/address/index.js'
import { messagesOf, type MessageRecord } from '../src/history/index.js'
import { Room } from '../src/room/index.js'
import {
  historyTimes,
  probeHistory,
  rememberName,
  seededText,
  signedHistory,
  storedInBrowser,
  storedRooms,
} from '../test/e2e/history-harness.js'
import { nodeRtc } from '../test/support/node-rtc.js'

/** How long a page may take to hold and draw the history, in ms. */
const HOLD_TIMEOUT_MS = 120_000
/** Checks have settled once none started for this long, in ms. */
const QUIET_MS = 1_000
/** How long the page may take to store the history once it holds it, in ms. */
const STORE_TIMEOUT_MS = 60_000
/** How often the page's probes are read, in ms. */
const POLL_MS = 50

/**
 * Counts the page's signature checks (crypto.subtle.verify) and stamps the last one
 * (performance.now()); notes the main thread's long tasks (over 50 ms, Long Tasks API).
 */
const VERIFY_PROBE = `(() => {
  const probe = { calls: 0, lastAt: null, longTasks: [], longTaskStarts: [], receivedBytes: 0, siblingBytes: 0, siblingLargest: 0 }
  window.verifyProbe = probe
  // Bytes received from sibling tabs on y-webrtc's BroadcastChannels (Parley's own is named parley-goodbyes/…).
  const BaseChannel = window.BroadcastChannel
  window.BroadcastChannel = class extends BaseChannel {
    constructor (name) {
      super(name)
      if (!String(name).startsWith('parley-goodbyes/')) this.addEventListener('message', (event) => {
        const bytes = event.data?.byteLength ?? 0
        probe.siblingBytes += bytes
        probe.siblingLargest = Math.max(probe.siblingLargest, bytes)
      })
    }
  }
  // Bytes received on y-webrtc's data channel (not negotiated: Parley's side channels are).
  const watch = (channel) => {
    if (!channel.negotiated) channel.addEventListener('message', (event) => { if (event.data instanceof ArrayBuffer) probe.receivedBytes += event.data.byteLength })
  }
  const Base = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Base {
    constructor (config) { super(config); this.addEventListener('datachannel', (event) => watch(event.channel)) }
    createDataChannel (label, init) { const channel = super.createDataChannel(label, init); watch(channel); return channel }
  }
  const verify = SubtleCrypto.prototype.verify
  SubtleCrypto.prototype.verify = function (...args) { probe.calls++; probe.lastAt = performance.now(); return verify.apply(this, args) }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { probe.longTasks.push(Math.round(entry.duration)); probe.longTaskStarts.push(Math.round(entry.startTime)) }
  }).observe({ type: 'longtask', buffered: true })
})()`

/** What one page load cost. */
export interface LoadFigure {
  phase: 'join' | 'reload'
  messages: number
  held: number
  /** From navigation start to the page holding every message, and to the newest drawn. */
  heldMs: number | null
  shownMs: number | null
  /** Signature checks the page made (any kind), and those its room made for the budgets (null: not counted, main). */
  verifications: number
  budgetChecks: number | null
  /** From navigation start to the last check. */
  lastCheckMs: number | null
  /** The main thread's busy time (CDP Performance.getMetrics TaskDuration) and script time, from navigation until the checks settled. */
  taskMs: number
  scriptMs: number
  /** The main thread's longest task until the checks settled, and how many took over 100 ms. */
  longestTaskMs: number
  tasksOver100Ms: number
  /** Bytes the page received on y-webrtc's data channel until the checks settled (on the wire: deflated where framing deflates). */
  receivedBytes: number
  /** Bytes it received from sibling tabs over y-webrtc's BroadcastChannel, and the largest message's. */
  siblingBytes: number
  siblingLargest: number
  load: number
}

interface VerifyProbe {
  calls: number
  lastAt: number | null
  longTasks: number[]
  longTaskStarts: number[]
  receivedBytes: number
  siblingBytes: number
  siblingLargest: number
}

async function measuredLoad(
  context: BrowserContext,
  url: string,
  phase: LoadFigure['phase'],
  count: number,
  profile = false,
): Promise<{ page: Page; figure: LoadFigure }> {
  const page = await context.newPage()
  const session = await context.newCDPSession(page)
  await session.send('Performance.enable')
  if (profile) {
    await session.send('Profiler.enable')
    await session.send('Profiler.setSamplingInterval', { interval: 200 })
    await session.send('Profiler.start')
  }
  await page.goto(url)
  const deadline = Date.now() + HOLD_TIMEOUT_MS
  let times = await historyTimes(page)
  while (times.shownAt === null && Date.now() < deadline) {
    await sleep(POLL_MS)
    times = await historyTimes(page)
  }
  // Settled: no check started for QUIET_MS.
  let calls = -1
  let quietSince = Date.now()
  while (Date.now() - quietSince < QUIET_MS && Date.now() < deadline) {
    const probe = await verifyProbe(page)
    if (probe.calls !== calls) {
      calls = probe.calls
      quietSince = Date.now()
    }
    await sleep(POLL_MS)
  }
  const { metrics } = await session.send('Performance.getMetrics')
  const metric = (name: string) => (metrics.find((each) => each.name === name)?.value ?? Number.NaN) * 1000
  const probe = await verifyProbe(page)
  if (probe.longTasks.some((ms) => ms > 100))
    console.error(
      `${phase}: tasks over 100 ms (start after navigation: duration):`,
      probe.longTasks.flatMap((ms, i) => (ms > 100 ? [`${probe.longTaskStarts[i]}: ${ms}`] : [])).join(', '),
    )
  const siblings = await page.evaluate(
    () => (document.querySelector('parley-chat') as unknown as { stats(): { siblings?: unknown } | null }).stats()?.siblings ?? null,
  )
  if (siblings !== null) console.error(`${phase}: sibling answers set aside:`, JSON.stringify(siblings))
  const budgetChecks = await page.evaluate(
    () => (document.querySelector('parley-chat') as unknown as { stats(): { budgetChecks?: number } | null }).stats()?.budgetChecks ?? null,
  )
  if (profile) {
    const taken = (await session.send('Profiler.stop')) as unknown as { profile: CpuProfile }
    const { self, inclusive, busy } = functionTimes(taken.profile)
    console.error(`${phase}: ${busy.toFixed(0)} ms of samples not idle\nself:\n${top(self)}\ninclusive:\n${top(inclusive)}`)
  }
  await session.detach()
  return {
    page,
    figure: {
      phase,
      messages: count,
      held: times.held,
      heldMs: times.heldAt === null ? null : Math.round(times.heldAt),
      shownMs: times.shownAt === null ? null : Math.round(times.shownAt),
      verifications: probe.calls,
      budgetChecks,
      lastCheckMs: probe.lastAt === null ? null : Math.round(probe.lastAt),
      taskMs: Math.round(metric('TaskDuration')),
      scriptMs: Math.round(metric('ScriptDuration')),
      longestTaskMs: Math.max(0, ...probe.longTasks),
      tasksOver100Ms: probe.longTasks.filter((ms) => ms > 100).length,
      receivedBytes: probe.receivedBytes,
      siblingBytes: probe.siblingBytes,
      siblingLargest: probe.siblingLargest,
      load: loadavg()[0],
    },
  }
}

async function verifyProbe(page: Page): Promise<VerifyProbe> {
  return page.evaluate(() => (window as unknown as { verifyProbe: VerifyProbe }).verifyProbe)
}

/** The page's stored room updates (every Parley database's): how many, the largest's bytes, and their bytes in all (what a reload applies). */
async function storedLayout(page: Page): Promise<{ updates: number; largestBytes: number; bytes: number }> {
  const { updates, largestBytes, bytes } = await storedRooms(page)
  return { updates, largestBytes, bytes }
}

/** Waits until the page's IndexedDB holds `text` (the newest message). */
async function whenStored(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + STORE_TIMEOUT_MS
  while (Date.now() < deadline) {
    const names = await page.evaluate(async () => (await indexedDB.databases()).map((each) => each.name ?? ''))
    for (const name of names) if (await storedInBrowser(page, name, text)) return
    await sleep(500)
  }
  throw new Error('the history was not stored in time')
}

/** A Node peer holding `count` signed messages in `room` (signed once, then read from a file in the temp dir). */
async function seed(room: string, signalingUrl: string, count: number): Promise<Room> {
  const file = join(tmpdir(), `parley-bench-reload-${count}.json`)
  let records: MessageRecord[]
  try {
    records = JSON.parse(await readFile(file, 'utf8')) as MessageRecord[]
  } catch {
    records = await signedHistory(topicFor({ name: room, secret: null }), count)
    await writeFile(file, JSON.stringify(records))
  }
  const doc = new Y.Doc()
  doc.transact(() => messagesOf(doc).push(records))
  return new Room({ name: room, signalingUrls: [signalingUrl], iceServers: [], wrtc: nodeRtc('wrtc'), persist: false, doc })
}

/** Builds the site, then per trial: a join from a Node peer, and a reload from storage alone. */
export async function runReloadBench(
  options: {
    count?: number
    trials?: number
    reloads?: number
    settleS?: number
    online?: boolean
    sibling?: boolean
    trace?: boolean
    profile?: boolean
    profileJoin?: boolean
    traceJoin?: boolean
  } = {},
): Promise<LoadFigure[]> {
  const count = options.count ?? 100_000
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-reload-'))
  const running: Running[] = []
  const browser = await launchChromium()
  try {
    await build({
      root,
      logLevel: 'error',
      build: { outDir: siteDir, emptyOutDir: true, minify: options.profile !== true && options.profileJoin !== true },
    })
    const site = await serveStatic(siteDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, signaling)
    const figures: LoadFigure[] = []
    for (let trial = 0; trial < (options.trials ?? 1); trial++) {
      // One room name per count (each run has a signaling server of its own, each load a fresh
      // profile), so its signed history is made once and kept for the next run.
      const room = `reload-${count}`
      const url = `${site.url}?signaling=${encodeURIComponent(signaling.url)}&ice=#${encodeURIComponent(room)}`
      const seeder = await seed(room, signaling.url, count)
      console.error(new Date().toISOString(), `trial ${trial + 1}: seeded ${count}`)
      const context = await browser.newContext()
      try {
        await rememberName(context, 'Reader')
        await probeHistory(context, count, seededText(count - 1))
        await context.addInitScript(VERIFY_PROBE)
        if (options.traceJoin === true) await browser.startTracing(undefined, { categories: TASK_TRACE_CATEGORIES })
        const joined = await measuredLoad(context, url, 'join', count, options.profileJoin === true)
        if (options.traceJoin === true) console.error(joinTasksReport(await browser.stopTracing()))
        figures.push(joined.figure)
        console.error(new Date().toISOString(), `trial ${trial + 1}: joined`, joined.figure)
        await whenStored(joined.page, seededText(count - 1))
        await sleep((options.settleS ?? 0) * 1000)
        console.error(new Date().toISOString(), 'the join left stored', await storedLayout(joined.page))
        await joined.page.close()
        if (options.online !== true) seeder.close()
        if (options.sibling === true) {
          const sibling = await context.newPage()
          await sibling.goto(url)
          const deadline = Date.now() + HOLD_TIMEOUT_MS
          while ((await historyTimes(sibling)).heldAt === null && Date.now() < deadline) await sleep(POLL_MS)
          console.error(new Date().toISOString(), 'a sibling tab holds the room')
        }
        for (let reload = 0; reload < (options.reloads ?? 1); reload++) {
          if (options.trace === true) await startMainThreadTrace(browser)
          const reloaded = await measuredLoad(context, url, 'reload', count, options.profile === true)
          figures.push(reloaded.figure)
          if (options.trace === true)
            console.error(`reload, main thread self time by trace event:\n${selfTimeTable(await browser.stopTracing())}`)
          console.error(new Date().toISOString(), `trial ${trial + 1}: reloaded`, reloaded.figure)
          console.error(new Date().toISOString(), 'the reload left stored', await storedLayout(reloaded.page))
          await reloaded.page.close()
        }
      } finally {
        seeder.close()
        await context.close()
      }
    }
    return figures
  } finally {
    await browser.close()
    await Promise.allSettled(running.map((each) => each.close()))
    await rm(siteDir, { recursive: true, force: true })
  }
}

/** The figures as a table: counts first, then times beside the load. */
export function reloadTable(figures: LoadFigure[]): string {
  const ms = (value: number | null) => (value === null ? '–' : `${value.toLocaleString('en')} ms`)
  return [
    '| phase | messages | held | signature checks (of which budgets) | held after navigation | newest drawn | last check | main thread busy until settled (script) | longest task (tasks over 100 ms) | received on the wire | from siblings (largest) | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.phase} | ${f.messages.toLocaleString('en')} | ${f.held.toLocaleString('en')} | ${f.verifications.toLocaleString('en')} (${f.budgetChecks?.toLocaleString('en') ?? '–'}) | ${ms(f.heldMs)} | ${ms(f.shownMs)} | ${ms(f.lastCheckMs)} | ${ms(f.taskMs)} (${ms(f.scriptMs)}) | ${ms(f.longestTaskMs)} (${f.tasksOver100Ms}) | ${f.receivedBytes.toLocaleString('en')} B | ${f.siblingBytes.toLocaleString('en')} B (${f.siblingLargest.toLocaleString('en')} B) | ${f.load.toFixed(1)} |`,
    ),
  ].join('\n')
}

/** Tasks of CPU time worth listing (--trace-join), in ms. */
const TRACED_TASK_CPU_MS = 100
/** Tasks listed by CPU time (--trace-join). */
const TRACED_TASKS = 3

/** The joiner's main thread from a trace: its totals, how many tasks took over 100 ms of CPU (and of wall time), and the longest by CPU. */
function joinTasksReport(trace: Buffer): string {
  const events = (JSON.parse(trace.toString('utf8')) as { traceEvents: TaskTraceEvent[] }).traceEvents
  const summary = threadSummary(events)
  const tasks = longestTasks(events, Number.MAX_SAFE_INTEGER, 'cpu')
  const over = tasks.filter((task) => task.cpuMs > TRACED_TASK_CPU_MS).map((task) => `${task.atMs}: ${Math.round(task.cpuMs)}`)
  return [
    `join, traced: ${summary === null ? 'no main thread' : summaryLine(summary)}`,
    `join, traced: tasks over ${TRACED_TASK_CPU_MS} ms of CPU (start: CPU ms): ${over.length} (${over.join(', ')}); over ${TRACED_TASK_CPU_MS} ms of wall time: ${tasks.filter((task) => task.ms > TRACED_TASK_CPU_MS).length}`,
    tasksReport(tasks.slice(0, TRACED_TASKS)),
  ].join('\n')
}

/** Starts a trace of every page's main thread: tasks, script, style, layout, paint, GC, IndexedDB. */
async function startMainThreadTrace(browser: Browser): Promise<void> {
  await browser.startTracing(undefined, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'IndexedDB', 'toplevel'],
  })
}

interface TraceEvent {
  name: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  args?: { name?: string }
}

/** The trace's complete events on renderer main threads, self time summed per name (children's time taken out), most first. */
export function selfTimeTable(trace: Buffer, rows = 25): string {
  const parsed = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[]
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents
  const mainThreads = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  )
  const byThread = new Map<string, TraceEvent[]>()
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`
    if (e.ph !== 'X' || e.dur === undefined || !mainThreads.has(thread)) continue
    const list = byThread.get(thread) ?? []
    list.push(e)
    byThread.set(thread, list)
  }
  const self = new Map<string, number>()
  for (const list of byThread.values()) {
    list.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0))
    const stack: Array<{ name: string; end: number; self: number }> = []
    const pop = (): void => {
      const done = stack.pop()
      if (done !== undefined) self.set(done.name, (self.get(done.name) ?? 0) + done.self)
    }
    for (const e of list) {
      while (stack.length > 0 && stack[stack.length - 1].end <= e.ts) pop()
      const dur = e.dur ?? 0
      const parent = stack[stack.length - 1]
      if (parent !== undefined) parent.self -= Math.min(dur, parent.end - e.ts)
      stack.push({ name: e.name, end: e.ts + dur, self: dur })
    }
    while (stack.length > 0) pop()
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([name, us]) => `  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`)
    .join('\n')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string): string | undefined => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const count = flag('--count')
  const trials = flag('--trials')
  const reloads = flag('--reloads')
  const settle = flag('--settle')
  runReloadBench({
    count: count === undefined ? undefined : Number(count),
    trials: trials === undefined ? undefined : Number(trials),
    reloads: reloads === undefined ? undefined : Number(reloads),
    settleS: settle === undefined ? undefined : Number(settle),
    online: process.argv.includes('--online'),
    sibling: process.argv.includes('--sibling'),
    trace: process.argv.includes('--trace'),
    profile: process.argv.includes('--profile'),
    profileJoin: process.argv.includes('--profile-join'),
    traceJoin: process.argv.includes('--trace-join'),
  })
    .then((figures) => {
      console.log(reloadTable(figures))
      // The Node peer's WebRTC library keeps the process alive after its room closed.
      process.exit(0)
    })
    .catch((error: unknown) => {
      console.error(error)
      process.exit(1)
    })
}
