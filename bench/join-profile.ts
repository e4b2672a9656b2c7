// Where a late joiner's time goes: the phases of one join into a room of N messages, fed by a
// browser that wrote them or by a Node peer, and a CPU profile of the joiner's page.
// Run alone: npx tsx bench/join-profile.ts [--feed browser|node] [--count 10000] [--joins 1] [--save DIR]
// Each join also counts the packets lost on its link (a browser writer's transport `packetsSent`
// against the joiner's `packetsReceived`, getStats), the machine's UDP receive-buffer drops meanwhile
// (every process's), and, with a browser writer, when its transport sent packets (polled every few ms
// from the writer's page, which is idle once its answer is out): a pause there while frames are
// still due is SCTP waiting (a full window, or a lost packet's retransmission timer), not the joiner.
// `--save DIR` writes each join's CPU profiles and stamps as JSON, for reading afterwards.
// `--no-profile` takes no CPU profile (the profiler slows a fresh page's cold code down): the
// times alone, the busy figures then 0.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'
import { historyTimes, probeHistory, rememberName, seedParleyRoom, seededText } from '../test/e2e/history-harness.js'
import { seedRoomFromBrowser } from './browser-seeder.js'
import { rcvbufErrors } from './channel-throughput.js'

/** Profiler sampling interval, in µs. */
const SAMPLING_INTERVAL_US = 250
/** How long a join may take before the profile is taken anyway, in ms. */
const JOIN_TIMEOUT_MS = 60_000
/** How often the page's probe is read, in ms. */
const POLL_MS = 50
/** Data-channel messages larger than this are the history's frames, in bytes. */
const LARGE_MESSAGE_BYTES = 1024
/** Functions listed per table. */
const TOP_FUNCTIONS = 25
/** Functions listed per phase. */
const TOP_PER_PHASE = 6
/** Functions listed by inclusive time in a phase whose page was busy at least INCLUSIVE_FROM_MS. */
const TOP_INCLUSIVE_PER_PHASE = 30
const INCLUSIVE_FROM_MS = 100

/** Stamps (performance.now()) of the first and last large data-channel message the page receives, and their count. */
const FRAMES_PROBE = `(() => {
  const frames = { first: null, last: null, count: 0, at: [], verifies: [], requestAt: null }
  window.framesProbe = frames
  // Every signature check (crypto.subtle.verify) the page starts, stamped.
  const verify = SubtleCrypto.prototype.verify
  SubtleCrypto.prototype.verify = function (...args) { frames.verifies.push(performance.now()); return verify.apply(this, args) }
  const watch = (channel) => channel.addEventListener('message', (event) => {
    // The peer's own sync request (a step 1, sent unframed): the history's promise.
    if (event.data instanceof ArrayBuffer && event.data.byteLength > 1) {
      const head = new Uint8Array(event.data, 0, 2)
      if (head[0] === 0 && head[1] === 0) frames.requestAt ??= performance.now()
    }
    if ((event.data.byteLength ?? event.data.length) <= ${LARGE_MESSAGE_BYTES}) return
    frames.first ??= performance.now()
    frames.last = performance.now()
    frames.at.push(performance.now())
    frames.count++
  })
  const create = RTCPeerConnection.prototype.createDataChannel
  RTCPeerConnection.prototype.createDataChannel = function (...args) { const channel = create.apply(this, args); watch(channel); return channel }
  const Base = window.RTCPeerConnection
  window.peerConnections = []
  window.RTCPeerConnection = class extends Base { constructor (config) { super(config); window.peerConnections.push(this); this.addEventListener('datachannel', (event) => watch(event.channel)) } }
})()`

/**
 * The writer's side (performance.timeOrigin + performance.now(), one clock for both pages): when
 * a sync step 1 (`[0, 0, …]`) arrives on a data channel, and when the first and last large message
 * is handed to one.
 */
