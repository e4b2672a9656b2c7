// History benchmark: how fast a late joiner (a Chromium page) gets a room's whole history from
// one peer online (a Node peer over @roamhq/wrtc, or another Chromium that wrote it through the
// chat element), renders its latest screen, and what it costs in memory; stock y-webrtc in the
// same run as the reference.
// The browser-fed case is measured twice: joins into a room nobody changed since the last join
// (the writer's cached answer is warm), and the first join after the writer chatted and went
// quiet past the time an unwarmed answer is kept (CACHE_KEEP_MS): what a late joiner meets in a live room.
// Run alone: npx tsx bench/history.ts [--counts 2000,10000,100000] [--trials 3] [--timeout-s 30] [--browser-fed 10000] [--no-stock]
//   [--gap-s 65] [--chat-lines 3] [--no-after-change] [--settle-s 0]
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'
import { seedRoomFromBrowser } from './browser-seeder.js'
import {
  historyTimes,
  probeHistory,
  rememberName,
  seedParleyRoom,
  seedStockRoom,
  seededText,
  usedHeapBytes,
  type HistoryTimes,
  type Seeder,
} from '../test/e2e/history-harness.js'

/** Message counts measured by default. */
const DEFAULT_COUNTS = [2_000, 10_000, 100_000]
/** How long a late joiner may take to hold the history before it counts as "did not arrive", in ms. */
const DEFAULT_ARRIVAL_TIMEOUT_MS = 30_000
/** How often the benchmark reads the page's probe, in ms (the page stamps its own times). */
const POLL_MS = 20

/** Late joins per count for Parley (each a fresh profile); figures are their medians. */
const DEFAULT_TRIALS = 3
/** Counts also fed by a browser that wrote them (each message a send() of its own). */
const DEFAULT_BROWSER_FED_COUNTS = [10_000]
/** Lines the writer chats before each join after a change. */
const DEFAULT_CHAT_LINES = 3
/** Ms between two of those lines: a person chatting. */
const CHAT_LINE_SPACING_MS = 500
/** How long after chatting the next one joins, in s: past the 60 s an answer nobody asks for is kept unless kept warm. */
const DEFAULT_GAP_S = 65

/** The writer's counters of fresh joiners' answers (src/transport/sync-replies.ts; main has only the first two). */
interface WriterSyncStats {
  answered: number
  encoded: number
  encodedAhead?: number
  aheadMs?: number
  preparingMs?: number
  /** Bytes the cached answer holds (branch `warmdeflate` on). */
  heldBytes?: number
}

/** What late joins measured (medians over the trials). Times are ms; null where it did not happen in time. */
export interface HistoryFigure {
  /**
   * `parley, browser-fed`: the history was written by another Chromium through `<parley-chat>.send()`;
   * `…, after a change`: each join came after the writer chatted a few lines and went quiet for a while.
   */
  implementation: 'parley' | 'parley, browser-fed' | 'parley, browser-fed, after a change' | 'stock'
  messages: number
  /** From the peer connection being up to the page holding every message. */
  syncMs: number | null
  /** From navigation start to the page holding every message (page load, signaling, ICE included). */
  sinceNavigationMs: number | null
  /** From holding every message to the newest one drawn in the log (Parley only). */
  renderMs: number | null
  /** From the first to the last large (over 1 KB) data-channel message the page received: the history on the wire. */
  transferMs: number | null
  /** Used JS heap of the late joiner's page after a GC, once rendered, in bytes. */
  heapBytes: number | null
  /** The seeding peer's encoded document, per message, in bytes (null: not read, a browser holds it). */
  docBytesPerMessage: number | null
  /** From the peer connection being up to the first large data-channel message (the history's first frame). */
  firstFrameMs: number | null
  /** Bytes of the large data-channel messages the page received (the history's frames, deflated or not). */
  wireBytes: number | null
  /** Browser-fed: times the writer encoded the whole document while a joiner waited (summed over the joins; null: not read). */
  encodedOnRequest: number | null
  /** Browser-fed, after a change: the writer's used JS heap after a GC just before the join, in bytes. */
  writerHeapBytes: number | null
  /** The same moment: the writer's ArrayBuffer backing stores, in bytes (outside the JS heap; a cached answer's bytes live here). */
  writerBufferBytes: number | null
  /** The same moment: bytes the writer's cached answer holds, by its own count (`syncReplies.heldBytes`; null: not counted, main before `warmdeflate`). */
  writerAnswerBytes: number | null
  /** Browser-fed: ms the writer's warm-ups spent encoding / deflating ahead, per warm-up that encoded the whole document (null: none, or main). */
  aheadMs: number | null
  preparingMs: number | null
  /** The machine's 1-minute load average at the joins (lowest, highest): times mean little without it. */
  load: [number, number]
  /** Messages the page held when it gave up (equals `messages` when it arrived). */
  held: number
  timeoutMs: number
  /** Late joins measured; a time is null if any of them missed it. */
  trials: number
}

