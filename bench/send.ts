// Send benchmark: from the Enter that sends a message on one browser to its text in another
// browser's log, for Parley and for a stock y-webrtc chat, through the same UI steps in one run.
// The figure: the sender's Enter → a MutationObserver on the receiver's log finding the text, on
// both pages' fine clocks (which agree: the table gives how far, measured); beside it the figure
// of earlier sessions, whole ms to a poll (clamped to 4 ms) or frame that found it.
// Run alone: npx tsx bench/send.ts [--messages 30] [--trace] [--isolated] [--interleave] [--profile] [--baseline REV] [--history 100,10000]
//   --history N,…: Parley only (and the baseline), each timed in a room whose history a Node peer
//   wrote first (N signed messages; the pages hold them all before the first send), one room size
//   after the other; the arrival's figures beside the total: arrival → in the DOM, and the JS heap's
//   growth over it (what the arrival's task allocated, on Chromium's precise memory counter).
//   --trace: stage stamps inside both pages, and counts per send of the calls that schedule work
//   or clone templates (timers, frames, posted tasks, Lit's importNode, …); --isolated: every page
//   served cross-origin isolated, so that their clocks (and the stamps) read to 5 µs rather than
//   100; --interleave: the
//   implementations' messages take turns; --baseline REV: Parley built from git revision REV
//   measured too, interleaved; --profile: a CPU profile of each page around every timed send,
//   summed by function (self time, per send: the sender's Enter → wire, the receiver's arrival → DOM)
//   to stderr, from an unminified build (implies --trace). SEND_CHROME_TRACE=FILE.json: a Chromium
//   trace of both browsers (see chromeTracePath), and the sender's main-thread CPU after each wire
//   summed from it (see senderAfterWire).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'
import { seedParleyRoom, seededText, type Seeder } from '../test/e2e/history-harness.js'
import { exportRevision } from './revision.js'

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
/** How long a page may take to hold a seeded history (`--history`), in ms: 100,000 messages on a loaded machine. */
const HISTORY_TIMEOUT_MS = 300_000
/**
 * How long the pages may take to connect after holding a seeded history, in ms: what a page does
 * after the history's draw (storing it, keeping its answer warm) comes first on a loaded machine.
 */
const HISTORY_CONNECT_TIMEOUT_MS = 120_000
/** Pause after the pages hold a seeded history, before the first send, in ms: that work is not what is timed. */
const HISTORY_SETTLE_MS = 10_000
/** Chromium's JS heap counter to the byte rather than rounded (`--history`'s heap figure). */
const PRECISE_MEMORY_ARGS = ['--enable-precise-memory-info']
/** The headers that make a page cross-origin isolated (`--isolated`): its clock then reads to 5 µs. */
const ISOLATED_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

/**
 * SEND_CHROME_TRACE=FILE.json: a Chromium trace of each browser over the whole run (the receiver's
 * to FILE.json, the sender's to FILE-sender.json), every process and thread on one clock (the
 * machine's monotonic clock), and the probe's `probe-wire` / `probe-arrival` user-timing marks in
 * them. Task flows (`SequenceManager PostTask`, `Send mojo message`) follow an update from one thread
 * and process to the next: BENCHMARKS.md, Send, "Eighteenth session: idle receiver's transit".
 */
function chromeTracePath(): string | undefined {
  return process.env.SEND_CHROME_TRACE || undefined
}
/** What SEND_CHROME_TRACE records: tasks and where they were posted from, their flows, V8, WebRTC, marks. */
const CHROME_TRACE_CATEGORIES = [
  'toplevel',
  'toplevel.flow',
  'disabled-by-default-toplevel.flow',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'webrtc',
  'renderer.scheduler',
  'blink.user_timing',
  // SEND_CHROME_TRACE_CATEGORIES=a,b: more, e.g. disabled-by-default-devtools.timeline.invalidationTracking
  // (which node each layout and style invalidation came from, and why).
  ...(process.env.SEND_CHROME_TRACE_CATEGORIES?.split(',').filter((name) => name !== '') ?? []),
]

/**
 * The sender's time after the wire that SEND_CHROME_TRACE sums, in ms: its frame
 * after a send (the composer emptied, its own entry drawn, the typing state ended) falls in it, and
 * on one machine its CPU is taken from the receiver's wake-ups (BENCHMARKS.md, "idle receiver's transit").
 */
const AFTER_WIRE_MS = 15
/**
 * How long after each wire SEND_CHROME_TRACE counts the sender's frames, in ms: the send's own
 * (its message drawn; the scroll event and the log's tab stops; the typing end's redraw) all fall
 * within it, and the next send comes PAUSE_MS later.
 */
const SEND_FRAMES_MS = 60

/** Send → rendered of one implementation, in ms (null where nothing arrived). */
export interface SendFigure {
  /** `baseline`: Parley as built from another revision (`--baseline`), measured alongside. */
  implementation: Implementation
  /** With `--history`: the messages in the room before the timed ones. */
  history?: number
  messages: number
  delivered: number
  /** Of the delivered, how many the receiver's MutationObserver stamped (the `inDom` figures). */
  inDomTimed: number
  /** Enter → on the wire, median, on the fine clock (to 0.01 ms). */
  onWireFineP50Ms: number | null
  /** On the wire → the receiver's data-channel handler starts on it, median, fine clocks (the two pages'). */
  transitP50Ms: number | null
  /** The receiver's handler starts on the update → its text in the DOM, median, fine clock. */
  arrivalToDomP50Ms: number | null
  /**
   * With `--history`: how much the receiver's JS heap grew from the update's arrival to its text in
   * the DOM (what that task allocated, less what a collection within it freed), median and max, bytes.
   */
  arrivalHeapP50Bytes?: number | null
  arrivalHeapMaxBytes?: number | null
  /**
   * The sender's Enter → the text in the receiver's DOM, on the fine clock (to 0.01 ms): the
   * figure since the eighteenth session (see probeScript).
   */
  inDomP50Ms: number | null
  inDomP90Ms: number | null
  inDomP99Ms: number | null
  /** Enter → the sender's page hands the update to a data channel, median (the sending page's part), whole ms. */
  onWireP50Ms: number | null
  /** Send → rendered as earlier sessions measured it: whole ms, to a poll (clamped to 4 ms) or frame that found it. */
  p50Ms: number | null
  p90Ms: number | null
  p99Ms: number | null
  maxMs: number | null
  /** The sender's fine clock against the receiver's, before and after the timed messages (see clockSkew). */
  clockSkew?: [ClockSkew, ClockSkew]
  /** With `--trace`: the median of each stage over the timed messages, in ms (see traceStages). */
  stagesP50Ms?: Record<string, number>
  /** With SEND_CHROME_TRACE: the sender page's main thread after the wire (see senderAfterWire). */
  senderAfterWire?: AfterWire
  /** What each timed message added to each page, from the first timed send to after the last (see pageWeight). */
  addedPerMessage?: { sender: PageWeight; receiver: PageWeight }
}