const WRITER_PROBE = `(() => {
  const writer = { step1At: null, requestSentAt: null, firstSentAt: null, lastSentAt: null, sent: [], polling: null }
  window.writerProbe = writer
  const now = () => performance.timeOrigin + performance.now()
  const Base = window.RTCPeerConnection
  window.peerConnections = []
  window.RTCPeerConnection = class extends Base { constructor (config) { super(config); window.peerConnections.push(this) } }
  // The newest link's packets sent, every few ms from a sync step 1 on, until stopped.
  const poll = async () => {
    const pc = window.peerConnections.at(-1)
    if (pc !== undefined) for (const stat of (await pc.getStats()).values()) if (stat.type === 'transport') writer.sent.push([now(), stat.packetsSent ?? 0])
    if (writer.polling !== null) writer.polling = setTimeout(poll, 2)
  }
  writer.startPolling = () => { if (writer.polling === null) { writer.polling = setTimeout(poll, 0) } }
  writer.stopPolling = () => { clearTimeout(writer.polling); writer.polling = null }
  const bytesOf = (data) => data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null
  const send = RTCDataChannel.prototype.send
  RTCDataChannel.prototype.send = function (data) {
    const bytes = bytesOf(data)
    if (bytes !== null && bytes.byteLength > ${LARGE_MESSAGE_BYTES}) { writer.firstSentAt ??= now(); writer.lastSentAt = now() }
    if (bytes !== null && bytes.byteLength > 1 && bytes[0] === 0 && bytes[1] === 0) writer.requestSentAt ??= now()
    return send.call(this, data)
  }
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage')
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    ...onmessage,
    set(handler) {
      onmessage.set.call(this, typeof handler !== 'function' ? handler : function (event) {
        const bytes = bytesOf(event.data)
        if (bytes !== null && bytes[0] === 0 && bytes[1] === 0) { writer.step1At = now(); writer.startPolling() }
        return handler.call(this, event)
      })
    },
  })
})()`

/** Whether joins are profiled (`--no-profile`: not). */
let profiling = true
/** What stands for a profile not taken. */
const NO_PROFILE: CpuProfile = { nodes: [], startTime: 0, samples: [], timeDeltas: [] }

/** How long the last packets of a join may still be under way before they are counted, in ms. */
const SETTLE_MS = 300
/** Pauses in sending, and gaps between frames, shorter than this are not listed, in ms. */
const PAUSE_MS = 50

/** Packets all of the page's peer connections' transports sent and received so far (run in the page). */
async function transportPackets(newestOnly = false): Promise<{ sent: number; received: number }> {
  let sent = 0
  let received = 0
  const all = (window as unknown as { peerConnections: RTCPeerConnection[] }).peerConnections
  for (const pc of newestOnly ? all.slice(-1) : all)
    for (const stat of (await pc.getStats()).values())
      if (stat.type === 'transport') {
        sent += stat.packetsSent ?? 0
        received += stat.packetsReceived ?? 0
      }
  return { sent, received }
}

/**
 * The writer's pauses in sending packets (polled `[at, packetsSent]`, on the writer's clock), from
 * the first frame handed over until the packets stop, as "from+length (packets before it)", on the
 * joiner's clock less its first frame.
 */
function sendPauses(
  sent: [number, number][],
  firstSentAt: number | null,
  onJoiner: (at: number | null) => number | null,
  firstFrame: number | null,
): string {
  if (firstSentAt === null || sent.length === 0) return '–'
  const last = sent.at(-1)?.[1] ?? 0
  const lastChangeAt = sent.find(([, packets]) => packets === last)?.[0] ?? 0
  const pauses: string[] = []
  let previous: [number, number] | null = null
  for (const sample of sent) {
    if (sample[0] < firstSentAt || sample[0] > lastChangeAt) continue
    if (previous !== null && sample[1] > previous[1] && sample[0] - previous[0] > PAUSE_MS)
      pauses.push(
        `${Math.round((onJoiner(previous[0]) ?? 0) - (firstFrame ?? 0))}+${Math.round(sample[0] - previous[0])} (${previous[1] - (sent[0]?.[1] ?? 0)})`,
      )
    if (previous === null || sample[1] > previous[1]) previous = sample
  }
  const span = `${sent[0]?.[1] === undefined ? 0 : last - sent[0][1]} packets, the last ${Math.round((onJoiner(lastChangeAt) ?? 0) - (firstFrame ?? 0))} ms after the first frame`
  return `${pauses.length === 0 ? 'none' : pauses.join(', ')}; ${span}`
}

