// Load generator process for the signaling benchmark: N clients in R rooms publishing at a rate.
// Spawned by bench/signaling-load.ts; prints phase lines and one result line as JSON on stdout.
//
// Output lines (one JSON object each):
//   {"phase":"measuring"}   the measurement window starts (the parent starts sampling the server)
//   {"phase":"draining"}    the window ended; late deliveries are still being counted
//   {"result":{...}}        LoadResult, then the process exits

import { resolve as resolvePath } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { LoadClient } from './ws-load-client.js'
import { openLoadClient } from './ws-load-client.js'

/** What the parent asks for. */
export interface LoadOptions {
  readonly url: string
  readonly clients: number
  readonly rooms: number
  readonly ratePerClient: number
  readonly warmupMs: number
  readonly durationMs: number
  readonly drainMs: number
  readonly payloadBytes: number
}

/** What the load generator measured. */
export interface LoadResult {
  readonly connected: number
  readonly connectFailures: number
  readonly closedEarly: number
  /** Publishes sent inside the measurement window. */
  readonly published: number
  /** Deliveries those publishes should cause (room members other than the sender). */
  readonly expected: number
  /** Deliveries of window publishes that arrived before the drain ended. */
  readonly delivered: number
  readonly windowMs: number
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
  /**
   * The generator's own CPU (percent of one core) and event-loop delay over the window: when
   * they are high, latency and pub/s describe the generator rather than the server.
   */
  readonly generatorCpuPercent: number
  readonly generatorLoopDelayP99Ms: number
}

/** Connections opened at once while ramping up. */
const CONNECT_CONCURRENCY = 200
const MS_PER_SECOND = 1_000
/** How often the generator sends the publishes that fell due. */
const PUBLISH_TICK_MS = 5
const LOOP_DELAY_RESOLUTION_MS = 5
const MICROSECONDS_PER_MS = 1_000
const NANOSECONDS_PER_MS = 1_000_000

interface BenchDelivery {
  readonly from: number
  readonly inWindow: boolean
  readonly sentAt: number
}

// The generator shares the machine with the server it measures, so reading a delivery must
// cost far less than relaying it: the benchmark's own fields travel as one leading string
// field, "b":"<from>,<inWindow>,<sentAt>", which both servers relay in place, and are read
// straight from the frame's bytes without decoding or parsing the whole message.
const BENCH_FIELD = Buffer.from('"b":"')
const QUOTE = 0x22
const PONG = Buffer.from('{"type":"pong"}')

/** The publish a client sends: shaped like a y-webrtc signal message, plus the bench field. */
export function encodeBenchPublish(topic: string, from: number, inWindow: boolean, sentAtMs: number, padding: string): string {
  return (
    `{"type":"publish","topic":${JSON.stringify(topic)},"b":"${from},${inWindow ? 1 : 0},${Math.round(sentAtMs * MICROSECONDS_PER_MS)}",` +
    `"data":{"type":"signal","from":"peer-${from}","to":"peer-${from + 1}","signal":{"type":"candidate","candidate":"${padding}"}}}`
  )
}

const DIGIT_0 = 0x30
const DIGIT_9 = 0x39
const COMMA = 0x2c

/**
 * Reads the bench field of the relayed publish in bytes [start, end) of `frame`; undefined
 * for anything else (pongs, garbage). Digits are read from the bytes: no strings made.
 */
export function readDelivery(frame: Buffer, start = 0, end = frame.length): BenchDelivery | undefined {
  const at = frame.indexOf(BENCH_FIELD, start)
  if (at < 0 || at >= end) return undefined
  const numbers = [0, 0, 0]
  let index = 0
  let digits = 0
  for (let i = at + BENCH_FIELD.length; i < end; i += 1) {
    const byte = frame[i] ?? 0
    if (byte >= DIGIT_0 && byte <= DIGIT_9) {
      numbers[index] = (numbers[index] ?? 0) * 10 + byte - DIGIT_0
      digits += 1
    } else if (byte === COMMA && digits > 0 && index < 2) {
      index += 1
      digits = 0
    } else if (byte === QUOTE && digits > 0 && index === 2) {
      const [from = 0, inWindow = 0, sentAtMicros = 0] = numbers
      return { from, inWindow: inWindow === 1, sentAt: sentAtMicros / MICROSECONDS_PER_MS }
    } else {
      return undefined
    }
  }
  return undefined
}

/** True if bytes [start, end) of `frame` are the server's pong. */
export function isPong(frame: Buffer, start = 0, end = frame.length): boolean {
  return end - start === PONG.length && PONG.compare(frame, start, end) === 0
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))
  return sorted[index] ?? Number.NaN
}

