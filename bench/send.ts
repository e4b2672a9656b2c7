// Send benchmark: from the Enter that sends a message on one browser to its text in another
// browser's log, for Parley and for a stock y-webrtc chat, through the same UI steps in one run.
// Run alone: npx tsx bench/send.ts [--messages 30]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'

/** Messages timed per implementation by default (Parley's author budget lets 30 through at once). */
const DEFAULT_MESSAGES = 25
/** Pause between two messages, in ms: a person's pace, and a quiet link before each send. */
const PAUSE_MS = 300
/**
 * Pause between the typed text and the Enter, in ms: a person's last key comes well before the
 * Enter, so the typing state it sends (Parley's presence is signed, then verified and drawn by
 * the receiver) is not in flight together with the message, as it would be a few ms apart.
 */
const TYPED_TO_ENTER_MS = 150
/** How long a message may take to show before it counts as lost, in ms. */
const SEEN_TIMEOUT_MS = 10_000
/** How long the two pages may take to find each other (the first message through), in ms. */
const CONNECT_TIMEOUT_MS = 30_000

/** Send → rendered of one implementation, in ms (null where nothing arrived). */
export interface SendFigure {
  implementation: 'parley' | 'stock'
  messages: number
  delivered: number
  /** Enter → the sender's page hands the update to a data channel, median (the sending page's part). */
  onWireP50Ms: number | null
  p50Ms: number | null
  p90Ms: number | null
  maxMs: number | null
}

/** What a page of either implementation lets the benchmark do. */
interface Flavour {
  implementation: 'parley' | 'stock'
  url(room: string): string
  /** In-page expression: the text of the newest message in the log ('' for none). */
  newestExpression: string
}

function parleyFlavour(siteUrl: string, signalingUrl: string): Flavour {
  const list = "document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list')?.shadowRoot"
  return {
    implementation: 'parley',
    url: (room) => `${siteUrl}?signaling=${encodeURIComponent(signalingUrl)}&ice=#${encodeURIComponent(room)}`,
    newestExpression: `[...(${list}?.querySelectorAll('article p') ?? [])].at(-1)?.textContent ?? ''`,
  }
}

function stockFlavour(stockUrl: string, signalingUrl: string): Flavour {
  return {
    implementation: 'stock',
    url: (room) => `${stockUrl}?signaling=${encodeURIComponent(signalingUrl)}&room=${encodeURIComponent(room)}`,
    newestExpression: "[...document.querySelectorAll('[role=log] p')].at(-1)?.textContent ?? ''",
  }
}

/**
 * The in-page probe, installed before the page loads: `enterAt` is stamped (Date.now()) as an
 * Enter keydown starts, before the page handles it; `seen(text)` resolves with Date.now() when
 * the newest message in the log is `text`, checked on every frame and every timer tick.
 */
const probeScript = (newestExpression: string): string => `(() => {
  const probe = { enterAt: null, onWireAt: null }
  window.sendProbe = probe
  window.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) { probe.enterAt = Date.now(); probe.onWireAt = null }
  }, true)
  // A Yjs update as y-webrtc sends it (messageSync 0, then update 2), the first after the Enter.
  const send = RTCDataChannel.prototype.send
  RTCDataChannel.prototype.send = function (data) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null
    if (probe.enterAt !== null && probe.onWireAt === null && bytes !== null && bytes[0] === 0 && bytes[1] === 2) probe.onWireAt = Date.now()
    return send.call(this, data)
  }
  probe.seen = (text) => new Promise((resolve) => {
    let done = false
    const check = () => {
      if (done) return
      if ((${newestExpression}) === text) { done = true; clearInterval(timer); resolve(Date.now()) }
      else requestAnimationFrame(check)
    }
    const timer = setInterval(check, 1)
    check()
  })
})()`

async function openPage(browser: Browser, flavour: Flavour, room: string, name: string): Promise<Page> {
  const context: BrowserContext = await browser.newContext()
  await context.addInitScript((stored) => localStorage.setItem('parley:name', stored), name)
  await context.addInitScript(probeScript(flavour.newestExpression))
  const page = await context.newPage()
  await page.goto(flavour.url(room))
  await page.getByRole('textbox', { name: 'Message' }).waitFor()
  return page
}

/** Ms from Enter to the message on the wire (sender) and to `receiver` showing it (null: not seen). */
interface Timed {
  onWireMs: number | null
  seenMs: number | null
}

