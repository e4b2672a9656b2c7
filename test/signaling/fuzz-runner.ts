// Sends generated hostile frames to a server from several clients and tallies the expectations.
// Frames that make the server close the socket go out on a connection of their own.

import type { RejectReason } from '../../signaling/protocol.js'
import type { FuzzFrame } from './fuzz-frames.js'
import { TestClient, withTimeout } from './helpers.js'

/** What the frames sent should have caused, to compare with the server's counters. */
export interface FuzzTally {
  readonly rejected: Map<RejectReason, number>
  readonly closes: Map<number, number>
  accepted: number
  /** Close codes seen that differ from the expected one, as "label: expected → got". */
  readonly wrongCloses: string[]
  /** Hostile clients that were closed while they should have stayed open. */
  readonly unexpectedCloses: string[]
}

/** How the frames are spread over connections. */
export interface FuzzRunOptions {
  /** Frames one hostile connection sends before it syncs and leaves (stay under the rate burst). */
  readonly framesPerClient: number
  /** Hostile connections running at once. */
  readonly parallel: number
  /** Called once per batch while its connection is still open (to sample server state). */
  readonly onBatchSent?: () => void
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}

async function sendClosingFrame(url: string, frame: FuzzFrame, expectedCode: number, tally: FuzzTally): Promise<void> {
  const client = await TestClient.connect(url, { track: false })
  client.ws.send(frame.data, { binary: frame.binary })
  const { code } = await withTimeout(client.closed, `server closes after "${frame.label}"`)
  if (code !== expectedCode) tally.wrongCloses.push(`${frame.label}: ${expectedCode} → ${code}`)
  bump(tally.closes, expectedCode)
}

async function sendBatch(url: string, batch: readonly FuzzFrame[], tally: FuzzTally, onBatchSent?: () => void): Promise<void> {
  const client = await TestClient.connect(url, { track: false })
  let closedEarly = false
  void client.closed.then(() => {
    closedEarly = true
  })
  for (const frame of batch) {
    client.ws.send(frame.data, { binary: frame.binary })
    if (frame.expect.kind === 'reject') bump(tally.rejected, frame.expect.reason)
    else tally.accepted += 1
  }
  try {
    await client.sync() // every frame above has been handled once the pong is back
    onBatchSent?.()
  } finally {
    if (closedEarly) tally.unexpectedCloses.push(`batch starting with "${batch[0]?.label ?? ''}" closed early`)
    await client.close()
  }
}

/** Sends every frame, spread over hostile connections, and returns what should have happened. */
export async function runFuzz(url: string, frames: readonly FuzzFrame[], options: FuzzRunOptions): Promise<FuzzTally> {
  const tally: FuzzTally = { rejected: new Map(), closes: new Map(), accepted: 0, wrongCloses: [], unexpectedCloses: [] }
  const closing = frames.filter((frame) => frame.expect.kind === 'close')
  const batchable = frames.filter((frame) => frame.expect.kind !== 'close')
  const jobs: Array<() => Promise<void>> = []
  for (let i = 0; i < batchable.length; i += options.framesPerClient) {
    const batch = batchable.slice(i, i + options.framesPerClient)
    jobs.push(() => sendBatch(url, batch, tally, options.onBatchSent))
  }
  for (const frame of closing) {
    if (frame.expect.kind === 'close') {
      const code = frame.expect.code
      jobs.push(() => sendClosingFrame(url, frame, code, tally))
    }
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next]
      next += 1
      if (job !== undefined) await job()
    }
  }
  await Promise.all(Array.from({ length: options.parallel }, worker))
  return tally
}
