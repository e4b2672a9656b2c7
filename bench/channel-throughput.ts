// How fast one RTCDataChannel carries a late joiner's history between two Chromium processes,
// with no Parley code in the way: the baseline for the "on the wire" span of the history bench.
// Run alone: npx tsx bench/channel-throughput.ts [--bytes 1800000] [--trials 3] [--sizes 16384,65536,262144]
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
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
/** How long one trial may take, in ms. */
const TRIAL_TIMEOUT_MS = 30_000

/** How the sender hands its messages to the channel. */
type SendMode = 'burst' | 'paced'

/** One trial's figures. */
export interface ThroughputTrial {
  mode: SendMode
  messageBytes: number
  messages: number
  /** From the first send call to the last message received, in ms. */
  totalMs: number
  /** From the first message received to the last, in ms. */
  spreadMs: number
  megabytesPerSecond: number
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
  receive(expected) {
    const stamps = { first: null, last: null, count: 0, bytes: 0 }
    window.received = stamps
    window.channel.onmessage = (event) => {
      const now = performance.timeOrigin + performance.now()
      stamps.first ??= now
      stamps.last = now
      stamps.count++
      stamps.bytes += event.data.byteLength
    }
  },
  async send(mode, size, count, low, high) {
    const channel = window.channel
    const message = new Uint8Array(size)
    for (let i = 0; i < size; i++) message[i] = (i * 7919) & 0xff
    const started = performance.timeOrigin + performance.now()
    if (mode === 'burst') {
      for (let i = 0; i < count; i++) channel.send(message)
      return started
    }
    channel.bufferedAmountLowThreshold = low
    let sent = 0
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

async function trial(sender: Page, receiver: Page, mode: SendMode, messageBytes: number, totalBytes: number): Promise<ThroughputTrial> {
  const messages = Math.ceil(totalBytes / messageBytes)
  await receiver.evaluate((n) => (window as unknown as { bench: { receive(n: number): void } }).bench.receive(n), messages)
  const started = await sender.evaluate(
    ([mode, size, count, low, high]) =>
      (window as unknown as { bench: { send(...args: unknown[]): Promise<number> } }).bench.send(mode, size, count, low, high),
    [mode, messageBytes, messages, PACED_LOW_WATER_BYTES, PACED_HIGH_WATER_BYTES] as const,
  )
  await receiver.waitForFunction((n) => (window as unknown as { received: { count: number } }).received.count >= n, messages, {
    timeout: TRIAL_TIMEOUT_MS,
    polling: 10,
  })
  const stamps = await receiver.evaluate(() => (window as unknown as { received: { first: number; last: number; bytes: number } }).received)
  const totalMs = stamps.last - started
  return {
    mode,
    messageBytes,
    messages,
    totalMs,
    spreadMs: stamps.last - stamps.first,
    megabytesPerSecond: stamps.bytes / 1e6 / (totalMs / 1000),
  }
}

/** Opens two Chromium processes, connects a page of each, and times `trials` transfers per mode and message size. */
export async function runChannelThroughputBench(
  options: { totalBytes?: number; trials?: number; sizes?: number[]; sideChannels?: boolean; fresh?: boolean } = {},
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
    let warm: [Page, Page] | null = null
    for (let i = 0; i < (options.trials ?? 3); i++)
      for (const size of options.sizes ?? DEFAULT_MESSAGE_SIZES)
        for (const mode of ['burst', 'paced'] as const) {
          // Fresh: a new connection per transfer, as a late joiner's history is the first thing its link carries.
          if (options.fresh !== true && warm === null) warm = await pair()
          const [sender, receiver] = warm ?? (await pair())
          results.push(await trial(sender, receiver, mode, size, options.totalBytes ?? DEFAULT_TOTAL_BYTES))
          if (options.fresh === true) await Promise.all([sender.close(), receiver.close()])
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
    const key = `${t.mode} ${t.messageBytes}`
    groups.set(key, [...(groups.get(key) ?? []), t])
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const rows = [...groups.values()].map((group) => {
    const { mode, messageBytes, messages } = group[0]
    const totals = group.map((t) => Math.round(t.totalMs))
    return `| ${mode} | ${messageBytes} B × ${messages} | ${totals.join(' / ')} ms | ${Math.round(median(group.map((t) => t.spreadMs)))} ms | ${median(group.map((t) => t.megabytesPerSecond)).toFixed(1)} MB/s |`
  })
  return [
    '| sender | messages | first send → last received (each trial) | first → last received (median) | throughput (median) |',
    '|---|---|---|---|---|',
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
  })
  console.log(throughputTable(trials))
}