/** Sends `text` from `sender` as a user does, and times it. */
async function timedSend(sender: Page, receiver: Page, text: string, timeoutMs: number): Promise<Timed> {
  const seen = receiver.evaluate(
    ([message, ms]) =>
      Promise.race([
        (window as unknown as { sendProbe: { seen(text: string): Promise<number> } }).sendProbe.seen(message),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), ms)),
      ]),
    [text, timeoutMs] as const,
  )
  const field = sender.getByRole('textbox', { name: 'Message' })
  await field.fill(text)
  await new Promise((resolve) => setTimeout(resolve, TYPED_TO_ENTER_MS))
  await field.press('Enter')
  const seenAt = await seen
  const { enterAt, onWireAt } = await sender.evaluate(
    () => (window as unknown as { sendProbe: { enterAt: number; onWireAt: number | null } }).sendProbe,
  )
  return { onWireMs: onWireAt === null ? null : onWireAt - enterAt, seenMs: seenAt === null ? null : seenAt - enterAt }
}

/** One implementation: two pages in two browsers, a first message to connect, then `count` timed ones. */
async function measure(senderBrowser: Browser, receiverBrowser: Browser, flavour: Flavour, count: number): Promise<SendFigure> {
  const room = `send-${flavour.implementation}-${Date.now()}`
  const receiver = await openPage(receiverBrowser, flavour, room, 'Receiver')
  const sender = await openPage(senderBrowser, flavour, room, 'Sender')
  try {
    // Until the pages are linked a message may sit unsent: the first one is not timed.
    if ((await timedSend(sender, receiver, 'connecting', CONNECT_TIMEOUT_MS)).seenMs === null)
      throw new Error(`${flavour.implementation}: pages never connected`)
    const times: number[] = []
    const onWire: number[] = []
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
      const timed = await timedSend(sender, receiver, `timed message ${i} of ${flavour.implementation}`, SEEN_TIMEOUT_MS)
      if (timed.seenMs !== null) times.push(timed.seenMs)
      if (timed.onWireMs !== null) onWire.push(timed.onWireMs)
    }
    return {
      implementation: flavour.implementation,
      messages: count,
      delivered: times.length,
      onWireP50Ms: quantile(onWire, 0.5),
      p50Ms: quantile(times, 0.5),
      p90Ms: quantile(times, 0.9),
      maxMs: quantile(times, 1),
    }
  } finally {
    await Promise.allSettled([sender.context().close(), receiver.context().close()])
  }
}

/** The `q` quantile of `values` (nearest rank), or null for none. */
function quantile(values: number[], q: number): number | null {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

/** Builds the site and the stock chat, then measures Parley and stock in the same browsers. */
export async function runSendBench(options: { messages?: number } = {}): Promise<SendFigure[]> {
  const count = options.messages ?? DEFAULT_MESSAGES
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-site-'))
  const stockDir = await mkdtemp(join(tmpdir(), 'parley-bench-stock-'))
  const running: Running[] = []
  const browsers: Browser[] = []
  try {
    await build({ root, logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true } })
    await build({ root: join(root, 'bench/stock-chat'), base: './', logLevel: 'error', build: { outDir: stockDir, emptyOutDir: true } })
    const site = await serveStatic(siteDir)
    const stock = await serveStatic(stockDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, stock, signaling)
    browsers.push(await launchChromium(), await launchChromium())
    const [senderBrowser, receiverBrowser] = browsers
    return [
      await measure(senderBrowser, receiverBrowser, parleyFlavour(site.url, signaling.url), count),
      await measure(senderBrowser, receiverBrowser, stockFlavour(stock.url, signaling.url), count),
    ]
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()))
    await Promise.allSettled(running.map((r) => r.close()))
    await Promise.allSettled([rm(siteDir, { recursive: true, force: true }), rm(stockDir, { recursive: true, force: true })])
  }
}

/** The figures as a table, one row per implementation. */
export function sendTable(figures: SendFigure[]): string {
  const ms = (value: number | null) => (value === null ? '–' : `${value} ms`)
  return [
    "Send → rendered on another browser (Enter on one page to the text in the other page's log)",
    '| implementation | messages delivered | Enter → on the wire, p50 | send → rendered p50 | p90 | max |',
    '|---|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.implementation} | ${f.delivered} of ${f.messages} | ${ms(f.onWireP50Ms)} | ${ms(f.p50Ms)} | ${ms(f.p90Ms)} | ${ms(f.maxMs)} |`,
    ),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--messages')
  const messages = flag > 0 ? Number(process.argv[flag + 1]) : undefined
  const figures = await runSendBench({ messages })
  console.log(sendTable(figures))
  console.log(JSON.stringify({ send: figures }))
}
