// Framing without a network: the wire format, reassembly limits (a hostile peer cannot make us
// hold more than the cap), and the framed channel's queue over a fake channel with a send buffer.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  FRAME_MAGIC,
  FRAME_PAYLOAD_BYTES,
  MAX_UNFRAMED_BYTES,
  Reassembler,
  encodeFrame,
  encodeFramingHello,
  isFrame,
  needsFraming,
  parseFramingHello,
  type ReassemblyBudget,
} from '../../src/transport/framing-protocol.js'
import {
  emptyFramingStats,
  CAPABILITY_WAIT_MS,
  FramedChannel,
  HIGH_WATER_BYTES,
  FramingCapability,
  type FramingStats,
} from '../../src/transport/framing-channel.js'

const MIB = 1024 * 1024

function pattern(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) & 0xff
  bytes[0] = 0 // a y-webrtc sync message
  return bytes
}

/** Every frame of a message, as the sender cuts it. */
function framesOf(message: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = []
  let offset = 0
  do {
    frames.push(encodeFrame(message, offset))
    offset += FRAME_PAYLOAD_BYTES
  } while (offset < message.byteLength)
  return frames
}

/** A START frame announcing `total` bytes, with a few payload bytes. */
function startFrame(total: number): Uint8Array {
  const frame = new Uint8Array(14)
  frame[0] = FRAME_MAGIC
  frame[1] = 1
  const view = new DataView(frame.buffer)
  view.setUint32(2, Math.floor(total / 2 ** 32))
  view.setUint32(6, total >>> 0)
  return frame
}

const budget = (maxBytes = 128 * MIB): ReassemblyBudget => ({ usedBytes: 0, maxBytes })

describe('framing protocol', () => {
  it('frames only what is large or looks like a frame', () => {
    expect(needsFraming(pattern(MAX_UNFRAMED_BYTES))).toBe(false)
    expect(needsFraming(pattern(MAX_UNFRAMED_BYTES + 1))).toBe(true)
    expect(needsFraming(Uint8Array.of(FRAME_MAGIC, 1, 2))).toBe(true)
    for (const type of [0, 1, 3, 4]) expect(isFrame(Uint8Array.of(type, 0))).toBe(false)
  })

  it('round-trips messages of many sizes through frames', () => {
    const reassembler = new Reassembler(64 * MIB, budget())
    for (const size of [MAX_UNFRAMED_BYTES + 1, FRAME_PAYLOAD_BYTES * 3, FRAME_PAYLOAD_BYTES * 3 + 17, 5 * MIB]) {
      const message = pattern(size, size)
      const frames = framesOf(message)
      const steps = frames.map((frame) => reassembler.push(frame))
      expect(steps.slice(0, -1).every((step) => step.kind === 'partial')).toBe(true)
      const last = steps[steps.length - 1]
      expect(last.kind).toBe('message')
      if (last.kind === 'message') expect(Buffer.compare(new Uint8Array(last.data), message)).toBe(0)
    }
    expect(reassembler.heldBytes).toBe(0)
  })

  it('accepts and checks capability frames', () => {
    const hello = encodeFramingHello(64 * MIB)
    expect(parseFramingHello(hello.buffer)).toBe(64 * MIB)
    const withVersion = (version: number) => {
      const copy = hello.slice()
      copy[1] = version
      return copy.buffer
    }
    const withMax = (max: number) => encodeFramingHello(max).buffer
    for (const bad of [
      null,
      42,
      'framing',
      hello,
      withVersion(2),
      withMax(MAX_UNFRAMED_BYTES),
      new ArrayBuffer(6),
      new Uint8Array([...hello, 0]).buffer,
    ]) {
      expect(parseFramingHello(bad)).toBeNull()
    }
  })
})

