// How fast one RTCDataChannel carries a late joiner's history between two Chromium processes,
// with no Parley code in the way: the baseline for the "on the wire" span of the history bench.
// Run alone: npx tsx bench/channel-throughput.ts [--bytes 1800000] [--trials 3] [--sizes 16384,65536,262144]
//   [--fresh | --compare] [--side-channels] [--modes burst,paced,drained,rate] [--rate 8] [--window 49152]
// Senders: `burst` hands every message over at once; `paced` keeps the channel's buffer between
// 256 KiB and 1 MiB; `drained` hands the next message over once the buffer is empty; `rate` hands
// messages over at --rate MB/s (a token bucket checked every few ms); `acked` keeps at most
// --window bytes handed over that the receiver's page has not acknowledged (a byte back per message).
// `--compare` alternates a fresh connection and a warm one (the same pair, used once before)
// trial after trial. Each trial also counts the packets lost between the two (the sender's
// transport `packetsSent` against the receiver's `packetsReceived`, from getStats), the
// machine's UDP receive-buffer drops (`RcvbufErrors` in /proc/net/snmp, every process's), and
// the longest gap between two messages received: a lost packet that no later one reveals waits
// for the SCTP retransmission timer (at least 400 ms in Chromium's dcSCTP).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'

/** Bytes sent per trial: the 10,000-message history's compact records on the wire. */
const DEFAULT_TOTAL_BYTES = 1_800_000
/** Message sizes tried, in bytes (Parley's frames are 64 KiB). */
const DEFAULT_MESSAGE_SIZES = [16 * 1024, 64 * 1024, 256 * 1024 - 1024]
/** Buffer level the paced sender waits for before it sends more, in bytes. */
const PACED_LOW_WATER_BYTES = 256 * 1024
/** Buffer level above which the paced sender stops, in bytes. */
const PACED_HIGH_WATER_BYTES = 1024 * 1024
/** MB/s of the `rate` sender unless told. */
const DEFAULT_RATE_MBPS = 8
/** Bytes the `acked` sender may have unacknowledged unless told. */
const DEFAULT_WINDOW_BYTES = 48 * 1024
/** How the `rate` and `acked` senders pace. */
interface Pace {
  rateMBps: number
  windowBytes: number
}
/** How long one trial may take, in ms. */
const TRIAL_TIMEOUT_MS = 30_000

/** How the sender hands its messages to the channel. */
type SendMode = 'burst' | 'paced' | 'drained' | 'rate' | 'acked'
/** Whether the trial's connection is new or was used before. */
type Link = 'fresh' | 'warm'

/** One trial's figures. */
export interface ThroughputTrial {
  mode: SendMode
  link: Link
  messageBytes: number
  messages: number
  /** From the first send call to the last message received, in ms. */
  totalMs: number
  /** From the first message received to the last, in ms. */
  spreadMs: number
  megabytesPerSecond: number
  /** The longest wait between two messages received (or before the first), in ms. */
  longestGapMs: number
  /** Packets the sender's transport sent that the receiver's did not receive, in the sending direction. */
  lostPackets: number
  /** The same in the other direction (acknowledgements). */
  lostBackPackets: number
  /** UDP datagrams the machine dropped for a full receive buffer during the trial (all processes). */
  rcvbufErrors: number
}

/**
 * The page-side code, as a string (evaluated in both pages): a peer connection with one data
 * channel as simple-peer creates it (ordered, reliable), and with `sideChannels` the two
 * negotiated channels Parley adds (liveness beats every 500 ms).
 */
