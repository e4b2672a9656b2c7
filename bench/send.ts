// Send benchmark: from the Enter that sends a message on one browser to its text in another
// browser's log, for Parley and for a stock y-webrtc chat, through the same UI steps in one run.
// Run alone: npx tsx bench/send.ts [--messages 30] [--trace]  (--trace: stage stamps inside both pages)
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
  /** With `--trace`: the median of each stage over the timed messages, in ms (see traceStages). */
  stagesP50Ms?: Record<string, number>
}

/** What a page of either implementation lets the benchmark do. */
interface Flavour {
  implementation: 'parley' | 'stock'
  url(room: string): string
  /** In-page expression: the text of the newest message in the log ('' for none). */
  newestExpression: string
  /** In-page expression: the node whose subtree holds the log's entries (for `--trace`). */
  rootExpression: string
}

function parleyFlavour(siteUrl: string, signalingUrl: string): Flavour {
  const list = "document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list')?.shadowRoot"
  return {
    implementation: 'parley',
    url: (room) => `${siteUrl}?signaling=${encodeURIComponent(signalingUrl)}&ice=#${encodeURIComponent(room)}`,
    newestExpression: `[...(${list}?.querySelectorAll('article p') ?? [])].at(-1)?.textContent ?? ''`,
    rootExpression: list,
  }
}

