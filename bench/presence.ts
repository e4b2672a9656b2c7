// Presence benchmark: how fast other peers see a join, typing, a closed tab and a killed
// browser, for Parley and for stock y-webrtc awareness, measured in the same run.
// Run alone: npx tsx bench/presence.ts [--trials N]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, launchKillableChromium, serveStatic, type Running } from '../test/support/browsers.js'

/** How long one observation may take before it counts as "not seen". */
const SEEN_TIMEOUT_MS = 45_000
/** How often the observer page checks, in milliseconds. */
const POLL_MS = 5

/** The events measured, in order. */
export const PRESENCE_EVENTS = [
  'join seen after page open',
  'typing seen after first key',
  'leave seen after tab close',
  'leave seen after kill',
] as const
type PresenceEvent = (typeof PRESENCE_EVENTS)[number]

/** Median and worst of one event for one implementation, in ms (null: never seen in time). */
export interface PresenceFigure {
  implementation: 'parley' | 'stock'
  event: PresenceEvent
  trials: number
  medianMs: number | null
  worstMs: number | null
  missed: number
}

/** What a page of either implementation lets the benchmark do. */
interface Flavour {
  implementation: 'parley' | 'stock'
  url(room: string, name: string): string
  /** Prepares a new profile (e.g. a remembered name) before its page opens. */
  prepare(context: BrowserContext, name: string): Promise<void>
  /** In-page expression: number of other users shown. */
  othersExpression: string
  /** In-page expression: is someone else typing? */
  typingExpression: string
}

function parleyFlavour(siteUrl: string, signalingUrl: string): Flavour {
  const chat = "document.querySelector('parley-chat')"
  return {
    implementation: 'parley',
    url: (room) => `${siteUrl}?signaling=${encodeURIComponent(signalingUrl)}&ice=#${encodeURIComponent(room)}`,
    prepare: async (context, name) => {
      await context.addInitScript((stored) => localStorage.setItem('parley:name', stored), name)
    },
    othersExpression: `(${chat}?.shadowRoot?.querySelector('parley-members')?.members ?? []).filter(m => !m.isSelf).length`,
    typingExpression: `(${chat}?.shadowRoot?.querySelector('[role=status]')?.textContent ?? '').trim() !== ''`,
  }
}

function stockFlavour(stockUrl: string, signalingUrl: string): Flavour {
  return {
    implementation: 'stock',
    url: (room, name) =>
      `${stockUrl}?signaling=${encodeURIComponent(signalingUrl)}&room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`,
    prepare: async () => {},
    othersExpression: 'window.bench?.others() ?? 0',
    typingExpression: 'window.bench?.someoneTyping() ?? false',
  }
}

/** Resolves with the page's clock (ms since epoch) when `expression` becomes true, or null on timeout. */
export async function seenAt(page: Page, expression: string): Promise<number | null> {
  try {
    const handle = await page.waitForFunction(`(${expression}) ? Date.now() : false`, undefined, {
      polling: POLL_MS,
      timeout: SEEN_TIMEOUT_MS,
    })
    return (await handle.jsonValue()) as number
  } catch {
    return null // not seen within SEEN_TIMEOUT_MS: reported as missed
  }
}

async function openPage(browser: Browser, flavour: Flavour, room: string, name: string): Promise<Page> {
  const context = await browser.newContext()
  await flavour.prepare(context, name)
  const page = await context.newPage()
  await page.goto(flavour.url(room, name))
  return page
}

