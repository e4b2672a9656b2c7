// Load generator process for the signaling benchmark: N clients in R rooms publishing at a rate.
// Spawned by bench/signaling-load.ts; prints phase lines and one result line as JSON on stdout.
//
// Output lines (one JSON object each):
//   {"phase":"measuring"}   the measurement window starts (the parent starts sampling the server)
//   {"phase":"draining"}    the window ended; late deliveries are still being counted
//   {"result":{...}}        LoadResult, then the process exits

import { resolve as resolvePath } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'

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
}

/** Connections opened at once while ramping up. */
const CONNECT_CONCURRENCY = 200
const CONNECT_TIMEOUT_MS = 15_000
const MS_PER_SECOND = 1_000

interface BenchDelivery {
  readonly from: number
  readonly inWindow: boolean
  readonly sentAt: number
}

/** Guards a relayed benchmark publish: only the fields the generator itself put there. */
function readDelivery(text: string): BenchDelivery | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined // not ours: pongs are JSON too, garbage is ignored
  }
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  const { from, w, sentAt } = record
  if (record['type'] !== 'publish' || typeof from !== 'number' || typeof sentAt !== 'number') return undefined
  return { from, inWindow: w === 1, sentAt }
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

function connect(url: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const timer = setTimeout(() => {
      ws.terminate()
      resolve(undefined)
    }, CONNECT_TIMEOUT_MS)
    ws.once('open', () => {
      clearTimeout(timer)
      resolve(ws)
    })
    ws.once('error', () => {
      clearTimeout(timer)
      resolve(undefined)
    })
  })
}

/** Runs the load described by `options` and returns what it measured. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const sockets: Array<WebSocket | undefined> = []
  for (let start = 0; start < options.clients; start += CONNECT_CONCURRENCY) {
    const count = Math.min(CONNECT_CONCURRENCY, options.clients - start)
    sockets.push(...(await Promise.all(Array.from({ length: count }, () => connect(options.url)))))
  }
  let phase: 'warmup' | 'measuring' | 'draining' = 'warmup'
  let published = 0
  let expected = 0
  let delivered = 0
  let closedEarly = 0
  const latencies: number[] = []
  const roomSize = new Array<number>(options.rooms).fill(0)
  const padding = 'x'.repeat(options.payloadBytes)

  const live = sockets.flatMap((ws, id) => (ws === undefined ? [] : [{ ws, id, room: id % options.rooms }]))
  for (const client of live) roomSize[client.room] = (roomSize[client.room] ?? 0) + 1
  await Promise.all(live.map(({ ws, id, room }) => new Promise<void>((resolve) => {
    ws.on('error', () => undefined) // counted through 'close'
    ws.on('close', () => {
      if (phase !== 'draining') closedEarly += 1
    })
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      const text = data.toString()
      if (text === '{"type":"pong"}') {
        resolve()
        return
      }
      const delivery = readDelivery(text)
      if (delivery === undefined || delivery.from === id || !delivery.inWindow) return
      delivered += 1
      latencies.push(performance.now() - delivery.sentAt)
    })
    ws.send(JSON.stringify({ type: 'subscribe', topics: [`bench-room-${room}`] }))
    ws.send('{"type":"ping"}') // answered after the subscribe is registered
  })))

  const periodMs = MS_PER_SECOND / options.ratePerClient
  const timers: NodeJS.Timeout[] = []
  for (const { ws, id, room } of live) {
    const topic = `bench-room-${room}`
    const others = (roomSize[room] ?? 1) - 1
    const publish = (): void => {
      if (phase === 'draining' || ws.readyState !== WebSocket.OPEN) return
      const inWindow = phase === 'measuring'
      if (inWindow) {
        published += 1
        expected += others
      }
      // Shaped like a y-webrtc signal message, plus the benchmark's own fields.
      ws.send(JSON.stringify({
        type: 'publish',
        topic,
        data: { type: 'signal', from: `peer-${id}`, to: `peer-${id + 1}`, signal: { type: 'candidate', candidate: padding } },
        from: id,
        w: inWindow ? 1 : 0,
        sentAt: performance.now(),
      }))
    }
    timers.push(setTimeout(() => {
      publish()
      timers.push(setInterval(publish, periodMs))
    }, Math.random() * periodMs))
  }

  await sleep(options.warmupMs)
  phase = 'measuring'
  emit({ phase })
  const windowStart = performance.now()
  await sleep(options.durationMs)
  phase = 'draining'
  const windowMs = performance.now() - windowStart
  emit({ phase })
  for (const timer of timers) clearTimeout(timer)
  await sleep(options.drainMs)
  for (const { ws } of live) ws.terminate()

  const sorted = Float64Array.from(latencies).sort()
  return {
    connected: live.length,
    connectFailures: options.clients - live.length,
    closedEarly,
    published,
    expected,
    delivered,
    windowMs,
    latencyMs: {
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1] ?? Number.NaN,
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
