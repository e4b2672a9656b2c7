// The load generator's own parsing: its figures are only as good as its count of deliveries.
// Frames split across TCP chunks, several frames per chunk, and the bench field read in place.

import { describe, expect, it } from 'vitest'
import { encodeBenchPublish, isPong, readDelivery } from '../../bench/signaling-load-worker.js'
import { FrameReader, encodeClientFrame } from '../../bench/ws-load-client.js'
import { encodePublishText } from '../../signaling/protocol.js'
import { textFrame } from '../../signaling/wire-frame.js'

interface Seen {
  texts: string[]
  pings: number
  closes: number
}

function collect(): { reader: FrameReader; seen: Seen } {
  const seen: Seen = { texts: [], pings: 0, closes: 0 }
  const reader = new FrameReader({
    text: (frame, start, end) => void seen.texts.push(frame.toString('utf8', start, end)),
    ping: () => {
      seen.pings += 1
    },
    close: () => {
      seen.closes += 1
    },
  })
  return { reader, seen }
}

/** Offsets `step`, 2 × `step`, … below `end`: where to cut a stream into chunks of `step` bytes. */
function cutsEvery(step: number, end: number): number[] {
  return Array.from({ length: Math.ceil(end / step) - 1 }, (_, i) => (i + 1) * step)
}

/** Pushes `stream` to a fresh reader in chunks that end at `cuts` (ascending offsets). */
function readInChunks(stream: Buffer, cuts: readonly number[]): Seen {
  const { reader, seen } = collect()
  const bounds = [0, ...cuts, stream.length]
  for (let i = 1; i < bounds.length; i += 1) reader.push(stream.subarray(bounds[i - 1], bounds[i]))
  return seen
}

describe('FrameReader', () => {
  it('reads frames split at every byte and packed several to a chunk', () => {
    // Header lengths 2, 4 and 10 bytes: the last payload needs a 64-bit length (over 65,535 bytes).
    const texts = ['short', 'x'.repeat(300), 'é'.repeat(40_000)]
    const stream = Buffer.concat(texts.map((text) => textFrame(text)))
    // Small chunks (1 and 7 bytes: a frame's end and part of the next header in one chunk) run
    // through every header and into the last payload, then the rest comes at once. Small chunks
    // all through its 80 kB would only repeat one case at a quadratic cost: the reader re-joins
    // what it holds on each push (3 GB copied byte by byte, seconds on a loaded machine).
    const smallChunksEnd = stream.length - Buffer.byteLength(texts[2] ?? '') + 16
    for (const chunkSize of [1, 7]) {
      expect(readInChunks(stream, cutsEvery(chunkSize, smallChunksEnd)).texts, `chunks of ${chunkSize}`).toEqual(texts)
    }
    for (const chunkSize of [1000, stream.length]) {
      expect(readInChunks(stream, cutsEvery(chunkSize, stream.length)).texts, `chunks of ${chunkSize}`).toEqual(texts)
    }
  })

  it('reports pings and close frames', () => {
    const { reader, seen } = collect()
    reader.push(Buffer.from([0x89, 0x00, 0x88, 0x02, 0x03, 0xe8]))
    expect(seen.pings).toBe(1)
    expect(seen.closes).toBe(1)
  })
})

describe('encodeClientFrame', () => {
  it('masks with a zero key, so the payload follows the header unchanged', () => {
    const payload = Buffer.from('x'.repeat(200))
    const frame = encodeClientFrame(payload)
    expect([frame[0], frame[1]]).toEqual([0x81, 0x80 | 126])
    expect(frame.readUInt16BE(2)).toBe(200)
    expect(frame.subarray(4, 8)).toEqual(Buffer.alloc(4))
    expect(frame.subarray(8)).toEqual(payload)
  })
})

describe('readDelivery', () => {
  it('reads the bench field of a publish as a server relays it', () => {
    const sent = encodeBenchPublish('bench-room-3', 1234, true, 98_765.4321, 'xx')
    const relayed = textFrame(encodePublishText(sent, 10))
    const seen: unknown[] = []
    new FrameReader({
      text: (frame, start, end) => void seen.push(readDelivery(frame, start, end)),
      ping: () => undefined,
      close: () => undefined,
    }).push(relayed)
    expect(seen).toEqual([{ from: 1234, inWindow: true, sentAt: 98_765.432 }])
    expect(JSON.parse(sent)).toMatchObject({ type: 'publish', topic: 'bench-room-3' })
  })

  it('ignores pongs, frames without the field and malformed fields', () => {
    const pong = Buffer.from('{"type":"pong"}')
    expect(readDelivery(pong)).toBeUndefined()
    expect(isPong(pong)).toBe(true)
    expect(readDelivery(Buffer.from('{"b":"1,x,3"}'))).toBeUndefined()
    expect(readDelivery(Buffer.from('{"b":"1,1"}'))).toBeUndefined()
  })

  it('does not read past the end of its frame into the next one', () => {
    const next = Buffer.from('{"b":"1,1,5"}')
    const both = Buffer.concat([Buffer.from('{"type":"other"}'), next])
    expect(readDelivery(both, 0, 16)).toBeUndefined()
    expect(readDelivery(both, 16)).toEqual({ from: 1, inWindow: true, sentAt: 0.005 })
  })
})