/** Options of a run. */
export interface HistoryBenchOptions {
  counts?: number[]
  /** Late joins per count for Parley (default 3); stock gets one (it does not arrive above a few thousand). */
  trials?: number
  /** Run the stock y-webrtc reference too (default true). */
  stock?: boolean
  /** Counts measured again with a browser as the one peer online, having written them (default 10,000). */
  browserFedCounts?: number[]
  /** Browser-fed: seconds between the writer holding its history and the first join (default 0). */
  settleS?: number
  /** Browser-fed: also join after the writer chatted and went quiet (default true). */
  afterChange?: boolean
  /** Lines the writer chats before each of those joins (default 3). */
  chatLines?: number
  /** Seconds between the writer's last line and the join (default 65: past the 60 s an unwarmed answer is kept). */
  gapS?: number
  arrivalTimeoutMs?: number
}

async function waitForProbe(page: Page, done: (times: HistoryTimes) => boolean, timeoutMs: number): Promise<HistoryTimes> {
  const deadline = Date.now() + timeoutMs
  let times = await historyTimes(page)
  while (!done(times) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    times = await historyTimes(page)
  }
  return times
}

/**
 * A probe stamping (performance.now()) the first and last data-channel message over
 * LARGE_MESSAGE_BYTES that the page receives: the history's frames, not beats or presence.
 */
const TRANSFER_PROBE = `(() => {
  const span = { first: null, last: null, bytes: 0 }
  window.transferProbe = span
  const watch = (channel) => channel.addEventListener('message', (event) => {
    const bytes = event.data.byteLength ?? event.data.length
    if (bytes <= 1024) return
    span.first ??= performance.now()
    span.last = performance.now()
    span.bytes += bytes
  })
  const create = RTCPeerConnection.prototype.createDataChannel
  RTCPeerConnection.prototype.createDataChannel = function (...args) { const channel = create.apply(this, args); watch(channel); return channel }
  const Base = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Base { constructor (config) { super(config); this.addEventListener('datachannel', (event) => watch(event.channel)) } }
})()`

/** What TRANSFER_PROBE saw: first and last large data-channel message (performance.now()), and their bytes. */
interface TransferSpan {
  first: number | null
  last: number | null
  bytes: number
}

async function transferSpan(page: Page): Promise<TransferSpan> {
  return page.evaluate(() => (window as unknown as { transferProbe: TransferSpan }).transferProbe)
}

/** The writer page's counters of fresh joiners' answers. */
async function writerSyncStats(page: Page): Promise<WriterSyncStats | null> {
  return page.evaluate(
    () =>
      (document.querySelector('parley-chat') as unknown as { stats(): { syncReplies: WriterSyncStats } | null }).stats()?.syncReplies ??
      null,
  )
}

/** The writer chats `lines` lines through the chat element, a person's pace apart; returns the last. */
async function chat(page: Page, lines: number, round: number): Promise<string> {
  let last = ''
  for (let line = 0; line < lines; line++) {
    last = `chat ${round}.${line}: a line written after the history, before someone joins`
    await page.evaluate((text) => {
      const element = document.querySelector('parley-chat') as unknown as { send(text: string): boolean }
      if (!element.send(text)) throw new Error('the chat refused a line')
    }, last)
    await sleep(CHAT_LINE_SPACING_MS)
  }
  return last
}