/** A page's layout objects and DOM nodes (Chromium's own counts, after a garbage collection). */
export interface PageWeight {
  layoutObjects: number
  nodes: number
}

/**
 * A page's layout objects and live DOM nodes, by the DevTools protocol (`Performance.getMetrics`,
 * after `HeapProfiler.collectGarbage`, so that nodes no longer in the page are not counted).
 * Counts, not times: what a message adds does not depend on the machine's load.
 */
async function pageWeight(page: Page): Promise<PageWeight> {
  const session = await page.context().newCDPSession(page)
  try {
    await session.send('HeapProfiler.collectGarbage')
    await session.send('Performance.enable')
    const { metrics } = await session.send('Performance.getMetrics')
    const metric = (name: string) => metrics.find((each) => each.name === name)?.value ?? 0
    return { layoutObjects: metric('LayoutObjects'), nodes: metric('Nodes') }
  } finally {
    await session.detach()
  }
}

/** What the sender page's main thread did in the AFTER_WIRE_MS after each timed wire, from a Chromium trace. */
export interface AfterWire {
  /** Its CPU (thread time of its tasks, the part within the window), p50 and mean over the sends, ms. */
  cpuP50Ms: number
  cpuMeanMs: number
  /** Its frames' parts (animation-frame callbacks, style, layout, paint, …) started in the window, thread time per send, ms. */
  framePartsMs: Record<string, number>
  /** Its CPU by the kind of task (see taskKind), per send, ms. */
  byTaskMs: Record<string, number>
  /**
   * Its frames in the SEND_FRAMES_MS after each wire, the first, second, … after the wire, per
   * send: how many sends had one, its CPU, and the counts in it (frame callbacks, layouts, the
   * layouts' dirty objects, paints). Counts first: they do not depend on the machine's load.
   */
  frames: FrameFigure[]
}

/** One frame after the wire (the first, second, …), per send (see AfterWire.frames). */
export interface FrameFigure {
  /** Of the sends, the share that had this frame (0–1). */
  share: number
  cpuMs: number
  animationFrameCallbacks: number
  layouts: number
  layoutDirtyObjects: number
  paints: number
}

/** A Chromium trace event, as far as senderAfterWire reads it. */
interface TraceEvent {
  name?: string
  ph?: string
  pid?: number
  tid?: number
  ts: number
  dur?: number
  tdur?: number
  args?: { data?: { type?: string; functionName?: string }; beginData?: { dirtyObjects?: number } }
}

/** What a main-thread task after the wire was, from the events inside it. */
function taskKind(inside: TraceEvent[]): string {
  if (inside.some((event) => event.name !== undefined && FRAME_PARTS.includes(event.name))) return 'frame'
  const dispatch = inside.find((event) => event.name === 'EventDispatch')
  if (dispatch !== undefined) return `event ${dispatch.args?.data?.type ?? ''}`
  if (inside.some((event) => event.name === 'FireIdleCallback')) return 'idle callback'
  if (inside.some((event) => event.name === 'TimerFire')) return 'timer'
  if (inside.some((event) => event.name === 'FunctionCall' && event.args?.data?.functionName?.includes('onmessage') === true))
    return 'posted task (MessageChannel)'
  if (inside.some((event) => event.name === 'FunctionCall' || event.name === 'v8.callFunction')) return 'other JS'
  return 'no JS'
}