const PAGE_CODE = `
window.bench = {
  async offer(sideChannels) {
    const pc = new RTCPeerConnection({ iceServers: [] })
    window.pc = pc
    window.channel = pc.createDataChannel('data')
    window.channel.binaryType = 'arraybuffer'
    if (sideChannels) window.sides = bench.sides(pc)
    await pc.setLocalDescription(await pc.createOffer())
    await bench.gathered(pc)
    return pc.localDescription.toJSON()
  },
  async answer(offer, sideChannels) {
    const pc = new RTCPeerConnection({ iceServers: [] })
    window.pc = pc
    if (sideChannels) window.sides = bench.sides(pc)
    window.channelReady = new Promise((resolve) => pc.addEventListener('datachannel', (event) => {
      window.channel = event.channel
      window.channel.binaryType = 'arraybuffer'
      resolve()
    }))
    await pc.setRemoteDescription(offer)
    await pc.setLocalDescription(await pc.createAnswer())
    await bench.gathered(pc)
    return pc.localDescription.toJSON()
  },
  sides(pc) {
    const liveness = pc.createDataChannel('liveness', { negotiated: true, id: 500 })
    const framing = pc.createDataChannel('framing', { negotiated: true, id: 501 })
    liveness.onopen = () => setInterval(() => liveness.readyState === 'open' && liveness.send(new Uint8Array([1, 2, 3, 4])), 500)
    return [liveness, framing]
  },
  gathered(pc) {
    return pc.iceGatheringState === 'complete' ? Promise.resolve() : new Promise((resolve) =>
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()))
  },
  async open() {
    if (window.channelReady) await window.channelReady
    if (window.channel.readyState !== 'open') await new Promise((resolve) => window.channel.addEventListener('open', resolve, { once: true }))
  },
  receive(expected, ack) {
    window.ackReceived = ack
    const stamps = { first: null, last: null, count: 0, bytes: 0, at: [] }
    window.received = stamps
    window.channel.onmessage = (event) => {
      const now = performance.timeOrigin + performance.now()
      stamps.first ??= now
      stamps.last = now
      stamps.at.push(now)
      stamps.count++
      stamps.bytes += event.data.byteLength
      if (window.ackReceived) window.channel.send(new Uint8Array([6]))
    }
  },
  async packets() {
    let sent = 0, received = 0
    ;(await window.pc.getStats()).forEach((s) => { if (s.type === 'transport') { sent += s.packetsSent ?? 0; received += s.packetsReceived ?? 0 } })
    return { sent, received }
  },
  async send(mode, size, count, low, high, rate, windowBytes) {
    const channel = window.channel
    const message = new Uint8Array(size)
    for (let i = 0; i < size; i++) message[i] = (i * 7919) & 0xff
    const started = performance.timeOrigin + performance.now()
    if (mode === 'burst') {
      for (let i = 0; i < count; i++) channel.send(message)
      return started
    }
    let sent = 0
    if (mode === 'acked') {
      let acked = 0
      await new Promise((resolve) => {
        const pump = () => {
          while (sent < count && (sent - acked + 1) * size <= Math.max(windowBytes, size)) { channel.send(message); sent++ }
          if (acked === count) { channel.onmessage = null; resolve() }
        }
        channel.onmessage = () => { acked++; pump() }
        pump()
      })
      return started
    }
    if (mode === 'rate') {
      const perMs = rate * 1000
      await new Promise((resolve) => {
        const tick = () => {
          const allowed = Math.min(count, 1 + Math.floor(((performance.timeOrigin + performance.now() - started) * perMs) / size))
          while (sent < allowed) { channel.send(message); sent++ }
          if (sent === count) resolve()
          else setTimeout(tick, 1)
        }
        tick()
      })
      return started
    }
    channel.bufferedAmountLowThreshold = mode === 'drained' ? 0 : low
    if (mode === 'drained') high = 1
    await new Promise((resolve) => {
      const pump = () => {
        while (sent < count && channel.bufferedAmount < high) { channel.send(message); sent++ }
        if (sent === count) { channel.onbufferedamountlow = null; resolve() }
      }
      channel.onbufferedamountlow = pump
      pump()
    })
    return started
  },
}
`

async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage()
  await page.goto(url)
  await page.evaluate(PAGE_CODE)
  return page
}