describe('reassembly limits', () => {
  it('refuses a 10 GB announcement before holding a byte of it', () => {
    const room = budget()
    const reassembler = new Reassembler(64 * MIB, room)
    expect(reassembler.push(startFrame(10 * 1024 * MIB))).toMatchObject({ kind: 'violation' })
    expect(room.usedBytes).toBe(0)
  })

  it('refuses more bytes than announced, continuations without a start, and a second start', () => {
    const cases: Uint8Array[][] = [
      [startFrame(MAX_UNFRAMED_BYTES + 4), Uint8Array.of(FRAME_MAGIC, 2, ...new Uint8Array(MAX_UNFRAMED_BYTES + 1))],
      [Uint8Array.of(FRAME_MAGIC, 2, 1, 2, 3)],
      [startFrame(MAX_UNFRAMED_BYTES + 100), startFrame(MAX_UNFRAMED_BYTES + 100)],
      [Uint8Array.of(FRAME_MAGIC, 9, 1)],
      [startFrame(10)],
    ]
    for (const frames of cases) {
      const room = budget()
      const reassembler = new Reassembler(64 * MIB, room)
      const steps = frames.map((frame) => reassembler.push(frame))
      expect(steps[steps.length - 1]).toMatchObject({ kind: 'violation' })
      expect(room.usedBytes).toBe(0)
    }
  })

  it('shares one budget between the links of a room', () => {
    const room = budget(3 * MIB)
    const first = new Reassembler(64 * MIB, room)
    const second = new Reassembler(64 * MIB, room)
    const message = pattern(4 * MIB)
    const frames = framesOf(message)
    const half = frames.length / 2
    for (const frame of frames.slice(0, half)) expect(first.push(frame).kind).toBe('partial')
    const steps = frames.slice(0, half).map((frame) => second.push(frame))
    expect(steps.some((step) => step.kind === 'violation')).toBe(true)
    expect(room.usedBytes).toBe(first.heldBytes)
    first.reset()
    expect(room.usedBytes).toBe(0)
  })
})

/** A data channel in memory: what is sent lands in `buffered` until `drain()`, then at the peer. */
class FakeChannel extends EventTarget {
  binaryType: BinaryType = 'blob'
  readyState: RTCDataChannelState = 'open'
  bufferedAmountLowThreshold = 0
  onopen: (() => void) | null = null
  onclose: (() => void) | null = null
  onclosing: (() => void) | null = null
  onerror: ((event: Event) => void) | null = null
  onmessage: ((event: MessageEvent<unknown>) => void) | null = null
  onbufferedamountlow: (() => void) | null = null
  label = 'fake'
  id = 1
  negotiated = false
  ordered = true
  protocol = ''
  maxPacketLifeTime = null
  maxRetransmits = null
  peer: FakeChannel | null = null
  buffered: Array<string | ArrayBuffer> = []
  /** Largest message accepted, like a stock WebRTC stack (256 KiB). */
  maxMessageBytes = 256 * 1024

  get bufferedAmount(): number {
    return this.buffered.reduce((sum, item) => sum + (typeof item === 'string' ? item.length : item.byteLength), 0)
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 'open') throw new DOMException('closed', 'InvalidStateError')
    const item =
      typeof data === 'string'
        ? data
        : data instanceof ArrayBuffer
          ? data.slice(0)
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer
    if (typeof item !== 'string' && item.byteLength > this.maxMessageBytes) throw new TypeError('message too large')
    this.buffered.push(item)
  }

  /** Delivers everything buffered to the peer, then fires the low event. */
  drain(): void {
    const items = this.buffered.splice(0)
    for (const data of items) this.peer?.onmessage?.(new MessageEvent('message', { data }))
    this.onbufferedamountlow?.()
  }

  close(): void {
    this.readyState = 'closed'
    this.onclose?.()
  }
}

function pair(): [FakeChannel, FakeChannel] {
  const a = new FakeChannel()
  const b = new FakeChannel()
  a.peer = b
  b.peer = a
  return [a, b]
}

function context(capability = new FramingCapability()) {
  const stats: FramingStats = emptyFramingStats()
  return { capability, budget: budget(), stats }
}

function collect(channel: FramedChannel): Uint8Array[] {
  const got: Uint8Array[] = []
  channel.binaryType = 'arraybuffer' // as simple-peer sets it
  channel.onmessage = (event) => {
    got.push(new Uint8Array((event as MessageEvent<ArrayBuffer>).data))
  }
  return got
}

/** Drains both fake channels until nothing moves (microtasks in between). */
async function settle(...channels: FakeChannel[]): Promise<void> {
  for (let round = 0; round < 10_000; round++) {
    await Promise.resolve()
    if (channels.every((channel) => channel.buffered.length === 0)) return
    for (const channel of channels) channel.drain()
  }
}