/** The frame's parts senderAfterWire sums. */
const FRAME_PARTS = ['FireAnimationFrame', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit']

/**
 * Per implementation, what the sender page's main thread did in the AFTER_WIRE_MS after each
 * timed wire (the first wire of a page, its connecting message, left out), from the sender
 * browser's Chromium trace: each page names itself (`probe-page NAME`) and marks its wires.
 */
export function senderAfterWire(events: TraceEvent[]): Map<string, AfterWire> {
  const pageOf = new Map<number, string>()
  const wires = new Map<number, number[]>()
  for (const event of events) {
    if (event.pid === undefined) continue
    if (event.name?.startsWith('probe-page ')) pageOf.set(event.pid, event.name.slice('probe-page '.length))
    else if (event.name === 'probe-wire') wires.set(event.pid, [...(wires.get(event.pid) ?? []), event.ts])
  }
  const figures = new Map<string, AfterWire>()
  for (const [pid, implementation] of pageOf) {
    const timed = (wires.get(pid) ?? []).sort((a, b) => a - b).slice(1)
    if (timed.length === 0) continue
    // The page's main thread: its tid is its pid.
    const main = events.filter((event) => event.pid === pid && event.tid === pid && event.ph === 'X')
    const tasks = main.filter((event) => event.name === 'RunTask')
    const cpu: number[] = []
    const parts: Record<string, number> = Object.fromEntries(FRAME_PARTS.map((name) => [name, 0]))
    const byTask: Record<string, number> = {}
    for (const wire of timed) {
      const end = wire + AFTER_WIRE_MS * 1000
      let used = 0
      for (const task of tasks) {
        const dur = task.dur ?? 0
        if (task.ts >= end || task.ts + dur <= wire) continue
        // A task across an edge counts for its part inside the window.
        const share = dur === 0 ? 1 : (Math.min(end, task.ts + dur) - Math.max(wire, task.ts)) / dur
        const ms = (task.tdur ?? dur) * share
        used += ms
        const kind =
          task.ts <= wire
            ? "the Enter's task, after the wire"
            : taskKind(main.filter((event) => event.ts >= task.ts && event.ts <= task.ts + dur && event !== task))
        byTask[kind] = (byTask[kind] ?? 0) + ms / 1000 / timed.length
      }
      cpu.push(used / 1000)
      for (const event of main)
        if (event.ts >= wire && event.ts < end && event.name !== undefined && event.name in parts)
          parts[event.name] += (event.tdur ?? event.dur ?? 0) / 1000 / timed.length
    }
    const round = (ms: number) => Math.round(ms * 100) / 100
    figures.set(implementation, {
      frames: sendFrames(main, tasks, timed).map((frame) => ({
        share: round(frame.share),
        cpuMs: round(frame.cpuMs),
        animationFrameCallbacks: round(frame.animationFrameCallbacks),
        layouts: round(frame.layouts),
        layoutDirtyObjects: round(frame.layoutDirtyObjects),
        paints: round(frame.paints),
      })),
      cpuP50Ms: round(quantile(cpu, 0.5) ?? 0),
      cpuMeanMs: round(cpu.reduce((sum, ms) => sum + ms, 0) / cpu.length),
      framePartsMs: Object.fromEntries(Object.entries(parts).map(([name, ms]) => [name, round(ms)])),
      byTaskMs: Object.fromEntries(
        Object.entries(byTask)
          .sort((a, b) => b[1] - a[1])
          .map(([kind, ms]) => [kind, round(ms)]),
      ),
    })
  }
  return figures
}

/**
 * The frames of a page's main thread (`main`, its tasks `tasks`) in the SEND_FRAMES_MS after each
 * of `wires`: a task that runs frame callbacks, a layout or a pre-paint is a frame. Per send, by
 * the frame's place after the wire.
 */
function sendFrames(main: TraceEvent[], tasks: TraceEvent[], wires: number[]): FrameFigure[] {
  const frames: FrameFigure[] = []
  for (const wire of wires) {
    let place = 0
    for (const task of tasks) {
      if (task.ts < wire || task.ts >= wire + SEND_FRAMES_MS * 1000) continue
      const end = task.ts + (task.dur ?? 0)
      const inside = main.filter((event) => event.ts >= task.ts && event.ts <= end && event !== task)
      if (!inside.some((event) => event.name === 'FireAnimationFrame' || event.name === 'Layout' || event.name === 'PrePaint')) continue
      const layouts = inside.filter((event) => event.name === 'Layout')
      frames[place] ??= { share: 0, cpuMs: 0, animationFrameCallbacks: 0, layouts: 0, layoutDirtyObjects: 0, paints: 0 }
      const frame = frames[place++]
      frame.share += 1 / wires.length
      frame.cpuMs += (task.tdur ?? task.dur ?? 0) / 1000 / wires.length
      frame.animationFrameCallbacks += inside.filter((event) => event.name === 'FireAnimationFrame').length / wires.length
      frame.layouts += layouts.length / wires.length
      frame.layoutDirtyObjects += layouts.reduce((sum, event) => sum + (event.args?.beginData?.dirtyObjects ?? 0), 0) / wires.length
      frame.paints += inside.filter((event) => event.name === 'Paint').length / wires.length
    }
  }
  return frames
}

/** Which build a figure is of. */
type Implementation = 'parley' | 'stock' | 'baseline'

/** What a page of either implementation lets the benchmark do. */
interface Flavour {
  implementation: Implementation
  url(room: string): string
  /** In-page expression: the text of the newest message in the log ('' for none). */
  newestExpression: string
  /** In-page expression: the node whose subtree holds the log's entries (for `--trace`). */
  rootExpression: string
  /** The signaling server its pages use (where `--history`'s seeder joins them). */
  signalingUrl: string
}

function parleyFlavour(siteUrl: string, signalingUrl: string, implementation: Implementation = 'parley'): Flavour {
  const list = "document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list')?.shadowRoot"
  return {
    implementation,
    url: (room) => `${siteUrl}?signaling=${encodeURIComponent(signalingUrl)}&ice=#${encodeURIComponent(room)}`,
    newestExpression: `[...(${list}?.querySelectorAll('article p') ?? [])].at(-1)?.textContent ?? ''`,
    rootExpression: list,
    signalingUrl,
  }
}

function stockFlavour(stockUrl: string, signalingUrl: string): Flavour {
  return {
    implementation: 'stock',
    url: (room) => `${stockUrl}?signaling=${encodeURIComponent(signalingUrl)}&room=${encodeURIComponent(room)}`,
    newestExpression: "[...document.querySelectorAll('[role=log] p')].at(-1)?.textContent ?? ''",
    rootExpression: "document.querySelector('[role=log]')",
    signalingUrl,
  }
}

/**
 * The in-page probe, installed before the page loads. Two clocks: `Date.now()` (whole ms) for the
 * figures of earlier sessions, and the fine clock `performance.timeOrigin + performance.now()`
 * (5 µs with `--isolated`, 100 µs without; one machine, so both browsers' read alike, which
 * `clockSkew` measures). `enterAt`/`enterAtFine` are stamped as an Enter keydown starts, before the
 * page handles it; `onWireAt`/`onWireAtFine` as the first Yjs update after it goes to a data channel.
 * `seen(text)` resolves once the newest message in the log is `text` with `polled`, Date.now() at
 * the first frame or timer tick (clamped to 4 ms) that finds it (the old figure), and `inDom`, the
 * fine clock as a MutationObserver on the log's root is first called with the text newest: stamped
 * as the callback starts, before it looks, so the probe's own query is not in the figure. The
 * observer runs at the microtask checkpoint after the change: right after a Lit render (itself a
 * microtask), after the rest of the handler's task for a chat that changes the DOM inside it (stock).
 * `updatesIn` lists when the page's data-channel handler started on each Yjs update meanwhile (the
 * fine clock; no frame loop, unlike `--trace`), so that every run splits the total at the arrival.
 */
const probeScript = (newestExpression: string, rootExpression: string, userMarks = false, implementation = ''): string => `(() => {
  if (${userMarks}) performance.mark('probe-page ${implementation}')
  const probe = { enterAt: null, enterAtFine: null, onWireAt: null, onWireAtFine: null }
  const fine = () => performance.timeOrigin + performance.now()
  const frame = window.requestAnimationFrame.bind(window)
  const every = window.setInterval.bind(window)
  const Observer = window.MutationObserver
  window.sendProbe = probe
  window.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      probe.enterAtFine = fine()
      probe.enterAt = Date.now()
      if (${userMarks}) performance.mark('probe-enter')
      probe.onWireAt = null
      probe.onWireAtFine = null
    }
  }, true)
  // A Yjs update as y-webrtc sends it (messageSync 0, then update 2), the first after the Enter.
  const send = RTCDataChannel.prototype.send
  RTCDataChannel.prototype.send = function (data) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null
    if (probe.enterAt !== null && probe.onWireAt === null && bytes !== null && bytes[0] === 0 && bytes[1] === 2) {
      probe.onWireAtFine = fine()
      probe.onWireAt = Date.now()
      if (${userMarks}) performance.mark('probe-wire')
    }
    return send.call(this, data)
  }
  // The Yjs updates data channels deliver while a send is awaited (seen() starts the list): when
  // the page's handler started on each, on the fine clock.
  let updatesIn = []
  let heapIn = []
  const heap = () => performance.memory?.usedJSHeapSize ?? null
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage')
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    ...onmessage,
    set(handler) {
      onmessage.set.call(this, typeof handler !== 'function' ? handler : function (event) {
        const data = event.data
        if (data instanceof ArrayBuffer && data.byteLength > 1) {
          const kind = new Uint8Array(data, 0, 2)
          if (kind[0] === 0 && kind[1] === 2) {
            updatesIn.push(fine())
            heapIn.push(heap())
            if (${userMarks}) performance.mark('probe-arrival')
          }
        }
        return handler.call(this, event)
      })
    },
  })
  probe.seen = (text) => new Promise((resolve) => {
    updatesIn = []
    heapIn = []
    let done = false
    let inDom = null
    let heapInDom = null
    let observer = null
    const watch = () => {
      if (observer !== null) return
      const root = ${rootExpression}
      if (!root) return
      observer = new Observer(() => {
        const at = fine()
        if (inDom === null && (${newestExpression}) === text) {
          inDom = at
          heapInDom = heap()
        }
      })
      observer.observe(root, { childList: true, subtree: true, characterData: true })
    }
    const check = () => {
      if (done) return
      watch()
      if ((${newestExpression}) === text) {
        done = true
        clearInterval(timer)
        observer?.disconnect()
        resolve({ polled: Date.now(), inDom, updatesIn, heapIn, heapInDom })
      } else frame(check)
    }
    const timer = every(check, 1)
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
 * MutationObserver on the log's root first finds the awaited text newest, and `after dom` in the
 * first task after that one (the drawing task, microtasks and all, is over). `all()` adds the
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
        if ((${newestExpression}) === text) {
          mark('dom')
          observer.disconnect()
          // A task queued once it is drawn: it runs after the drawing task and whatever else the page queued first.
          const channel = new OriginalChannel()
          channel.port1.onmessage = () => { mark('after dom'); channel.port1.close() }
          channel.port2.postMessage(null)
        }
      })
      observer.observe(root, { childList: true, subtree: true, characterData: true })
    },
  }
  // Calls that schedule work or build DOM, each stamped 'call NAME' (traceStages counts them per
  // send): timers, frames, posted tasks, microtasks, template clones (Lit's importNode), and more.
  const OriginalChannel = MessageChannel
  const rawFrame = requestAnimationFrame.bind(window)
  const counted = (object, name, self) => {
    const original = object[name]
    if (typeof original !== 'function') return
    object[name] = function (...args) { mark('call ' + name); return original.apply(self ?? this, args) }
  }
  for (const name of ['setTimeout', 'clearTimeout', 'requestAnimationFrame', 'cancelAnimationFrame', 'queueMicrotask']) counted(window, name, window)
  counted(crypto, 'getRandomValues', crypto)
  counted(MessagePort.prototype, 'postMessage')
  counted(Document.prototype, 'importNode')
  counted(TextEncoder.prototype, 'encode')
  window.MessageChannel = class extends OriginalChannel { constructor() { super(); mark('call new MessageChannel') } }
  const frame = () => { mark('frame'); rawFrame(frame) }
  rawFrame(frame)
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
  await context.addInitScript(
    probeScript(flavour.newestExpression, flavour.rootExpression, chromeTracePath() !== undefined, flavour.implementation),
  )
  if (trace) await context.addInitScript(traceScript(flavour.newestExpression, flavour.rootExpression))
  const page = await context.newPage()
  await page.goto(flavour.url(room))
  await page.getByRole('textbox', { name: 'Message' }).waitFor()
  return page
}

/** What the receiver's probe stamped for a message (see probeScript). */
interface Seen {
  /** Date.now() at the first poll or frame that found the text newest. */
  polled: number
  /** The fine clock as the log's MutationObserver first found it newest (null: not watched). */
  inDom: number | null
  /** The fine clock as the page's data-channel handler started on each Yjs update while it waited. */
  updatesIn: number[]
  /** The page's JS heap (bytes) as its handler started on each of `updatesIn` (null: no counter). */
  heapIn: (number | null)[]
  /** The page's JS heap as the MutationObserver found the text (null: not watched, or no counter). */
  heapInDom: number | null
}

/** What the sender's probe stamped for the last Enter (see probeScript). */
interface SentStamps {
  enterAt: number
  enterAtFine: number
  onWireAt: number | null
  onWireAtFine: number | null
}

/** Ms from Enter to the message on the wire (sender) and to `receiver` showing it (null: not seen). */
interface Timed {
  /** Whole ms (Date.now()), as in earlier sessions' figures. */
  onWireMs: number | null
  /** Whole ms (Date.now()) to a poll or frame that found the text newest, as in earlier sessions' figures. */
  seenMs: number | null
  /** Fine clock, Enter → on the wire. */
  onWireFineMs: number | null
  /** Fine clock, the sender's Enter → the text in the receiver's DOM (its MutationObserver). */
  inDomMs: number | null
  /** Fine clock, on the wire → the receiver's data-channel handler starts on the update. */
  transitMs: number | null
  /** Fine clock, the receiver's handler starts on the update → the text in its DOM. */
  arrivalToDomMs: number | null
  /** The receiver's JS heap growth over arrivalToDomMs, bytes (null: not measured). */
  arrivalHeapBytes: number | null
  /** With `--trace`: the stages of this send, in ms (see traceStages). */
  stages?: Record<string, number>
}

/** A page's trace stamps: name and time (ms, one clock for every page). */
type Marks = [string, number][]

interface TraceWindow {
  sendTrace: { marks: Marks; clear(): void; watch(text: string): void; all(): Marks }
}

/** The calls traceScript stamps ('call NAME'), counted per send in each window. */
const COUNTED_CALLS = [
  'setTimeout',
  'clearTimeout',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'queueMicrotask',
  'getRandomValues',
  'postMessage',
  'new MessageChannel',
  'importNode',
  'encode',
]

/**
 * The stages of one send from both pages' stamps, in ms: Enter → signing starts, signing,
 * signed → the update on the wire, transit (wire → the receiver's handler starts), the
 * receiver's handler, handler end → text in the log's DOM, arrival → the end of the task that drew
 * it (`arrived→next task`: it waits behind whatever else the page has queued, frames included), and the receiver's other
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
  const free = dom === undefined ? undefined : first(received, 'after dom', dom)
  const verify = arrived === undefined ? undefined : first(received, 'verify>', arrived)
  put('enter→sign', enterAt, signStart)
  put('sign', signStart, signEnd)
  put('signed→wire', signEnd, wire)
  put('enter→wire', enterAt, wire)
  put('transit', wire, arrived)
  put('handler', arrived, handled)
  put('handled→dom', handled, dom)
  put('arrived→dom', arrived, dom)
  put('arrived→next task', arrived, free)
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
  // Calls (see traceScript) in the sender's Enter → wire and the receiver's arrival → DOM.
  const count = (marks: Marks, label: string, from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined) return
    for (const name of COUNTED_CALLS) stages[`${label} ${name}`] = 0
    for (const [name, t] of marks)
      if (name.startsWith('call ') && t >= from && t <= to)
        stages[`${label} ${name.slice(5)}`] = (stages[`${label} ${name.slice(5)}`] ?? 0) + 1
  }
  count(sent, 'enter→wire:', enterAt, wire)
  count(received, 'arrived→dom:', arrived, dom)
  return stages
}

/**
 * A CPU profile of both pages of a session around each timed send (`--profile`, with `--trace`):
 * sampled every `PROFILE_SAMPLING_US`, and summed by function (self time) over the samples of the
 * sender's Enter → the update on the wire and the receiver's arrival → the text in its DOM.
 */
interface Profiling {
  sender: CDPSession
  receiver: CDPSession
  /**
   * Self time by function (`name url:line`), per page, in ms, over every profiled send; `afterWire`:
   * the sender's in the AFTER_WIRE_MS after the wire (its frame that draws the send).
   */
  self: { sender: Map<string, number>; afterWire: Map<string, number>; receiver: Map<string, number> }
}

/** Functions listed per page by `--profile`. */
const PROFILE_TOP = 60
/** Sampling interval of `--profile`, in µs. */
const PROFILE_SAMPLING_US = 20
/** Most time one sample stands for, in µs: a sampler that lost its core leaves a long gap to no one. */
const PROFILE_MAX_SAMPLE_US = 200
/** How long the calibrating loop runs, in ms (see calibrate). */
const CALIBRATION_MS = 3

async function startProfiling(page: Page): Promise<CDPSession> {
  const session = await page.context().newCDPSession(page)
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: PROFILE_SAMPLING_US })
  return session
}

/**
 * Runs a loop of a known name in the page from a known time on the trace's clock (ms): its first
 * sample in the profile says where the profile's clock (µs, its own origin) stands against the trace's.
 */
async function calibrate(page: Page): Promise<number> {
  // A string: tsx would wrap a named function in a helper the page lacks.
  return page.evaluate(`(() => {
    const from = performance.now()
    function parleyBenchCalibration() {
      while (performance.now() - from < ${CALIBRATION_MS}) {}
    }
    parleyBenchCalibration()
    return performance.timeOrigin + from
  })()`)
}

/** What `addSelfTimes` reads of a V8 CPU profile (CDP `Profiler.Profile`). */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]
  startTime: number
  samples?: number[]
  timeDeltas?: number[]
}

/**
 * Adds a profile's self time by function to `into` (ms), of the samples within `[from, to]` on
 * the trace's clock; `calibratedAt` is when the calibration loop started on that clock.
 */
function addSelfTimes(profile: CpuProfile, calibratedAt: number, from: number, to: number, into: Map<string, number>): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const deltas = profile.timeDeltas ?? []
  const samples = profile.samples ?? []
  const times: number[] = []
  let at = profile.startTime
  for (const delta of deltas) {
    at += delta
    times.push(at)
  }
  const first = samples.findIndex((id) => byId.get(id)?.callFrame.functionName === 'parleyBenchCalibration')
  if (first < 0) return
  // µs on the profile's clock → ms on the trace's.
  const offset = calibratedAt - times[first] / 1000
  for (let i = 0; i < samples.length; i++) {
    const t = times[i] / 1000 + offset
    if (t < from || t > to) continue
    const node = byId.get(samples[i])
    if (node === undefined) continue
    const frame = node.callFrame
    if (frame.functionName === '(idle)') continue // (program): the browser's own work, counted
    // The time until the next sample is this sample's.
    const ms = Math.min(deltas[i + 1] ?? 0, PROFILE_MAX_SAMPLE_US) / 1000
    const url = frame.url.replace(/^.*\//, '')
    const key = `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber + 1}`
    into.set(key, (into.get(key) ?? 0) + ms)
  }
}

/** Sends `text` from `sender` as a user does, and times it. */
async function timedSend(
  sender: Page,
  receiver: Page,
  text: string,
  timeoutMs: number,
  trace = false,
  profiling?: Profiling,
): Promise<Timed> {
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
        (window as unknown as { sendProbe: { seen(text: string): Promise<Seen> } }).sendProbe.seen(message),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), ms)),
      ]),
    [text, timeoutMs] as const,
  )
  const field = sender.getByRole('textbox', { name: 'Message' })
  await field.fill(text)
  await new Promise((resolve) => setTimeout(resolve, TYPED_TO_ENTER_MS))
  let calibratedAt: [number, number] | null = null
  if (profiling !== undefined) {
    await Promise.all([profiling.sender.send('Profiler.start'), profiling.receiver.send('Profiler.start')])
    calibratedAt = [await calibrate(sender), await calibrate(receiver)]
  }
  await field.press('Enter')
  const seenAt = await seen
  const profiles =
    profiling === undefined ? null : await Promise.all([profiling.sender.send('Profiler.stop'), profiling.receiver.send('Profiler.stop')])
  const { enterAt, enterAtFine, onWireAt, onWireAtFine } = await sender.evaluate(() => {
    const { enterAt, enterAtFine, onWireAt, onWireAtFine } = (window as unknown as { sendProbe: SentStamps }).sendProbe
    return { enterAt, enterAtFine, onWireAt, onWireAtFine }
  })
  const timed: Timed = {
    onWireMs: onWireAt === null ? null : onWireAt - enterAt,
    seenMs: seenAt === null ? null : seenAt.polled - enterAt,
    onWireFineMs: onWireAtFine === null ? null : onWireAtFine - enterAtFine,
    inDomMs: seenAt?.inDom == null ? null : seenAt.inDom - enterAtFine,
    transitMs: null,
    arrivalToDomMs: null,
    arrivalHeapBytes: null,
  }
  // The update that brought it: the first the receiver's handler started on after it left.
  const arrival = onWireAtFine === null ? -1 : (seenAt?.updatesIn.findIndex((at) => at >= onWireAtFine) ?? -1)
  if (arrival >= 0 && seenAt !== null && onWireAtFine !== null) {
    const arrivedAt = seenAt.updatesIn[arrival]
    timed.transitMs = arrivedAt - onWireAtFine
    if (seenAt.inDom != null) timed.arrivalToDomMs = seenAt.inDom - arrivedAt
    const heapAtArrival = seenAt.heapIn[arrival]
    if (seenAt.heapInDom != null && heapAtArrival != null) timed.arrivalHeapBytes = seenAt.heapInDom - heapAtArrival
  }
  if (trace) {
    const sent = await sender.evaluate(() => (window as unknown as TraceWindow).sendTrace.all())
    const received = await receiver.evaluate(() => (window as unknown as TraceWindow).sendTrace.all())
    const enterAt = sent.find(([name]) => name === 'enter')?.[1]
    if (enterAt !== undefined) timed.stages = traceStages(enterAt, sent, received)
    if (enterAt !== undefined && profiling !== undefined && profiles !== null && calibratedAt !== null) {
      const wire = sent.find(([name, t]) => name === 'wire 0,2' && t >= enterAt)?.[1]
      const arrived = received.find(([name, t]) => name === 'msg> 0,2' && t >= enterAt)?.[1]
      const dom = received.find(([name, t]) => name === 'dom' && t >= enterAt)?.[1]
      if (wire !== undefined) addSelfTimes(profiles[0].profile, calibratedAt[0], enterAt, wire, profiling.self.sender)
      if (wire !== undefined) addSelfTimes(profiles[0].profile, calibratedAt[0], wire, wire + AFTER_WIRE_MS, profiling.self.afterWire)
      if (arrived !== undefined && dom !== undefined)
        addSelfTimes(profiles[1].profile, calibratedAt[1], arrived, dom, profiling.self.receiver)
    }
    if (enterAt !== undefined && process.env.SEND_TRACE_DUMP)
      console.error(
        text,
        '\n  sender:  ',
        sent.map(([n, t]) => `${n}@${(t - enterAt).toFixed(2)}`).join(' '),
        '\n  receiver:',
        received
          .filter(([, t]) => t >= enterAt - 5)
          .map(([n, t]) => `${n}@${(t - enterAt).toFixed(2)}`)
          .join(' '),
      )
  }
  return timed
}

/** One implementation's two pages in a room of their own, and what its timed sends measured. */
interface Session {
  flavour: Flavour
  sender: Page
  receiver: Page
  times: number[]
  onWire: number[]
  inDom: number[]
  onWireFine: number[]
  transit: number[]
  arrivalToDom: number[]
  arrivalHeap: number[]
  stages: Map<string, number[]>
  /** With `--profile`, of Parley's pages. */
  profiling?: Profiling
  /** With `--history`: the messages in the room before the timed ones. */
  history: number
}

/** Round trips per page when `clockSkew` compares the pages' fine clocks. */
const CLOCK_SAMPLES = 100

/** How far the sender's fine clock reads ahead of the receiver's, in ms, and the most that reading can be off by. */
export interface ClockSkew {
  skewMs: number
  boundMs: number
}

/**
 * The two pages' fine clocks (`performance.timeOrigin + performance.now()`, each in its own
 * browser process) against each other, through this process's: each page is asked its clock
 * `CLOCK_SAMPLES` times, and the quickest round trip says where it stands against this process's
 * clock, to within half that round trip. A page's time in the DOM less the other's Enter is off
 * by the skew.
 */
async function clockSkew(sender: Page, receiver: Page): Promise<ClockSkew> {
  const here = () => performance.timeOrigin + performance.now()
  const offsetOf = async (page: Page) => {
    // The DevTools protocol straight to the page: Playwright's own evaluate adds to each round trip.
    const session = await page.context().newCDPSession(page)
    try {
      let best = { offset: 0, halfTrip: Infinity }
      for (let i = 0; i < CLOCK_SAMPLES; i++) {
        const before = here()
        const { result } = (await session.send('Runtime.evaluate', {
          expression: 'performance.timeOrigin + performance.now()',
          returnByValue: true,
        })) as { result: { value: number } }
        const after = here()
        if ((after - before) / 2 < best.halfTrip) best = { offset: result.value - (before + after) / 2, halfTrip: (after - before) / 2 }
      }
      return best
    } finally {
      await session.detach()
    }
  }
  const sent = await offsetOf(sender)
  const received = await offsetOf(receiver)
  const round = (ms: number) => Math.round(ms * 1000) / 1000
  return { skewMs: round(sent.offset - received.offset), boundMs: round(sent.halfTrip + received.halfTrip) }
}

/** Opens a flavour's two pages, one in each browser, and sends a first message to connect them. */
async function openSession(
  senderBrowser: Browser,
  receiverBrowser: Browser,
  flavour: Flavour,
  trace: boolean,
  profile = false,
  history = 0,
): Promise<Session> {
  const room = `send-${flavour.implementation}-${history}-${Date.now()}`
  const seeder = history > 0 ? await seedParleyRoom({ room, signalingUrl: flavour.signalingUrl, count: history }) : null
  let receiver: Page
  let sender: Page
  try {
    receiver = await openPage(receiverBrowser, flavour, room, 'Receiver', trace)
    sender = await openPage(senderBrowser, flavour, room, 'Sender', trace)
    if (seeder !== null) await holdHistory([receiver, sender], flavour, history, seeder)
  } finally {
    // The pages hold the history (and feed each other from here): the timed arrivals meet two peers.
    seeder?.close()
  }
  const session: Session = {
    flavour,
    sender,
    receiver,
    times: [],
    onWire: [],
    inDom: [],
    onWireFine: [],
    transit: [],
    arrivalToDom: [],
    arrivalHeap: [],
    stages: new Map(),
    history,
  }
  if (history > 0) await new Promise((resolve) => setTimeout(resolve, HISTORY_SETTLE_MS))
  // Until the pages are linked a message may sit unsent: the first one is not timed.
  const connectMs = history > 0 ? HISTORY_CONNECT_TIMEOUT_MS : CONNECT_TIMEOUT_MS
  if ((await timedSend(sender, receiver, 'connecting', connectMs)).seenMs === null) {
    await closeSession(session)
    throw new Error(`${flavour.implementation}: pages never connected`)
  }
  if (profile)
    session.profiling = {
      sender: await startProfiling(sender),
      receiver: await startProfiling(receiver),
      self: { sender: new Map(), afterWire: new Map(), receiver: new Map() },
    }
  return session
}

/** Waits until each page's log shows the seeder's newest message (of `count`) newest, that is holds the history. */
async function holdHistory(pages: Page[], flavour: Flavour, count: number, seeder: Seeder): Promise<void> {
  // Long texts (every 1000th) may be cut short in the log: their start is enough.
  const start = JSON.stringify(seededText(count - 1).slice(0, 24))
  const started = Date.now()
  await Promise.all(
    pages.map((page) =>
      page.waitForFunction(`(${flavour.newestExpression}).startsWith(${start})`, null, { timeout: HISTORY_TIMEOUT_MS, polling: 100 }),
    ),
  )
  console.error(`${flavour.implementation}: ${count} messages (${seeder.docBytes} bytes) held by both pages in ${Date.now() - started} ms`)
}

async function closeSession(session: Session): Promise<void> {
  await Promise.allSettled([session.sender.context().close(), session.receiver.context().close()])
}

/** Times message `index` of a session, after a person's pause. */
async function timeOne(session: Session, index: number, trace: boolean): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
  const { sender, receiver, flavour, stages } = session
  const timed = await timedSend(
    sender,
    receiver,
    `timed message ${index} of ${flavour.implementation}`,
    SEEN_TIMEOUT_MS,
    trace,
    session.profiling,
  )
  if (timed.seenMs !== null) session.times.push(timed.seenMs)
  if (timed.onWireMs !== null) session.onWire.push(timed.onWireMs)
  if (timed.inDomMs !== null) session.inDom.push(timed.inDomMs)
  if (timed.onWireFineMs !== null) session.onWireFine.push(timed.onWireFineMs)
  if (timed.transitMs !== null) session.transit.push(timed.transitMs)
  if (timed.arrivalToDomMs !== null) session.arrivalToDom.push(timed.arrivalToDomMs)
  if (timed.arrivalHeapBytes !== null) session.arrivalHeap.push(timed.arrivalHeapBytes)
  for (const [stage, ms] of Object.entries(timed.stages ?? {})) stages.set(stage, [...(stages.get(stage) ?? []), ms])
}

/** A session's figures over `count` timed messages. */
function figureOf(session: Session, count: number, trace: boolean): SendFigure {
  const { times, onWire, inDom, onWireFine, transit, arrivalToDom, arrivalHeap, stages } = session
  const fine = (q: number, values = inDom) => {
    const value = quantile(values, q)
    return value === null ? null : Math.round(value * 100) / 100
  }
  return {
    implementation: session.flavour.implementation,
    ...(session.history > 0
      ? { history: session.history, arrivalHeapP50Bytes: quantile(arrivalHeap, 0.5), arrivalHeapMaxBytes: quantile(arrivalHeap, 1) }
      : {}),
    messages: count,
    delivered: times.length,
    inDomTimed: inDom.length,
    onWireFineP50Ms: fine(0.5, onWireFine),
    transitP50Ms: fine(0.5, transit),
    arrivalToDomP50Ms: fine(0.5, arrivalToDom),
    inDomP50Ms: fine(0.5),
    inDomP90Ms: fine(0.9),
    inDomP99Ms: fine(0.99),
    onWireP50Ms: quantile(onWire, 0.5),
    p50Ms: quantile(times, 0.5),
    p90Ms: quantile(times, 0.9),
    p99Ms: quantile(times, 0.99),
    maxMs: quantile(times, 1),
    ...(trace
      ? {
          stagesP50Ms: Object.fromEntries(
            [...stages].map(([stage, values]) => [stage, Math.round((quantile(values, 0.5) ?? 0) * 10) / 10]),
          ),
        }
      : {}),
  }
}

/**
 * Each implementation in turn, `count` timed messages each. With `interleaved`, every flavour's
 * pages are open at once and the messages take turns (one of each, then the next), so that a
 * machine whose load changes by the minute weighs on every flavour alike.
 */
async function measure(
  senderBrowser: Browser,
  receiverBrowser: Browser,
  flavours: Flavour[],
  count: number,
  trace: boolean,
  interleaved: boolean,
  profile = false,
  history = 0,
): Promise<SendFigure[]> {
  if (!interleaved) {
    const figures: SendFigure[] = []
    for (const flavour of flavours)
      figures.push(...(await measure(senderBrowser, receiverBrowser, [flavour], count, trace, true, profile, history)))
    return figures
  }
  const sessions: Session[] = []
  try {
    for (const flavour of flavours) sessions.push(await openSession(senderBrowser, receiverBrowser, flavour, trace, profile, history))
    // One page at a time: round trips asked together would wait on each other.
    const skews = async () => {
      const measured: ClockSkew[] = []
      for (const session of sessions) measured.push(await clockSkew(session.sender, session.receiver))
      return measured
    }
    const skewBefore = await skews()
    const weigh = () => Promise.all(sessions.map(async (session) => [await pageWeight(session.sender), await pageWeight(session.receiver)]))
    const weightBefore = await weigh()
    for (let i = 0; i < count; i++) for (const session of sessions) await timeOne(session, i, trace)
    const skewAfter = await skews()
    // The last message's later frames (its scroll, the typing end's redraw) are long done by now.
    const weightAfter = await weigh()
    const added = (i: number, side: 0 | 1): PageWeight => ({
      layoutObjects: Math.round(((weightAfter[i][side].layoutObjects - weightBefore[i][side].layoutObjects) / count) * 100) / 100,
      nodes: Math.round(((weightAfter[i][side].nodes - weightBefore[i][side].nodes) / count) * 100) / 100,
    })
    for (const session of sessions)
      if (session.profiling !== undefined) printProfile(session.flavour.implementation, session.profiling, count)
    return sessions.map((session, i) => ({
      ...figureOf(session, count, trace),
      clockSkew: [skewBefore[i], skewAfter[i]],
      addedPerMessage: { sender: added(i, 0), receiver: added(i, 1) },
    }))
  } finally {
    await Promise.allSettled(sessions.map(closeSession))
  }
}

/** The functions that took the most self time per send, on each page (`--profile`), to stderr. */
function printProfile(implementation: Implementation, profiling: Profiling, count: number): void {
  const windows = {
    sender: 'Enter → on the wire',
    afterWire: `the ${AFTER_WIRE_MS} ms after the wire`,
    receiver: 'arrival → text in the DOM',
  }
  for (const page of ['sender', 'afterWire', 'receiver'] as const) {
    const top = [...profiling.self[page]].sort((a, b) => b[1] - a[1]).slice(0, PROFILE_TOP)
    const total = [...profiling.self[page].values()].reduce((sum, ms) => sum + ms, 0)
    const window = windows[page]
    console.error(
      `${implementation} ${page === 'receiver' ? 'receiver' : 'sender'}: ${(total / count).toFixed(3)} ms of CPU per send (${window}), self time by function:`,
    )
    for (const [name, ms] of top) console.error(`  ${(ms / count).toFixed(3)}  ${name}`)
  }
}

/** The `q` quantile of `values` (nearest rank), or null for none. */
function quantile(values: number[], q: number): number | null {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

/** What a run measures. */
export interface SendBenchOptions {
  /** Timed messages per implementation. */
  messages?: number
  /** Stamp the stages inside the pages (see traceScript). */
  trace?: boolean
  /** Let the implementations' messages take turns instead of running one after the other. */
  interleave?: boolean
  /** A git revision whose Parley is built and measured too, as `baseline` (implies interleave). */
  baseline?: string
  /** Serve every page cross-origin isolated (finer clocks for `trace`). */
  isolated?: boolean
  /** CPU-profile every page around each timed send; the site built unminified (names readable). */
  profile?: boolean
  /** Room sizes: Parley (and the baseline) timed in a room of each, its history written first by a Node peer; no stock chat. */
  history?: number[]
}

/** Builds the site and the stock chat (and a baseline's site), then measures them in the same browsers. */
export async function runSendBench(options: SendBenchOptions = {}): Promise<SendFigure[]> {
  const count = options.messages ?? DEFAULT_MESSAGES
  const trace = options.trace ?? false
  const baseline = options.baseline
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-site-'))
  const stockDir = await mkdtemp(join(tmpdir(), 'parley-bench-stock-'))
  const baselineRoot = await mkdtemp(join(tmpdir(), 'parley-bench-baseline-'))
  const baselineDir = join(baselineRoot, 'dist')
  const running: Running[] = []
  const browsers: Browser[] = []
  try {
    const minify = options.profile !== true
    await build({ root, logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true, minify } })
    await build({ root: join(root, 'bench/stock-chat'), base: './', logLevel: 'error', build: { outDir: stockDir, emptyOutDir: true } })
    if (baseline !== undefined) {
      const source = join(baselineRoot, 'source')
      await mkdir(source)
      await exportRevision(root, baseline, source)
      await build({ root: source, logLevel: 'error', build: { outDir: baselineDir, emptyOutDir: true, minify } })
    }
    const headers = options.isolated === true ? ISOLATED_HEADERS : {}
    const site = await serveStatic(siteDir, '/', headers)
    const stock = await serveStatic(stockDir, '/', headers)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, stock, signaling)
    const history = options.history ?? []
    // A stock chat has no seeded history to meet: with --history Parley is measured alone (and its baseline).
    const flavours = [parleyFlavour(site.url, signaling.url), ...(history.length > 0 ? [] : [stockFlavour(stock.url, signaling.url)])]
    if (baseline !== undefined) {
      const old = await serveStatic(baselineDir, '/', headers)
      running.push(old)
      flavours.splice(1, 0, parleyFlavour(old.url, signaling.url, 'baseline'))
    }
    const args = history.length > 0 ? PRECISE_MEMORY_ARGS : []
    browsers.push(await launchChromium(args), await launchChromium(args))
    const [senderBrowser, receiverBrowser] = browsers
    const interleave = (options.interleave ?? false) || baseline !== undefined
    if (history.length > 0) {
      const figures: SendFigure[] = []
      for (const size of history) {
        const sized = await measure(senderBrowser, receiverBrowser, flavours, count, trace, interleave, options.profile === true, size)
        // Each size as it is done: a later one that fails (on a loaded machine) leaves these standing.
        console.error(sendTable(sized))
        figures.push(...sized)
      }
      return figures
    }
    const chromeTrace = chromeTracePath()
    if (chromeTrace !== undefined) {
      await receiverBrowser.startTracing(undefined, { path: chromeTrace, categories: CHROME_TRACE_CATEGORIES })
      await senderBrowser.startTracing(undefined, {
        path: chromeTrace.replace(/\.json$/, '') + '-sender.json',
        categories: CHROME_TRACE_CATEGORIES,
      })
      let figures: SendFigure[]
      try {
        figures = await measure(senderBrowser, receiverBrowser, flavours, count, trace, interleave, options.profile === true)
      } finally {
        await receiverBrowser.stopTracing()
        await senderBrowser.stopTracing()
      }
      const traced = JSON.parse(await readFile(chromeTrace.replace(/\.json$/, '') + '-sender.json', 'utf8')) as
        | TraceEvent[]
        | { traceEvents: TraceEvent[] }
      const afterWire = senderAfterWire(Array.isArray(traced) ? traced : traced.traceEvents)
      return figures.map((figure) => ({ ...figure, senderAfterWire: afterWire.get(figure.implementation) }))
    }
    return await measure(senderBrowser, receiverBrowser, flavours, count, trace, interleave, options.profile === true)
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()))
    await Promise.allSettled(running.map((r) => r.close()))
    await Promise.allSettled([siteDir, stockDir, baselineRoot].map((dir) => rm(dir, { recursive: true, force: true })))
  }
}

/** The figures as a table, one row per implementation. */
export function sendTable(figures: SendFigure[]): string {
  const ms = (value: number | null) => (value === null ? '–' : `${value} ms`)
  const kb = (bytes: number | null | undefined) => (bytes == null ? '–' : `${(bytes / 1024).toFixed(1)} KiB`)
  const fine = (value: number | null) => (value === null ? '–' : `${value.toFixed(2)} ms`)
  const skew = (f: SendFigure) =>
    f.clockSkew === undefined ? '–' : f.clockSkew.map(({ skewMs, boundMs }) => `${skewMs.toFixed(3)} ± ${boundMs.toFixed(3)}`).join(' → ')
  return [
    "Send → rendered on another browser (Enter on one page to the text in the other page's log)",
    'In the DOM: fine clocks, the text stamped by a MutationObserver (since the eighteenth session).',
    'Seen at a poll: whole ms, polls clamped to 4 ms and frames (the figure of earlier sessions).',
    '| implementation | delivered (in the DOM stamped) | Enter → on the wire p50 | wire → arrival p50 | arrival → in the DOM p50 | in the DOM p50 | p90 | p99 | seen at a poll p50 | p90 | p99 | max | sender clock − receiver clock, before → after (ms) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...figures.map(
      (f) =>
        `| ${f.implementation}${f.history === undefined ? '' : `, ${f.history.toLocaleString('en')} in the room`} | ${f.delivered} of ${f.messages} (${f.inDomTimed}) | ${fine(f.onWireFineP50Ms)} | ${fine(f.transitP50Ms)} | ${fine(f.arrivalToDomP50Ms)} | ${fine(f.inDomP50Ms)} | ${fine(f.inDomP90Ms)} | ${fine(f.inDomP99Ms)} | ${ms(f.p50Ms)} | ${ms(f.p90Ms)} | ${ms(f.p99Ms)} | ${ms(f.maxMs)} | ${skew(f)} |`,
    ),
    ...(figures.some((f) => f.history !== undefined)
      ? [
          '',
          "The receiver's JS heap growth from the update's arrival to its text in the DOM (what the arrival's task allocated, less what a collection in it freed):",
          '| implementation | messages in the room | heap growth p50 | max |',
          '|---|---|---|---|',
          ...figures.map(
            (f) =>
              `| ${f.implementation} | ${f.history?.toLocaleString('en') ?? '–'} | ${kb(f.arrivalHeapP50Bytes)} | ${kb(f.arrivalHeapMaxBytes)} |`,
          ),
        ]
      : []),
    '',
    'Added per timed message (layout objects / DOM nodes, by Performance.getMetrics after a garbage collection):',
    '| implementation | sender | receiver |',
    '|---|---|---|',
    ...figures.map((f) => {
      const weight = (w: PageWeight | undefined) => (w === undefined ? '–' : `${w.layoutObjects} / ${w.nodes}`)
      return `| ${f.implementation} | ${weight(f.addedPerMessage?.sender)} | ${weight(f.addedPerMessage?.receiver)} |`
    }),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--messages')
  const messages = flag > 0 ? Number(process.argv[flag + 1]) : undefined
  const baselineFlag = process.argv.indexOf('--baseline')
  const historyFlag = process.argv.indexOf('--history')
  const figures = await runSendBench({
    messages,
    trace: process.argv.includes('--trace') || process.argv.includes('--profile'),
    isolated: process.argv.includes('--isolated'),
    interleave: process.argv.includes('--interleave'),
    profile: process.argv.includes('--profile'),
    baseline: baselineFlag > 0 ? process.argv[baselineFlag + 1] : undefined,
    history: historyFlag > 0 ? process.argv[historyFlag + 1].split(',').map(Number) : undefined,
  })
  console.log(sendTable(figures))
  for (const figure of figures)
    if (figure.stagesP50Ms !== undefined) console.log(`${figure.implementation} stages, p50 ms:`, figure.stagesP50Ms)
  for (const figure of figures) {
    if (figure.senderAfterWire === undefined) continue
    const { frames, ...afterWire } = figure.senderAfterWire
    console.log(`${figure.implementation} sender's main thread in the ${AFTER_WIRE_MS} ms after the wire (Chromium trace), ms:`, afterWire)
    console.log(`${figure.implementation} sender's frames in the ${SEND_FRAMES_MS} ms after the wire, per send (first, second, …):`)
    console.table(frames)
  }
  console.log(JSON.stringify({ send: figures }))
  // A --history seeder's WebRTC library (node-datachannel) keeps the process alive after its room closed.
  process.exit(0)
}