/** Connects two pages' channels, exchanging the SDP through Playwright (no signaling server). */
async function connect(sender: Page, receiver: Page, sideChannels: boolean): Promise<void> {
  const offer = await sender.evaluate(
    (side) => (window as unknown as { bench: { offer(s: boolean): Promise<unknown> } }).bench.offer(side),
    sideChannels,
  )
  const answer = await receiver.evaluate(
    ([offer, side]) => (window as unknown as { bench: { answer(o: unknown, s: boolean): Promise<unknown> } }).bench.answer(offer, side),
    [offer, sideChannels] as const,
  )
  await sender.evaluate(
    (answer) => (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription(answer as RTCSessionDescriptionInit),
    answer,
  )
  await Promise.all(
    [sender, receiver].map((page) => page.evaluate(() => (window as unknown as { bench: { open(): Promise<void> } }).bench.open())),
  )
}

/** Packets each page's transport sent and received so far. */
async function packets(page: Page): Promise<{ sent: number; received: number }> {
  return page.evaluate(() => (window as unknown as { bench: { packets(): Promise<{ sent: number; received: number }> } }).bench.packets())
}

/** The machine's UDP datagrams (IPv4 and IPv6) dropped for a full receive buffer so far (Linux; 0 elsewhere). */
export async function rcvbufErrors(): Promise<number> {
  const snmp = await readFile('/proc/net/snmp', 'utf8').catch(() => '')
  const [names, values] = snmp.split('\n').filter((line) => line.startsWith('Udp:'))
  const v4 = names === undefined || values === undefined ? 0 : Number(values.split(/\s+/)[names.split(/\s+/).indexOf('RcvbufErrors')] ?? 0)
  const snmp6 = await readFile('/proc/net/snmp6', 'utf8').catch(() => '')
  const v6 = Number(/^Udp6RcvbufErrors\s+(\d+)/m.exec(snmp6)?.[1] ?? 0)
  return v4 + v6
}

/** How long the last packets of a trial (acknowledgements) may still be under way before they are counted, in ms. */
const SETTLE_MS = 300

async function trial(
  sender: Page,
  receiver: Page,
  mode: SendMode,
  messageBytes: number,
  totalBytes: number,
  link: Link,
  pace: Pace,
): Promise<ThroughputTrial> {
  const messages = Math.ceil(totalBytes / messageBytes)
  await receiver.evaluate(
    ([n, ack]) => (window as unknown as { bench: { receive(n: number, ack: boolean): void } }).bench.receive(n, ack),
    [messages, mode === 'acked'] as const,
  )
  const [senderBefore, receiverBefore, dropsBefore] = await Promise.all([packets(sender), packets(receiver), rcvbufErrors()])
  const started = await sender.evaluate(
    ([mode, size, count, low, high, rate, windowBytes]) =>
      (window as unknown as { bench: { send(...args: unknown[]): Promise<number> } }).bench.send(
        mode,
        size,
        count,
        low,
        high,
        rate,
        windowBytes,
      ),
    [mode, messageBytes, messages, PACED_LOW_WATER_BYTES, PACED_HIGH_WATER_BYTES, pace.rateMBps, pace.windowBytes] as const,
  )
  await receiver.waitForFunction((n) => (window as unknown as { received: { count: number } }).received.count >= n, messages, {
    timeout: TRIAL_TIMEOUT_MS,
    polling: 10,
  })
  const stamps = await receiver.evaluate(
    () => (window as unknown as { received: { first: number; last: number; bytes: number; at: number[] } }).received,
  )
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  const [senderAfter, receiverAfter, dropsAfter] = await Promise.all([packets(sender), packets(receiver), rcvbufErrors()])
  const totalMs = stamps.last - started
  let longestGapMs = stamps.first - started
  for (let i = 1; i < stamps.at.length; i++) longestGapMs = Math.max(longestGapMs, stamps.at[i] - stamps.at[i - 1])
  return {
    mode,
    link,
    messageBytes,
    messages,
    totalMs,
    spreadMs: stamps.last - stamps.first,
    megabytesPerSecond: stamps.bytes / 1e6 / (totalMs / 1000),
    longestGapMs,
    lostPackets: senderAfter.sent - senderBefore.sent - (receiverAfter.received - receiverBefore.received),
    lostBackPackets: receiverAfter.sent - receiverBefore.sent - (senderAfter.received - senderBefore.received),
    rcvbufErrors: dropsAfter - dropsBefore,
  }
}

/** Opens two Chromium processes, connects a page of each, and times `trials` transfers per mode and message size. */
export async function runChannelThroughputBench(
  options: {
    totalBytes?: number
    trials?: number
    sizes?: number[]
    sideChannels?: boolean
    fresh?: boolean
    compare?: boolean
    modes?: SendMode[]
    /** MB/s of the `rate` sender. */
    rateMBps?: number
    /** Bytes the `acked` sender may have unacknowledged. */
    windowBytes?: number
  } = {},
): Promise<ThroughputTrial[]> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-channel-throughput-'))
  const browsers: Browser[] = []
  let site: Running | null = null
  try {
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>channel throughput</title>')
    site = await serveStatic(dir)
    browsers.push(await launchChromium(), await launchChromium())
    const url = site.url
    const pair = async (): Promise<[Page, Page]> => {
      const [sender, receiver] = await Promise.all(browsers.map((browser) => openPage(browser, url)))
      await connect(sender, receiver, options.sideChannels ?? false)
      return [sender, receiver]
    }
    const results: ThroughputTrial[] = []
    const totalBytes = options.totalBytes ?? DEFAULT_TOTAL_BYTES
    const rate: Pace = { rateMBps: options.rateMBps ?? DEFAULT_RATE_MBPS, windowBytes: options.windowBytes ?? DEFAULT_WINDOW_BYTES }
    let warm: [Page, Page] | null = null
    const links: Link[] = options.compare === true ? ['fresh', 'warm'] : options.fresh === true ? ['fresh'] : ['warm']
    for (let i = 0; i < (options.trials ?? 3); i++)
      for (const size of options.sizes ?? DEFAULT_MESSAGE_SIZES)
        for (const mode of options.modes ?? (['burst', 'paced'] as const))
          for (const link of links) {
            // Fresh: a new connection per transfer, as a late joiner's history is the first thing its link carries.
            if (link === 'warm' && warm === null) {
              warm = await pair()
              await trial(warm[0], warm[1], mode, size, totalBytes, link, rate) // its first transfer is a fresh one: not counted
            }
            const [sender, receiver] = link === 'warm' && warm !== null ? warm : await pair()
            results.push(await trial(sender, receiver, mode, size, totalBytes, link, rate))
            if (link === 'fresh') await Promise.all([sender.close(), receiver.close()])
          }
    return results
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()))
    await site?.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The trials as a Markdown table, medians per mode and size. */