/**
 * When the peer's own sync request (its state vector: the history's promise) came against the
 * history's first frame: after it, the joiner cannot tell the first parts from changes.
 */
function requestOrder(requestAt: number | null, firstFrame: number | null): string {
  if (requestAt === null) return 'not received'
  if (firstFrame === null) return 'received, no frame'
  return requestAt <= firstFrame
    ? `received ${Math.round(firstFrame - requestAt)} ms before the first frame`
    : `received ${Math.round(requestAt - firstFrame)} ms AFTER the first frame`
}

/** The page's ms not busy between `from` and `to` (its clock), or '–'. */
function idleIn(profile: CpuProfile, navigationUs: number, from: number | null, to: number | null): string {
  if (from === null || to === null) return '–'
  const { busy } = functionTimes(profile, (atUs) => (atUs - navigationUs) / 1000 >= from && (atUs - navigationUs) / 1000 < to)
  return `${Math.round(to - from - busy)}`
}

/** For each gap between two frames (the page's stamps) longer than PAUSE_MS: "at+length busy B" (ms, B the joiner's busy ms in it). */
function frameGaps(profile: CpuProfile, navigationUs: number, at: number[]): string {
  const gaps: string[] = []
  for (let i = 1; i < at.length; i++) {
    const from = at[i - 1] ?? 0
    const to = at[i] ?? 0
    if (to - from <= PAUSE_MS) continue
    const { busy } = functionTimes(profile, (atUs) => (atUs - navigationUs) / 1000 >= from && (atUs - navigationUs) / 1000 < to)
    gaps.push(`${Math.round(from - (at[0] ?? 0))}+${Math.round(to - from)} busy ${Math.round(busy)}`)
  }
  return gaps.length === 0 ? 'none' : gaps.join(', ')
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  /** Of the first sample, in µs of the browser's monotonic clock. */
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** CPU seconds the renderer processes of `browser` used so far (CDP SystemInfo; every thread, not only the main one). */
async function rendererCpuS(browser: Browser): Promise<number> {
  const session = await browser.newBrowserCDPSession()
  try {
    const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as unknown as {
      processInfo: Array<{ type: string; cpuTime: number }>
    }
    return processInfo.filter((each) => each.type === 'renderer').reduce((sum, each) => sum + each.cpuTime, 0)
  } finally {
    await session.detach()
  }
}

/** A span of a page's clock (ms since its navigation) and its name. */
interface Phase {
  name: string
  from: number | null
  to: number | null
}

/** A page's navigation start on the browser's monotonic clock, in µs: aligns a CPU profile with the page's performance.now(). */
async function navigationStartUs(session: CDPSession): Promise<number> {
  await session.send('Performance.enable')
  const { metrics } = await session.send('Performance.getMetrics')
  return (metrics.find((metric) => metric.name === 'NavigationStart')?.value ?? Number.NaN) * 1e6
}

/**
 * Per phase: the page's busy ms (samples not idle) and the functions with the most self time in it.
 * `navigationUs` places the profile's samples on the page's clock.
 */
function phaseTimes(profile: CpuProfile, navigationUs: number, phases: Phase[]): string {
  const lines: string[] = []
  for (const phase of phases) {
    const { from, to } = phase
    if (from === null || to === null) {
      lines.push(`${phase.name}: –`)
      continue
    }
    const { self, inclusive, busy } = functionTimes(
      profile,
      (atUs) => (atUs - navigationUs) / 1000 >= from && (atUs - navigationUs) / 1000 < to,
    )
    const heaviest = [...self]
      .filter(([name]) => !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP_PER_PHASE)
      .map(([name, ms]) => `${ms.toFixed(0)} ${name}`)
      .join('; ')
    lines.push(`${phase.name} (${Math.round(to - from)} ms): busy ${busy.toFixed(0)} ms; ${heaviest}`)
    if (busy >= INCLUSIVE_FROM_MS)
      lines.push(
        `  inclusive: ${[...inclusive]
          .filter(([name]) => !name.startsWith('(root)') && !name.startsWith('(idle)'))
          .sort((a, b) => b[1] - a[1])
          .slice(0, TOP_INCLUSIVE_PER_PHASE)
          .map(([name, ms]) => `${ms.toFixed(0)} ${name}`)
          .join('; ')}`,
      )
  }
  return lines.join('\n')
}

/**
 * Self and inclusive ms per function (name, file and line) over the samples of a profile taken
 * when `within` (given the sample's time on the profile's clock, in µs), and the ms of those not idle.
 */
export function functionTimes(
  profile: CpuProfile,
  within: (atUs: number) => boolean = () => true,
): { self: Map<string, number>; inclusive: Map<string, number>; busy: number } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
  const label = (node: ProfileNode) =>
    `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1}`
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let busy = 0
  let atUs = profile.startTime
  profile.samples.forEach((sample, index) => {
    atUs += profile.timeDeltas[index] ?? 0
    // A sample's weight is the time until the next one.
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000
    let node = nodes.get(sample)
    if (node === undefined || !within(atUs)) return
    if (node.callFrame.functionName !== '(idle)') busy += ms
    self.set(label(node), (self.get(label(node)) ?? 0) + ms)
    const counted = new Set<string>()
    while (node !== undefined) {
      const name = label(node)
      if (!counted.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + ms)
      counted.add(name)
      node = nodes.get(parents.get(node.id) ?? -1)
    }
  })
  return { self, inclusive, busy }
}