describe('framed channel', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sends small messages untouched, and a large one in frames once the peer announced framing', async () => {
    const [realA, realB] = pair()
    const ctxA = context()
    const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
    const b = new FramedChannel(realB as unknown as RTCDataChannel, context())
    const got = collect(b)
    const small = pattern(100)
    a.send(small)
    expect(new Uint8Array(realA.buffered[0] as ArrayBuffer)).toEqual(small)
    const big = pattern(3 * MIB)
    a.send(big)
    expect(realA.buffered).toHaveLength(1) // waits for the peer's capability
    ctxA.capability.announce(64 * MIB)
    await settle(realA)
    expect(got).toHaveLength(2)
    expect(got[0]).toEqual(small)
    expect(Buffer.compare(got[1], big)).toBe(0)
    expect(ctxA.stats.framedMessages).toBe(1)
  })

  it('keeps the real send buffer under its high-water mark and counts the queue in bufferedAmount', async () => {
    const [realA, realB] = pair()
    const ctxA = context()
    ctxA.capability.announce(64 * MIB)
    const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
    const got = collect(new FramedChannel(realB as unknown as RTCDataChannel, context()))
    const big = pattern(3 * HIGH_WATER_BYTES)
    a.send(big)
    expect(realA.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER_BYTES + FRAME_PAYLOAD_BYTES + 10)
    expect(a.bufferedAmount).toBeGreaterThanOrEqual(3 * HIGH_WATER_BYTES)
    let maxBuffered = 0
    for (let round = 0; round < 1000 && got.length === 0; round++) {
      maxBuffered = Math.max(maxBuffered, realA.bufferedAmount)
      realA.drain()
      await Promise.resolve()
    }
    expect(maxBuffered).toBeLessThanOrEqual(HIGH_WATER_BYTES + FRAME_PAYLOAD_BYTES + 10)
    expect(Buffer.compare(got[0], big)).toBe(0)
    expect(a.bufferedAmount).toBe(0)
  })

  it('sends large messages unframed to a peer that never announced framing, after the wait', async () => {
    vi.useFakeTimers()
    const [realA, realB] = pair()
    const ctxA = context()
    const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
    const got = collect(new FramedChannel(realB as unknown as RTCDataChannel, context()))
    const medium = pattern(200 * 1024)
    a.send(medium)
    expect(realA.buffered).toHaveLength(0)
    ctxA.capability.startWaiting()
    vi.advanceTimersByTime(CAPABILITY_WAIT_MS)
    expect(ctxA.capability.state).toBe('stock')
    expect(realA.buffered).toHaveLength(1)
    // Buffer.compare, not toEqual: vitest compares a typed array element by element (0.6 s of CPU
    // for these 200 KiB on an idle machine, seconds on a loaded two-core one).
    expect(Buffer.compare(new Uint8Array(realA.buffered[0] as ArrayBuffer), medium)).toBe(0)
    a.send(pattern(300 * 1024)) // too large for a stock stack: lost, as with stock y-webrtc, and counted
    realA.drain()
    expect(got).toHaveLength(1)
    expect(ctxA.stats.droppedMessages).toBe(1)
  })

  it('drops the link when the peer breaks the protocol, and frees what it held', () => {
    const [realA, realB] = pair()
    const ctxB = context()
    const b = new FramedChannel(realB as unknown as RTCDataChannel, ctxB)
    const got = collect(b)
    let closed = false
    b.onclose = () => {
      closed = true
    }
    realA.send(startFrame(10 * 1024 * MIB))
    realA.drain()
    expect(closed).toBe(true)
    expect(b.readyState).toBe('closed')
    expect(ctxB.stats.violations).toBe(1)
    expect(ctxB.budget.usedBytes).toBe(0)
    expect(got).toHaveLength(0)
  })

  it('hands blobs to a consumer that asked for them, and passes text through', () => {
    const [realA, realB] = pair()
    const b = new FramedChannel(realB as unknown as RTCDataChannel, context())
    expect(realB.binaryType).toBe('arraybuffer')
    const got: unknown[] = []
    b.onmessage = (event) => {
      got.push((event as MessageEvent<unknown>).data)
    }
    realA.send('hello')
    realA.send(pattern(10))
    realA.drain()
    expect(got[0]).toBe('hello')
    expect(got[1]).toBeInstanceOf(Blob)
  })
})