/** One trial of all four events for one implementation; returns ms per event (null: missed). */
async function trial(observerBrowser: Browser, flavour: Flavour, trialIndex: number): Promise<Map<PresenceEvent, number | null>> {
  const result = new Map<PresenceEvent, number | null>()
  const room = `bench-${flavour.implementation}-${trialIndex}-${Date.now()}`
  const observer = await openPage(observerBrowser, flavour, room, 'Observer')
  const subject = await launchKillableChromium()
  try {
    const elapsed = (started: number, seen: number | null) => (seen === null ? null : seen - started)

    // Join: from the subject's page open to the observer listing it.
    const context = await subject.browser.newContext()
    await flavour.prepare(context, 'Subject')
    const tab = await context.newPage()
    const joinSeen = seenAt(observer, `(${flavour.othersExpression}) >= 1`)
    const opened = Date.now()
    await tab.goto(flavour.url(room, 'Subject'))
    result.set('join seen after page open', elapsed(opened, await joinSeen))

    // Typing: from the first keystroke to the observer's typing indicator.
    const field = tab.getByRole('textbox', { name: 'Message' })
    await field.waitFor()
    const typingSeen = seenAt(observer, flavour.typingExpression)
    const typed = Date.now()
    await field.press('h')
    result.set('typing seen after first key', elapsed(typed, await typingSeen))

    // Tab close: the subject's browser stays, the tab goes.
    const second = await openPage(subject.browser, flavour, room, 'Subject2')
    await seenAt(observer, `(${flavour.othersExpression}) >= 2`)
    const tabGone = seenAt(observer, `(${flavour.othersExpression}) <= 1`)
    const closed = Date.now()
    await second.close({ runBeforeUnload: true })
    result.set('leave seen after tab close', elapsed(closed, await tabGone))

    // Kill: the whole browser process, no goodbye possible.
    const killGone = seenAt(observer, `(${flavour.othersExpression}) === 0`)
    const killed = Date.now()
    subject.kill()
    result.set('leave seen after kill', elapsed(killed, await killGone))
  } finally {
    await subject.browser.close().catch(() => undefined) // killed already: nothing to close
    await observer.context().close()
  }
  return result
}

function summarize(implementation: 'parley' | 'stock', trials: Array<Map<PresenceEvent, number | null>>): PresenceFigure[] {
  return PRESENCE_EVENTS.map((event) => {
    const seen = trials
      .map((t) => t.get(event) ?? null)
      .filter((ms): ms is number => ms !== null)
      .sort((a, b) => a - b)
    return {
      implementation,
      event,
      trials: trials.length,
      medianMs: seen.length === 0 ? null : seen[Math.floor((seen.length - 1) / 2)],
      worstMs: seen.length === 0 ? null : seen[seen.length - 1],
      missed: trials.length - seen.length,
    }
  })
}

/** Builds both pages, runs `trials` trials of each implementation, and returns the figures. */
export async function runPresenceBench(options: { trials?: number; stockTrials?: number } = {}): Promise<PresenceFigure[]> {
  const trials = options.trials ?? 5
  const stockTrials = options.stockTrials ?? 2
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-site-'))
  const stockDir = await mkdtemp(join(tmpdir(), 'parley-bench-stock-'))
  const running: Running[] = []
  let observerBrowser: Browser | null = null
  try {
    await build({ root, logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true } })
    await build({ root: join(root, 'bench/stock-presence'), base: './', logLevel: 'error', build: { outDir: stockDir, emptyOutDir: true } })
    const site = await serveStatic(siteDir)
    const stock = await serveStatic(stockDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, stock, signaling)
    observerBrowser = await launchChromium()
    const figures: PresenceFigure[] = []
    for (const [flavour, count] of [
      [parleyFlavour(site.url, signaling.url), trials],
      [stockFlavour(stock.url, signaling.url), stockTrials],
    ] as const) {
      const results = []
      for (let i = 0; i < count; i++) results.push(await trial(observerBrowser, flavour, i))
      figures.push(...summarize(flavour.implementation, results))
    }
    return figures
  } finally {
    await observerBrowser?.close()
    await Promise.allSettled(running.map((r) => r.close()))
    await Promise.allSettled([rm(siteDir, { recursive: true, force: true }), rm(stockDir, { recursive: true, force: true })])
  }
}

/** The figures as a table, one row per event. */
export function presenceTable(figures: PresenceFigure[]): string {
  const cell = (ms: number | null) => (ms === null ? 'not seen' : `${ms} ms`)
  const rows = PRESENCE_EVENTS.map((event) => {
    const of = (implementation: string) => figures.find((f) => f.event === event && f.implementation === implementation)
    const parley = of('parley')
    const stock = of('stock')
    return `| ${event} | ${cell(parley?.medianMs ?? null)} | ${cell(parley?.worstMs ?? null)} | ${cell(stock?.medianMs ?? null)} | ${cell(stock?.worstMs ?? null)} |`
  })
  const trials = `Parley ${figures.find((f) => f.implementation === 'parley')?.trials ?? 0} trials, stock ${figures.find((f) => f.implementation === 'stock')?.trials ?? 0}`
  return [
    `Presence (${trials})`,
    '| event | Parley median | Parley worst | stock median | stock worst |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const trialsFlag = process.argv.indexOf('--trials')
  const trials = trialsFlag > 0 ? Number(process.argv[trialsFlag + 1]) : undefined
  const figures = await runPresenceBench({ trials })
  console.log(presenceTable(figures))
  console.log(JSON.stringify({ presence: figures }))
}