function emit(line: unknown): void {
  process.stdout.write(JSON.stringify(line) + '\n')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

interface LoadPeer {
  readonly id: number
  readonly room: number
  readonly topic: string
  client: LoadClient | undefined
  open: boolean
  /** Called when the pong that follows this peer's subscribe arrives. */
  onPong: () => void
}

/** Runs the load described by `options` and returns what it measured. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let phase: 'connecting' | 'warmup' | 'measuring' | 'draining' = 'connecting'
  let published = 0
  let expected = 0
  let delivered = 0
  let closedEarly = 0
  const latencies: number[] = []
  const padding = 'x'.repeat(options.payloadBytes)

  function handlersFor(peer: LoadPeer): Parameters<typeof openLoadClient>[1] {
    return {
      text(frame, start, end) {
        if (isPong(frame, start, end)) {
          peer.onPong()
          return
        }
        const delivery = readDelivery(frame, start, end)
        if (delivery === undefined || delivery.from === peer.id || !delivery.inWindow) return
        delivered += 1
        latencies.push(performance.now() - delivery.sentAt)
      },
      close() {
        if (!peer.open) return
        peer.open = false
        if (phase !== 'draining') closedEarly += 1
      },
    }
  }

  const peers: LoadPeer[] = Array.from({ length: options.clients }, (_, id) => {
    const room = id % options.rooms
    return { id, room, topic: `bench-room-${room}`, client: undefined, open: false, onPong: () => undefined }
  })
  for (let start = 0; start < peers.length; start += CONNECT_CONCURRENCY) {
    await Promise.all(
      peers.slice(start, start + CONNECT_CONCURRENCY).map(async (peer) => {
        peer.client = await openLoadClient(options.url, handlersFor(peer))
        peer.open = peer.client !== undefined
      }),
    )
  }
  const live = peers.filter((peer) => peer.open)
  const roomSize = new Array<number>(options.rooms).fill(0)
  for (const peer of live) roomSize[peer.room] = (roomSize[peer.room] ?? 0) + 1
  await Promise.all(
    live.map(
      (peer) =>
        new Promise<void>((resolve) => {
          peer.onPong = resolve
          peer.client?.sendText(JSON.stringify({ type: 'subscribe', topics: [peer.topic] }))
          peer.client?.sendText('{"type":"ping"}') // answered after the subscribe is registered
        }),
    ),
  )
  phase = 'warmup'

  // Publishes follow the clock, not timer callbacks: a tick sends every publish due since the
  // last one, round robin over the clients, so a late tick catches up instead of drifting.
  const othersInRoom = live.map((peer) => (roomSize[peer.room] ?? 1) - 1)
  const publishesPerMs = (live.length * options.ratePerClient) / MS_PER_SECOND
  const scheduleStart = performance.now()
  let scheduled = 0
  const ticker = setInterval(() => {
    const due = Math.floor((performance.now() - scheduleStart) * publishesPerMs)
    for (; scheduled < due && phase !== 'draining'; scheduled += 1) {
      const index = scheduled % live.length
      const peer = live[index]
      if (peer === undefined || !peer.open) continue
      const inWindow = phase === 'measuring'
      if (inWindow) {
        published += 1
        expected += othersInRoom[index] ?? 0
      }
      peer.client?.sendText(encodeBenchPublish(peer.topic, peer.id, inWindow, performance.now(), padding))
    }
  }, PUBLISH_TICK_MS)

  await sleep(options.warmupMs)
  phase = 'measuring'
  emit({ phase })
  const windowStart = performance.now()
  const cpuAtStart = process.cpuUsage()
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
  loopDelay.enable()
  await sleep(options.durationMs)
  phase = 'draining'
  const windowMs = performance.now() - windowStart
  loopDelay.disable()
  const cpu = process.cpuUsage(cpuAtStart)
  emit({ phase })
  clearInterval(ticker)
  await sleep(options.drainMs)
  for (const peer of live) peer.client?.destroy()

  const sorted = Float64Array.from(latencies).sort()
  return {
    connected: live.length,
    connectFailures: options.clients - live.length,
    closedEarly,
    published,
    expected,
    delivered,
    windowMs,
    generatorCpuPercent: ((cpu.user + cpu.system) / MICROSECONDS_PER_MS / windowMs) * 100,
    generatorLoopDelayP99Ms: loopDelay.percentile(99) / NANOSECONDS_PER_MS,
    latencyMs: {
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
    },
  }
}

/** Guards the options the parent passes as JSON in argv. */
export function parseLoadOptions(text: string | undefined): LoadOptions {
  const value: unknown = JSON.parse(text ?? 'null')
  if (typeof value !== 'object' || value === null) throw new Error('load worker: options must be a JSON object')
  const record = value as Record<string, unknown>
  const numberField = (name: string): number => {
    const field = record[name]
    if (typeof field !== 'number' || !(field >= 0)) throw new Error(`load worker: ${name} must be a non-negative number`)
    return field
  }
  const url = record['url']
  if (typeof url !== 'string') throw new Error('load worker: url must be a string')
  return {
    url,
    clients: numberField('clients'),
    rooms: Math.max(1, numberField('rooms')),
    ratePerClient: numberField('ratePerClient'),
    warmupMs: numberField('warmupMs'),
    durationMs: numberField('durationMs'),
    drainMs: numberField('drainMs'),
    payloadBytes: numberField('payloadBytes'),
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])
if (isMain) {
  runLoad(parseLoadOptions(process.argv[2])).then(
    (result) => {
      emit({ result })
      process.exit(0)
    },
    (error: unknown) => {
      process.stderr.write(`load worker failed: ${String(error)}\n`)
      process.exit(1)
    },
  )
}