/** A page's ArrayBuffer backing stores after a GC, in bytes (Chrome DevTools Protocol; not part of the JS heap figure). */
async function bufferBytes(page: Page): Promise<number | null> {
  const session = await page.context().newCDPSession(page)
  try {
    await session.send('HeapProfiler.collectGarbage')
    const usage = (await session.send('Runtime.getHeapUsage')) as { backingStorageSize?: number }
    return usage.backingStorageSize ?? null
  } finally {
    await session.detach()
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function lateJoin(
  browser: Browser,
  implementation: HistoryFigure['implementation'],
  url: string,
  count: number,
  seeder: Pick<Seeder, 'docBytes'> | null,
  timeoutMs: number,
  lastText = seededText(count - 1),
): Promise<HistoryFigure> {
  const context = await browser.newContext()
  try {
    if (implementation !== 'stock') {
      await rememberName(context, 'Late joiner')
      await probeHistory(context, count, lastText)
    }
    await context.addInitScript(TRANSFER_PROBE)
    const page = await context.newPage()
    await page.goto(url)
    const times = await waitForProbe(page, (t) => (implementation === 'stock' ? t.heldAt !== null : t.shownAt !== null), timeoutMs)
    const arrived = times.heldAt !== null
    const span = await transferSpan(page)
    return {
      implementation,
      messages: count,
      syncMs: arrived && times.connectedAt !== null ? round(times.heldAt! - times.connectedAt) : null,
      sinceNavigationMs: arrived ? round(times.heldAt!) : null,
      renderMs: implementation !== 'stock' && arrived && times.shownAt !== null ? round(times.shownAt - times.heldAt!) : null,
      transferMs: arrived && span.first !== null && span.last !== null ? round(span.last - span.first) : null,
      firstFrameMs: span.first !== null && times.connectedAt !== null ? round(span.first - times.connectedAt) : null,
      wireBytes: arrived ? span.bytes : null,
      encodedOnRequest: null,
      writerHeapBytes: null,
      writerBufferBytes: null,
      writerAnswerBytes: null,
      aheadMs: null,
      preparingMs: null,
      load: [loadavg()[0], loadavg()[0]],
      heapBytes: arrived ? await usedHeapBytes(page) : null,
      docBytesPerMessage: seeder === null ? null : Math.round(seeder.docBytes / count),
      held: times.held,
      timeoutMs,
      trials: 1,
    }
  } finally {
    await context.close()
  }
}

/** A late join fed by the writer page, with the whole-document encodes the writer made while it waited. */
async function fedBy(writer: Page, join: () => Promise<HistoryFigure>): Promise<HistoryFigure> {
  const before = await writerSyncStats(writer)
  const figure = await join()
  const after = await writerSyncStats(writer)
  const onRequest = (stats: WriterSyncStats | null) => (stats === null ? 0 : stats.encoded - (stats.encodedAhead ?? 0))
  return { ...figure, encodedOnRequest: before === null || after === null ? null : onRequest(after) - onRequest(before) }
}

/** Builds the site and the stock page, then measures each count for Parley (and stock). */
export async function runHistoryBench(options: HistoryBenchOptions = {}): Promise<HistoryFigure[]> {
  const counts = options.counts ?? DEFAULT_COUNTS
  const timeoutMs = options.arrivalTimeoutMs ?? DEFAULT_ARRIVAL_TIMEOUT_MS
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-site-'))
  const stockDir = await mkdtemp(join(tmpdir(), 'parley-bench-stock-'))
  const running: Running[] = []
  let browser: Browser | null = null
  try {
    await build({ root, logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true } })
    await build({ root: join(root, 'bench/stock-history'), base: './', logLevel: 'error', build: { outDir: stockDir, emptyOutDir: true } })
    const site = await serveStatic(siteDir)
    const stock = await serveStatic(stockDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, stock, signaling)
    browser = await launchChromium()
    const figures: HistoryFigure[] = []
    for (const count of options.browserFedCounts ?? DEFAULT_BROWSER_FED_COUNTS) {
      // The writer runs in a Chromium process of its own, as another user's browser.
      const writer = await launchChromium()
      try {
        const room = `history-browser-${count}-${Date.now()}`
        const url = `${site.url}?signaling=${encodeURIComponent(signaling.url)}&ice=#${encodeURIComponent(room)}`
        const seeder = await seedRoomFromBrowser(writer, url, count)
        const firstOfWriter = figures.length
        await sleep((options.settleS ?? 0) * 1000)
        const trials = options.trials ?? DEFAULT_TRIALS
        const joins: HistoryFigure[] = []
        for (let trial = 0; trial < trials; trial++)
          joins.push(await fedBy(seeder.page, () => lateJoin(browser!, 'parley, browser-fed', url, count, null, timeoutMs)))
        figures.push(medianFigure(joins))
        if (options.afterChange !== false) {
          const lines = options.chatLines ?? DEFAULT_CHAT_LINES
          const changed: HistoryFigure[] = []
          let held = count
          for (let trial = 0; trial < trials; trial++) {
            const last = await chat(seeder.page, lines, trial)
            held += lines
            await sleep((options.gapS ?? DEFAULT_GAP_S) * 1000)
            const writerHeapBytes = await usedHeapBytes(seeder.page)
            const writerBufferBytes = await bufferBytes(seeder.page)
            const writerAnswerBytes = (await writerSyncStats(seeder.page))?.heldBytes ?? null
            const join = await fedBy(seeder.page, () =>
              lateJoin(browser!, 'parley, browser-fed, after a change', url, held, null, timeoutMs, last),
            )
            changed.push({ ...join, writerHeapBytes, writerBufferBytes, writerAnswerBytes })
          }
          figures.push(medianFigure(changed))
        }
        const writerStats = await writerSyncStats(seeder.page)
        const perWarmUp = (ms: number | undefined) =>
          ms === undefined || !(writerStats?.encodedAhead ?? 0) ? null : round(ms / (writerStats?.encodedAhead ?? 1))
        for (const figure of figures.slice(firstOfWriter))
          Object.assign(figure, { aheadMs: perWarmUp(writerStats?.aheadMs), preparingMs: perWarmUp(writerStats?.preparingMs) })
        await seeder.close()
      } finally {
        await writer.close()
      }
    }
    for (const count of counts) {
      const room = `history-${count}-${Date.now()}`
      const parleySeeder = await seedParleyRoom({ room, signalingUrl: signaling.url, count, rtc: 'wrtc' })
      try {
        const url = `${site.url}?signaling=${encodeURIComponent(signaling.url)}&ice=#${encodeURIComponent(room)}`
        const joins: HistoryFigure[] = []
        for (let trial = 0; trial < (options.trials ?? DEFAULT_TRIALS); trial++)
          joins.push(await lateJoin(browser, 'parley', url, count, parleySeeder, timeoutMs))
        figures.push(medianFigure(joins))
      } finally {
        parleySeeder.close()
      }
      if (options.stock === false) continue
      const stockRoom = `${room}-stock`
      const stockSeeder = seedStockRoom({ room: stockRoom, signalingUrl: signaling.url, count, rtc: 'wrtc' })
      try {
        const url = `${stock.url}?signaling=${encodeURIComponent(signaling.url)}&room=${encodeURIComponent(stockRoom)}&count=${count}`
        figures.push(await lateJoin(browser, 'stock', url, count, stockSeeder, timeoutMs))
      } finally {
        stockSeeder.close()
      }
    }
    return figures
  } finally {
    await browser?.close()
    await Promise.allSettled(running.map((r) => r.close()))
    await Promise.allSettled([rm(siteDir, { recursive: true, force: true }), rm(stockDir, { recursive: true, force: true })])
  }
}

/** The figures as a table, one row per implementation and count: counts first, then times beside the load. */
export function historyTable(figures: HistoryFigure[]): string {
  const ms = (value: number | null, figure: HistoryFigure) =>
    value === null ? `did not arrive within ${figure.timeoutMs / 1000} s (${figure.held} held)` : `${value.toLocaleString('en')} ms`
  const optional = (value: number | null, unit: string) => (value === null ? '–' : `${value.toLocaleString('en')} ${unit}`)
  const mib = (bytes: number | null) => (bytes === null ? '–' : `${(bytes / 2 ** 20).toFixed(1)} MiB`)
  const rows = figures.map((f) =>
    [
      f.implementation,
      f.messages.toLocaleString('en'),
      f.held.toLocaleString('en'),
      f.wireBytes === null ? '–' : `${Math.round(f.wireBytes / 1000).toLocaleString('en')} KB`,
      f.encodedOnRequest === null ? '–' : String(f.encodedOnRequest),
      ms(f.syncMs, f),
      optional(f.firstFrameMs, 'ms'),
      optional(f.transferMs, 'ms'),
      optional(f.sinceNavigationMs, 'ms'),
      optional(f.renderMs, 'ms'),
      `${f.load[0].toFixed(0)}–${f.load[1].toFixed(0)}`,
      mib(f.heapBytes),
      f.writerHeapBytes === null ? '–' : `${mib(f.writerHeapBytes)} + ${mib(f.writerBufferBytes)}`,
      mib(f.writerAnswerBytes),
      f.aheadMs === null ? '–' : `${f.aheadMs} / ${f.preparingMs ?? '–'} ms`,
      f.docBytesPerMessage === null ? '–' : `${f.docBytesPerMessage} B`,
    ].join(' | '),
  )
  return [
    `History sync (late joiner in Chromium, one peer online: Node, or a browser that wrote the history; Parley: median of ${figures.find((f) => f.implementation === 'parley')?.trials ?? figures[0]?.trials ?? 0} joins)`,
    '| implementation | messages | held | on the wire | writer: whole-document encodes on request | history held after connect | first frame after connect | first → last frame | after navigation | latest screen after held | load | JS heap | writer before join: JS heap + array buffers | of which the cached answer (its count) | writer: encode / deflate per warm-up | doc bytes / message |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n')
}

/** One figure of several late joins: the median of each measure (null if any join missed it). */
function medianFigure(joins: HistoryFigure[]): HistoryFigure {
  const median = (pick: (figure: HistoryFigure) => number | null): number | null => {
    const values = joins.map(pick)
    if (values.some((value) => value === null)) return null
    const sorted = (values as number[]).sort((a, b) => a - b)
    return sorted[Math.floor((sorted.length - 1) / 2)]
  }
  return {
    ...joins[0],
    syncMs: median((f) => f.syncMs),
    sinceNavigationMs: median((f) => f.sinceNavigationMs),
    renderMs: median((f) => f.renderMs),
    transferMs: median((f) => f.transferMs),
    firstFrameMs: median((f) => f.firstFrameMs),
    wireBytes: median((f) => f.wireBytes),
    encodedOnRequest: joins.some((f) => f.encodedOnRequest === null) ? null : joins.reduce((sum, f) => sum + (f.encodedOnRequest ?? 0), 0),
    writerHeapBytes: median((f) => f.writerHeapBytes),
    writerBufferBytes: median((f) => f.writerBufferBytes),
    writerAnswerBytes: median((f) => f.writerAnswerBytes),
    load: [Math.min(...joins.map((f) => f.load[0])), Math.max(...joins.map((f) => f.load[1]))],
    heapBytes: median((f) => f.heapBytes),
    held: Math.min(...joins.map((f) => f.held)),
    trials: joins.length,
  }
}

function round(ms: number): number {
  return Math.round(ms)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const counts = flag('--counts')
    ?.split(',')
    .filter((each) => each !== '')
    .map(Number)
  const timeout = flag('--timeout-s')
  const trials = flag('--trials')
  const browserFed = flag('--browser-fed')
  const figures = await runHistoryBench({
    counts,
    browserFedCounts: browserFed
      ?.split(',')
      .filter((each) => each !== '')
      .map(Number),
    stock: !process.argv.includes('--no-stock'),
    afterChange: !process.argv.includes('--no-after-change'),
    chatLines: flag('--chat-lines') === undefined ? undefined : Number(flag('--chat-lines')),
    gapS: flag('--gap-s') === undefined ? undefined : Number(flag('--gap-s')),
    settleS: flag('--settle-s') === undefined ? undefined : Number(flag('--settle-s')),
    trials: trials === undefined ? undefined : Number(trials),
    arrivalTimeoutMs: timeout === undefined ? undefined : Number(timeout) * 1000,
  })
  console.log(historyTable(figures))
  console.log(JSON.stringify({ history: figures }))
  // Node's WebRTC (@roamhq/wrtc) keeps threads alive after its last connection closed.
  process.exit(0)
}