export function top(times: Map<string, number>): string {
  return [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_FUNCTIONS)
    .map(([name, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${name}`)
    .join('\n')
}

/** One late join into `url` in a fresh profile: its phases, and the functions its page spent time in. */
async function profiledJoin(
  browser: Browser,
  url: string,
  count: number,
  writer: Page | null,
  saveDir: string | null,
  index: number,
): Promise<string> {
  const context = await browser.newContext()
  try {
    await rememberName(context, 'Late joiner')
    await probeHistory(context, count, seededText(count - 1))
    await context.addInitScript(FRAMES_PROBE)
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    if (profiling) {
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US })
      await cdp.send('Profiler.start')
    }
    const writerCdp = writer === null ? null : await writer.context().newCDPSession(writer)
    if (writerCdp !== null) {
      await writer?.evaluate(() =>
        Object.assign((window as unknown as { writerProbe: object }).writerProbe, {
          step1At: null,
          requestSentAt: null,
          firstSentAt: null,
          lastSentAt: null,
          sent: [],
        }),
      )
      if (profiling) {
        await writerCdp.send('Profiler.enable')
        await writerCdp.send('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US })
        await writerCdp.send('Profiler.start')
      }
    }
    const dropsBefore = await rcvbufErrors()
    const joinerCpuBefore = await rendererCpuS(browser)
    const writerCpuBefore = writer === null ? null : await rendererCpuS(writer.context().browser() as Browser)
    await page.goto(url)
    const deadline = Date.now() + JOIN_TIMEOUT_MS
    let times = await historyTimes(page)
    while (times.shownAt === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      times = await historyTimes(page)
    }
    const joinerCpuS = (await rendererCpuS(browser)) - joinerCpuBefore
    const writerCpuS = writerCpuBefore === null ? null : (await rendererCpuS(writer?.context().browser() as Browser)) - writerCpuBefore
    // The last packets (acknowledgements, beats) on their way, then both ends counted.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
    const drops = (await rcvbufErrors()) - dropsBefore
    // The joiner's batches of changes: encoded for the links and the store, and parts no one wanted (none on builds before).
    const batches = await page.evaluate(
      () =>
        (
          document.querySelector('parley-chat') as unknown as {
            stats(): { changeBatches?: { encoded: number; partsSkipped: number } } | null
          }
        ).stats()?.changeBatches ?? null,
    )
    const received = await page.evaluate(transportPackets, false)
    const writerPackets = writer === null ? null : await writer.evaluate(transportPackets, true)
    await writer?.evaluate(() => (window as unknown as { writerProbe: { stopPolling(): void } }).writerProbe.stopPolling())
    const { profile } = profiling ? ((await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile }) : { profile: NO_PROFILE }
    const writerProfile =
      writerCdp === null || !profiling ? null : ((await writerCdp.send('Profiler.stop')) as unknown as { profile: CpuProfile }).profile
    const origin = await page.evaluate(() => performance.timeOrigin)
    const joinerNavigationUs = await navigationStartUs(cdp)
    const writerNavigationUs = writerCdp === null ? null : await navigationStartUs(writerCdp)
    const writerOrigin = writer === null ? null : await writer.evaluate(() => performance.timeOrigin)
    const sent =
      writer === null
        ? null
        : await writer.evaluate(
            () =>
              (
                window as unknown as {
                  writerProbe: {
                    step1At: number | null
                    requestSentAt: number | null
                    firstSentAt: number | null
                    lastSentAt: number | null
                    sent: [number, number][]
                  }
                }
              ).writerProbe,
          )
    // The writer's stamps on the joiner's clock (ms since its navigation).
    const onJoiner = (at: number | null | undefined) => (at === null || at === undefined ? null : at - origin)
    const frames = await page.evaluate(
      () =>
        (
          window as unknown as {
            framesProbe: {
              first: number | null
              last: number | null
              count: number
              at: number[]
              verifies: number[]
              requestAt: number | null
            }
          }
        ).framesProbe,
    )
    const phases: Phase[] = [
      { name: 'navigation → connected', from: 0, to: times.connectedAt },
      { name: 'connected → first frame', from: times.connectedAt, to: frames.first },
      { name: 'first → last frame', from: frames.first, to: frames.last },
      { name: 'last frame → all held', from: frames.last, to: times.heldAt },
      { name: 'held → newest drawn', from: times.heldAt, to: times.shownAt },
    ]
    // The same spans on the writer's clock (ms since its own navigation).
    const writerPhases =
      writerOrigin === null
        ? []
        : phases.map((phase) => ({
            ...phase,
            from: phase.from === null ? null : phase.from + origin - writerOrigin,
            to: phase.to === null ? null : phase.to + origin - writerOrigin,
          }))
    const ms = (from: number | null, to: number | null) => (from === null || to === null ? '–' : `${Math.round(to - from)} ms`)
    const { self, inclusive } = functionTimes(profile)
    if (saveDir !== null)
      await writeFile(
        join(saveDir, `join-${index}.json`),
        JSON.stringify({ times, frames, sent, origin, writerOrigin, joinerNavigationUs, writerNavigationUs, profile, writerProfile }),
      )
    return [
      `held ${times.held} of ${count}; connected ${ms(0, times.connectedAt)} after navigation`,
      `the peer's sync request ${requestOrder(frames.requestAt, frames.first)}`,
      `connected → first frame ${ms(times.connectedAt, frames.first)}; first → last frame ${ms(frames.first, frames.last)} (${frames.count} frames)`,
      `last frame → all held ${ms(frames.last, times.heldAt)}; held → newest drawn ${ms(times.heldAt, times.shownAt)}`,
      `signature checks started: before all held ${frames.verifies.filter((at) => at <= (times.heldAt ?? Number.POSITIVE_INFINITY)).length}, by the newest drawn ${frames.verifies.filter((at) => at <= (times.shownAt ?? Number.POSITIVE_INFINITY)).length}, in all ${frames.verifies.length}`,
      `joiner's batches of changes ${SETTLE_MS} ms after the newest drawn: ${batches === null ? '– (not counted)' : `${batches.encoded} encoded, ${batches.partsSkipped} parts no one wanted`}`,
      `connected → all held ${ms(times.connectedAt, times.heldAt)}; the joiner's page idle in it ${idleIn(profile, joinerNavigationUs, times.connectedAt, times.heldAt)} ms`,
      `renderer CPU from navigation to the newest drawn (all threads): joiner ${Math.round(joinerCpuS * 1000)} ms${writerCpuS === null ? '' : `, writer ${Math.round(writerCpuS * 1000)} ms`}`,
      `frames after the first (ms): ${frames.at.map((at) => Math.round(at - (frames.first ?? 0))).join(' ')}`,
      `packets: ${writerPackets === null ? '' : `writer's link sent ${writerPackets.sent}, `}joiner received ${received.received}${writerPackets === null ? '' : `, lost ${writerPackets.sent - received.received}`}; machine's UDP receive-buffer drops ${drops}`,
      ...(sent === null
        ? []
        : [
            `writer's packets sent, pauses over ${PAUSE_MS} ms after the first frame handed over: ${sendPauses(sent.sent, sent.firstSentAt, onJoiner, frames.first)}`,
          ]),
      `joiner busy in each gap over ${PAUSE_MS} ms between frames: ${frameGaps(profile, joinerNavigationUs, frames.at)}`,
      `Joiner, per phase:\n${phaseTimes(profile, joinerNavigationUs, phases)}`,
      ...(writerProfile === null || writerNavigationUs === null
        ? []
        : [`Writer, per phase (the joiner's spans):\n${phaseTimes(writerProfile, writerNavigationUs, writerPhases)}`]),
      ...(sent === null
        ? []
        : [
            `writer: connected → sync step 1 received ${ms(times.connectedAt, onJoiner(sent.step1At))}; its own request handed over ${ms(onJoiner(sent.step1At), onJoiner(sent.requestSentAt))} after it; → first frame handed to its channel ${ms(onJoiner(sent.step1At), onJoiner(sent.firstSentAt))}; → last ${ms(onJoiner(sent.firstSentAt), onJoiner(sent.lastSentAt))}; last handed → last received ${ms(onJoiner(sent.lastSentAt), frames.last)}`,
          ]),
      ...(writerProfile === null ? [] : [`Writer, self time during the join:\n${top(functionTimes(writerProfile).self)}`]),
      `Self time, whole join:\n${top(self)}`,
      `Inclusive time, whole join:\n${top(inclusive)}`,
    ].join('\n')
  } finally {
    await context.close()
  }
}