function stockFlavour(stockUrl: string, signalingUrl: string): Flavour {
  return {
    implementation: 'stock',
    url: (room) => `${stockUrl}?signaling=${encodeURIComponent(signalingUrl)}&room=${encodeURIComponent(room)}`,
    newestExpression: "[...document.querySelectorAll('[role=log] p')].at(-1)?.textContent ?? ''",
    rootExpression: "document.querySelector('[role=log]')",
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

/**
 * The tracing probe (`--trace`), installed before the page loads: stamps on one clock for both
 * pages (performance.timeOrigin + performance.now(), in ms) as `sendTrace.marks`: `enter` at an
 * Enter keydown, `ev>`/`ev<` as key and input events start and finish their dispatch, `sign>`/
 * `sign<` and `verify>`/`verify<` around WebCrypto calls, `wire` for each data-channel send and
 * `msg>`/`msg<` around each data-channel message handler (with the first two bytes: `0,2` is a
 * Yjs update, `1,…` awareness), `frame` at each animation frame, and `dom` when a
 * MutationObserver on the log's root first finds the awaited text newest. `all()` adds the
 * page's own `performance.mark()`s, so a temporary mark in the code shows in the same timeline
 * (SEND_TRACE_DUMP=1 prints each send's timeline). Tracing costs the pages a little time itself.
 */
const traceScript = (newestExpression: string, rootExpression: string): string => `(() => {
  const marks = []
  const now = () => performance.timeOrigin + performance.now()
  const mark = (name) => { marks.push([name, now()]) }
  const kindOf = (data) => {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null
    return bytes === null ? typeof data : bytes[0] + ',' + bytes[1]
  }
  window.sendTrace = {
    marks,
    clear() { marks.length = 0; performance.clearMarks() },
    all() { return marks.concat(performance.getEntriesByType('mark').map((entry) => [entry.name, performance.timeOrigin + entry.startTime])).sort((a, b) => a[1] - b[1]) },
    watch(text) {
      const root = ${rootExpression}
      if (!root) return
      const observer = new MutationObserver(() => {
        if ((${newestExpression}) === text) { mark('dom'); observer.disconnect() }
      })
      observer.observe(root, { childList: true, subtree: true, characterData: true })
    },
  }
  const frame = () => { mark('frame'); requestAnimationFrame(frame) }
  requestAnimationFrame(frame)
  for (const type of ['keydown', 'keypress', 'beforeinput', 'input', 'keyup']) {
    window.addEventListener(type, () => mark('ev> ' + type), true)
    window.addEventListener(type, () => { mark('ev< ' + type); queueMicrotask(() => mark('ev<< ' + type)) })
  }
  window.addEventListener('keydown', (event) => { if (event.key === 'Enter' && !event.shiftKey) mark('enter') }, true)
  const subtle = crypto.subtle
  for (const op of ['sign', 'verify']) {
    const original = subtle[op].bind(subtle)
    subtle[op] = (...args) => {
      mark(op + '>')
      const result = original(...args)
      result.then(() => mark(op + '<'), () => mark(op + '<'))
      return result
    }
  }
  const send = RTCDataChannel.prototype.send
  RTCDataChannel.prototype.send = function (data) { mark('wire ' + kindOf(data)); return send.call(this, data) }
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage')
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    ...onmessage,
    set(handler) {
      onmessage.set.call(this, typeof handler !== 'function' ? handler : function (event) {
        const kind = kindOf(event.data)
        marks.push(['msg@ ' + kind, performance.timeOrigin + event.timeStamp])
        mark('msg> ' + kind)
        try { return handler.call(this, event) } finally { mark('msg< ' + kind) }
      })
    },
  })
})()`

async function openPage(browser: Browser, flavour: Flavour, room: string, name: string, trace: boolean): Promise<Page> {
  const context: BrowserContext = await browser.newContext()
  await context.addInitScript((stored) => localStorage.setItem('parley:name', stored), name)
  await context.addInitScript(probeScript(flavour.newestExpression))
  if (trace) await context.addInitScript(traceScript(flavour.newestExpression, flavour.rootExpression))
  const page = await context.newPage()
  await page.goto(flavour.url(room))
  await page.getByRole('textbox', { name: 'Message' }).waitFor()
  return page
}

/** Ms from Enter to the message on the wire (sender) and to `receiver` showing it (null: not seen). */
interface Timed {
  onWireMs: number | null
  seenMs: number | null
  /** With `--trace`: the stages of this send, in ms (see traceStages). */
  stages?: Record<string, number>
}

/** A page's trace stamps: name and time (ms, one clock for every page). */
type Marks = [string, number][]

interface TraceWindow {
  sendTrace: { marks: Marks; clear(): void; watch(text: string): void; all(): Marks }
}

/**
 * The stages of one send from both pages' stamps, in ms: Enter → signing starts, signing,
 * signed → the update on the wire, transit (wire → the receiver's handler starts), the
 * receiver's handler, handler end → text in the log's DOM, and the receiver's other
 * data-channel handling (count and ms) between the Enter and the update's arrival.
 */
function traceStages(enterAt: number, sent: Marks, received: Marks): Record<string, number> {
  const first = (marks: Marks, name: string, after: number) => marks.find(([n, t]) => n.startsWith(name) && t >= after)?.[1]
  const stages: Record<string, number> = {}
  const put = (name: string, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined) stages[name] = to - from
  }
  const signStart = first(sent, 'sign>', enterAt)
  const signEnd = signStart === undefined ? undefined : first(sent, 'sign<', signStart)
  const wire = first(sent, 'wire 0,2', enterAt)
  const arrived = first(received, 'msg> 0,2', enterAt)
  const handled = arrived === undefined ? undefined : first(received, 'msg< 0,2', arrived)
  const dom = first(received, 'dom', enterAt)
  const verify = arrived === undefined ? undefined : first(received, 'verify>', arrived)
  put('enter→sign', enterAt, signStart)
  put('sign', signStart, signEnd)
  put('signed→wire', signEnd, wire)
  put('enter→wire', enterAt, wire)
  put('transit', wire, arrived)
  put('handler', arrived, handled)
  put('handled→dom', handled, dom)
  put('arrived→dom', arrived, dom)
  put('arrived→verify', arrived, verify)
  put('enter→dom', enterAt, dom)
  // What else the receiver handled on its data channels before the update came in.
  let others = 0
  let othersMs = 0
  let openedAt: number | null = null
  for (const [name, t] of received) {
    if (t < enterAt || (arrived !== undefined && t >= arrived)) continue
    if (name.startsWith('msg> ')) openedAt = t
    else if (name.startsWith('msg< ') && openedAt !== null) {
      others++
      othersMs += t - openedAt
      openedAt = null
    }
  }
  stages['other msgs before'] = others
  stages['other msgs ms'] = othersMs
  return stages
}

/** Sends `text` from `sender` as a user does, and times it. */
async function timedSend(sender: Page, receiver: Page, text: string, timeoutMs: number, trace = false): Promise<Timed> {
  if (trace) {
    await sender.evaluate(() => (window as unknown as TraceWindow).sendTrace.clear())
    await receiver.evaluate((message) => {
      const probe = (window as unknown as TraceWindow).sendTrace
      probe.clear()
      probe.watch(message)
    }, text)
  }
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
  const timed: Timed = { onWireMs: onWireAt === null ? null : onWireAt - enterAt, seenMs: seenAt === null ? null : seenAt - enterAt }
  if (trace) {
    const sent = await sender.evaluate(() => (window as unknown as TraceWindow).sendTrace.all())
    const received = await receiver.evaluate(() => (window as unknown as TraceWindow).sendTrace.all())
    const enterAt = sent.find(([name]) => name === 'enter')?.[1]
    if (enterAt !== undefined) timed.stages = traceStages(enterAt, sent, received)
    if (enterAt !== undefined && process.env.SEND_TRACE_DUMP)
      console.error(
        text,
        '\n  sender:  ',
        sent.map(([n, t]) => `${n}@${(t - enterAt).toFixed(1)}`).join(' '),
        '\n  receiver:',
        received
          .filter(([, t]) => t >= enterAt - 5)
          .map(([n, t]) => `${n}@${(t - enterAt).toFixed(1)}`)
          .join(' '),
      )
  }
  return timed
}

/** One implementation: two pages in two browsers, a first message to connect, then `count` timed ones. */
async function measure(
  senderBrowser: Browser,
  receiverBrowser: Browser,
  flavour: Flavour,
  count: number,
  trace: boolean,
): Promise<SendFigure> {
  const room = `send-${flavour.implementation}-${Date.now()}`
  const receiver = await openPage(receiverBrowser, flavour, room, 'Receiver', trace)
  const sender = await openPage(senderBrowser, flavour, room, 'Sender', trace)
  try {
    // Until the pages are linked a message may sit unsent: the first one is not timed.
    if ((await timedSend(sender, receiver, 'connecting', CONNECT_TIMEOUT_MS)).seenMs === null)
      throw new Error(`${flavour.implementation}: pages never connected`)
    const times: number[] = []
    const onWire: number[] = []
    const stages = new Map<string, number[]>()
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
      const timed = await timedSend(sender, receiver, `timed message ${i} of ${flavour.implementation}`, SEEN_TIMEOUT_MS, trace)
      if (timed.seenMs !== null) times.push(timed.seenMs)
      for (const [stage, ms] of Object.entries(timed.stages ?? {})) stages.set(stage, [...(stages.get(stage) ?? []), ms])
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
      ...(trace
        ? {
            stagesP50Ms: Object.fromEntries(
              [...stages].map(([stage, values]) => [stage, Math.round((quantile(values, 0.5) ?? 0) * 10) / 10]),
            ),
          }
        : {}),
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
export async function runSendBench(options: { messages?: number; trace?: boolean } = {}): Promise<SendFigure[]> {
  const count = options.messages ?? DEFAULT_MESSAGES
  const trace = options.trace ?? false
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
      await measure(senderBrowser, receiverBrowser, parleyFlavour(site.url, signaling.url), count, trace),
      await measure(senderBrowser, receiverBrowser, stockFlavour(stock.url, signaling.url), count, trace),
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
  const figures = await runSendBench({ messages, trace: process.argv.includes('--trace') })
  console.log(sendTable(figures))
  for (const figure of figures)
    if (figure.stagesP50Ms !== undefined) console.log(`${figure.implementation} stages, p50 ms:`, figure.stagesP50Ms)
  console.log(JSON.stringify({ send: figures }))
}