export function throughputTable(trials: readonly ThroughputTrial[]): string {
  const groups = new Map<string, ThroughputTrial[]>()
  for (const t of trials) {
    const key = `${t.link} ${t.mode} ${t.messageBytes}`
    groups.set(key, [...(groups.get(key) ?? []), t])
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const rows = [...groups.values()].map((group) => {
    const { link, mode, messageBytes, messages } = group[0]
    const each = (pick: (t: ThroughputTrial) => number) => group.map((t) => Math.round(pick(t))).join(' / ')
    return `| ${link} | ${mode} | ${messageBytes} B × ${messages} | ${each((t) => t.totalMs)} ms | ${Math.round(median(group.map((t) => t.spreadMs)))} ms | ${median(group.map((t) => t.megabytesPerSecond)).toFixed(1)} MB/s | ${each((t) => t.longestGapMs)} ms | ${each((t) => t.lostPackets)} (${each((t) => t.lostBackPackets)}) | ${each((t) => t.rcvbufErrors)} |`
  })
  return [
    '| link | sender | messages | first send → last received (each trial) | first → last received (median) | throughput (median) | longest gap (each) | packets lost, there (back) | machine UDP receive-buffer drops |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const sizes = flag('--sizes')?.split(',').map(Number)
  const trials = await runChannelThroughputBench({
    totalBytes: Number(flag('--bytes') ?? DEFAULT_TOTAL_BYTES),
    trials: Number(flag('--trials') ?? 3),
    sizes,
    sideChannels: process.argv.includes('--side-channels'),
    fresh: process.argv.includes('--fresh'),
    compare: process.argv.includes('--compare'),
    modes: flag('--modes')?.split(',') as SendMode[] | undefined,
    rateMBps: flag('--rate') === undefined ? undefined : Number(flag('--rate')),
    windowBytes: flag('--window') === undefined ? undefined : Number(flag('--window')),
  })
  console.log(throughputTable(trials))
}