/** Builds the site unminified (readable profiles), seeds a room from `feed`, and profiles `joins` late joins. */
export async function runJoinProfile(options: {
  feed: 'browser' | 'node'
  count: number
  joins: number
  saveDir?: string
}): Promise<string[]> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-join-profile-'))
  const running: Running[] = []
  const browsers: Browser[] = []
  try {
    await build({ root, logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true, minify: false } })
    const site = await serveStatic(siteDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, signaling)
    const room = `join-profile-${Date.now()}`
    const url = `${site.url}?signaling=${encodeURIComponent(signaling.url)}&ice=#${encodeURIComponent(room)}`
    const reports: string[] = []
    let writerPage: Page | null = null
    if (options.feed === 'browser') {
      // The writer runs in a Chromium process of its own, as another user's browser.
      const writer = await launchChromium()
      browsers.push(writer)
      const seeder = await seedRoomFromBrowser(writer, url, options.count, [WRITER_PROBE])
      writerPage = seeder.page
      reports.push(`written by a browser in ${seeder.writeMs} ms`)
    } else {
      const seeder = await seedParleyRoom({ room, signalingUrl: signaling.url, count: options.count, rtc: 'wrtc' })
      running.push({ close: async () => seeder.close() } as Running)
    }
    const joiner = await launchChromium()
    browsers.push(joiner)
    for (let i = 0; i < options.joins; i++)
      reports.push(
        `join ${i + 1}, fed by ${options.feed}:\n${await profiledJoin(joiner, url, options.count, writerPage, options.saveDir ?? null, i + 1)}`,
      )
    return reports
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()))
    await Promise.allSettled(running.map((r) => r.close()))
    await rm(siteDir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const feed = flag('--feed') === 'node' ? 'node' : 'browser'
  profiling = !process.argv.includes('--no-profile')
  const reports = await runJoinProfile({
    feed,
    count: Number(flag('--count') ?? 10_000),
    joins: Number(flag('--joins') ?? 1),
    saveDir: flag('--save'),
  })
  console.log(reports.join('\n\n'))
  // Node's WebRTC keeps threads alive after its last connection closed.
  process.exit(0)
}
