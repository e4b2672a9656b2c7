// Framing without a network: the wire format, reassembly limits (a hostile peer cannot make us
// hold more than the cap), the framed channel's queue over a fake channel with a send buffer, and
// deflated frames between peers that announced them.
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  FRAME_MAGIC,
  FRAME_PAYLOAD_BYTES,
  MAX_UNFRAMED_BYTES,
  MORE_HEADER_BYTES,
  Reassembler,
  START_HEADER_BYTES,
  encodeFrame,
  encodeFramingHello,
  encodeFramingHellos,
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
  PACED_BUFFER_BYTES,
  PACED_FRAME_BYTES,
  type FramingStats,
  WAITING_PER_TURN,
} from '../../src/transport/framing-channel.js'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { DeflatedForms, DeflatedMessage, deflate, inflate } from '../../src/transport/framing-deflate.js'
import { MAX_AWARENESS_MESSAGE_BYTES, SYNC_BYTES_BURST, guardLink, noRefusals } from '../../src/transport/peer-guard.js'
import { awarenessMessage as awarenessOf, junkAwarenessUpdate } from '../support/signed-awareness.js'
import { seededRandom } from '../support/seeded-random.js'
import { syncMessage } from '../support/sync-message.js'

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
    expect(parseFramingHello(hello.buffer)).toEqual({ maxBytes: 64 * MIB, deflate: false, answerParts: false })
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
  it('skips the frames of a message its kind’s limit refuses, holding none, and reassembles the next', () => {
    const room = budget()
    const asked: number[] = []
    // Messages starting with 1 (awareness, say) may have at most 1 MiB.
    const fits = (head: Uint8Array, bytes: number): boolean => {
      asked.push(head[0])
      return head[0] !== 1 || bytes <= MIB
    }
    const reassembler = new Reassembler(64 * MIB, room, false, fits)
    const refused = pattern(3 * MIB, 5)
    refused[0] = 1
    const steps = framesOf(refused).map((frame) => reassembler.push(frame).kind)
    expect(steps[0]).toBe('refused')
    expect(steps.slice(1).every((kind) => kind === 'partial')).toBe(true)
    expect([room.usedBytes, reassembler.heldBytes]).toEqual([0, 0])
    const next = pattern(2 * MIB, 6)
    const last = framesOf(next)
      .map((frame) => reassembler.push(frame))
      .at(-1)
    expect(last?.kind === 'message' && Buffer.compare(new Uint8Array(last.data), next)).toBe(0)
    expect(asked).toEqual([1, 0])
  })

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

  it('keeps at most two small frames unsent in a real channel that says when it drained, and counts the queue in bufferedAmount', async () => {
    const [realA, realB] = pair()
    const ctxA = context()
    ctxA.capability.announce(64 * MIB)
    const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
    const got = collect(new FramedChannel(realB as unknown as RTCDataChannel, context()))
    const big = pattern(MIB)
    a.send(big)
    expect(realA.buffered.map((frame) => (frame as ArrayBuffer).byteLength)).toEqual([
      START_HEADER_BYTES + PACED_FRAME_BYTES,
      MORE_HEADER_BYTES + PACED_FRAME_BYTES,
    ])
    expect(a.bufferedAmount).toBeGreaterThanOrEqual(MIB)
    let maxBuffered = 0
    for (let round = 0; round < 1000 && got.length === 0; round++) {
      maxBuffered = Math.max(maxBuffered, realA.bufferedAmount)
      realA.drain()
      await Promise.resolve()
    }
    expect(maxBuffered).toBeLessThanOrEqual(PACED_BUFFER_BYTES)
    expect(Buffer.compare(got[0], big)).toBe(0)
    expect(a.bufferedAmount).toBe(0)
  })

  it('keeps a polled real channel (no bufferedamountlow, as @roamhq/wrtc) under its high-water mark', async () => {
    const [realA, realB] = pair()
    Object.defineProperty(realA, 'onbufferedamountlow', { value: undefined })
    const ctxA = context()
    ctxA.capability.announce(64 * MIB)
    const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
    const got = collect(new FramedChannel(realB as unknown as RTCDataChannel, context()))
    const big = pattern(3 * HIGH_WATER_BYTES)
    a.send(big)
    expect((realA.buffered[0] as ArrayBuffer).byteLength).toBe(START_HEADER_BYTES + FRAME_PAYLOAD_BYTES)
    expect(realA.bufferedAmount).toBeLessThanOrEqual(HIGH_WATER_BYTES + FRAME_PAYLOAD_BYTES + 10)
    expect(a.bufferedAmount).toBeGreaterThanOrEqual(3 * HIGH_WATER_BYTES)
    let maxBuffered = 0
    for (let round = 0; round < 1000 && got.length === 0; round++) {
      maxBuffered = Math.max(maxBuffered, realA.bufferedAmount)
      realA.drain()
      await new Promise((resolve) => setTimeout(resolve, 10)) // the queue polls the buffer every few ms
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

/** Longest wait for deflating or inflating in a test, in ms (Node runs zlib on its thread pool). */
const DEFLATE_WAIT_MS = 20_000
/** How often a waiting test looks again, in ms. */
const POLL_MS = 2

/** Polls until `done()` holds (deflating runs outside the microtask queue), draining the channels between. */
async function settleUntil(done: () => boolean, ...channels: FakeChannel[]): Promise<void> {
  const deadline = Date.now() + DEFLATE_WAIT_MS
  while (!done() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    for (const channel of channels) channel.drain()
  }
  if (!done()) throw new Error('settleUntil: the condition never held')
}

/** Two framed channels over fake ones that both speak deflate, each knowing the other's capability. */
function deflatingPair(options: { senderDeflates?: boolean; receiverDeflates?: boolean; peerAnnounces?: boolean } = {}) {
  const [realA, realB] = pair()
  const ctxA = { ...context(), deflate: options.senderDeflates ?? true }
  const ctxB = { ...context(), deflate: options.receiverDeflates ?? true }
  ctxA.capability.announce(64 * MIB, options.peerAnnounces ?? true)
  const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
  const b = new FramedChannel(realB as unknown as RTCDataChannel, ctxB)
  return { realA, realB, ctxA, ctxB, a, b, got: collect(b) }
}

/** Bytes that deflate well: text-like, as a Yjs document of chat messages is. */
function textLike(length: number): Uint8Array {
  const line = new TextEncoder().encode('message 1234 of the seeded history, by Seeder; ')
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = line[i % line.length]
  bytes[0] = 0 // a y-webrtc sync message
  return bytes
}

/** Bytes that do not deflate: signatures and random ids are like this. */
function noise(length: number, seed = 12): Uint8Array {
  const random = seededRandom(seed)
  const bytes = new Uint8Array(length)
  for (let i = 1; i < length; i++) bytes[i] = Math.floor(random() * 256)
  return bytes
}

describe('deflated frames', () => {
  it('announces deflate and taking answers in parts in a version 2 hello sent before the version 1 one, which older peers take', () => {
    const [features, plain] = encodeFramingHellos(64 * MIB, true, true)
    expect(parseFramingHello(features.buffer)).toEqual({ maxBytes: 64 * MIB, deflate: true, answerParts: true })
    expect(parseFramingHello(plain.buffer)).toEqual({ maxBytes: 64 * MIB, deflate: false, answerParts: false })
    expect(plain).toEqual(encodeFramingHello(64 * MIB)) // byte for byte what version 1 peers parse
    expect(parseFramingHello(encodeFramingHellos(64 * MIB, false)[0].buffer)).toEqual({
      maxBytes: 64 * MIB,
      deflate: false,
      answerParts: false,
    })
    expect(parseFramingHello(encodeFramingHellos(64 * MIB, true)[0].buffer)).toEqual({
      maxBytes: 64 * MIB,
      deflate: true,
      answerParts: false,
    })
    // The deflate bit is where it was: a peer from before answer parts reads it alone.
    expect(features[6] & 1).toBe(1)
    const unknownBits = features.slice()
    unknownBits[6] = 0xfc
    expect(parseFramingHello(unknownBits.buffer)).toEqual({ maxBytes: 64 * MIB, deflate: false, answerParts: false })
    // The first hello settles the capability; the version 1 hello after it changes nothing.
    const capability = new FramingCapability()
    capability.announce(64 * MIB, true, true)
    capability.announce(32 * MIB, false, false)
    expect([capability.peerMaxBytes, capability.peerDeflates, capability.peerTakesAnswerParts]).toEqual([64 * MIB, true, true])
  })

  it('round-trips bytes through deflate, and refuses output past the limit', async () => {
    const message = textLike(2 * MIB)
    const packed = await deflate(message)
    expect(packed.byteLength).toBeLessThan(message.byteLength / 10)
    let reserved = 0
    const back = await inflate(packed, (chunk) => {
      reserved += chunk.byteLength
      return true
    })
    expect(back === null ? -1 : Buffer.compare(back, message)).toBe(0)
    expect(reserved).toBe(message.byteLength)
    let allowed = 0
    const upToOneMib = (chunk: Uint8Array): boolean => {
      allowed += chunk.byteLength
      return allowed <= MIB
    }
    expect(await inflate(packed, upToOneMib)).toBeNull()
    expect(await inflate(Uint8Array.of(0xff, 0xff, 0xff, 0xff), () => true)).toBeNull()
  })

  it('takes a START_DEFLATE frame only on a side that announced deflate, even when its total is small', () => {
    const packed = Uint8Array.of(1, 2, 3)
    expect(new Reassembler(64 * MIB, budget()).push(encodeFrame(packed, 0, true))).toMatchObject({ kind: 'violation' })
    const step = new Reassembler(64 * MIB, budget(), true).push(encodeFrame(packed, 0, true))
    expect(step).toMatchObject({ kind: 'message', deflated: true })
    if (step.kind === 'message') expect(new Uint8Array(step.data)).toEqual(packed)
  })

  it('sends a large message deflated to a peer that inflates, and what follows it arrives after it', async () => {
    const { realA, ctxA, ctxB, a, got } = deflatingPair()
    const big = textLike(3 * MIB)
    const small = pattern(100)
    a.send(big)
    a.send(small) // queued behind the large one while it is deflated
    expect(realA.buffered).toHaveLength(0)
    let frames = 0
    const send = realA.send.bind(realA)
    realA.send = (data) => {
      frames++
      send(data)
    }
    await settleUntil(() => got.length === 2, realA)
    expect(Buffer.compare(got[0], big)).toBe(0)
    expect(got[1]).toEqual(small)
    expect(frames).toBeLessThan(big.byteLength / FRAME_PAYLOAD_BYTES / 10 + 2) // the small message and a few frames
    expect([ctxA.stats.deflatedMessages, ctxB.stats.inflatedMessages]).toEqual([1, 1])
    expect(ctxB.budget.usedBytes).toBe(0)
  })

  it('holds messages that arrive while a deflated one is inflated, and hands them on in order', async () => {
    const { realA, realB, ctxB, a, got } = deflatingPair()
    const big = textLike(2 * MIB)
    const later = [pattern(10, 1), pattern(20, 2), pattern(30, 3)]
    a.send(big)
    await settleUntil(() => ctxB.stats.reassembledMessages === 1 || got.length > 0, realA)
    // The deflated message is in the receiver's hands now; these arrive before it is inflated.
    for (const message of later) realA.send(message)
    realA.drain()
    expect(got).toHaveLength(0)
    await settleUntil(() => got.length === 4, realA, realB)
    expect(Buffer.compare(got[0], big)).toBe(0)
    expect(got.slice(1)).toEqual(later)
  })

  it('sends plain frames to a peer that did not announce deflate, and what does not shrink as it is', async () => {
    for (const [options, message] of [
      [{ peerAnnounces: false }, textLike(MIB)],
      [{ senderDeflates: false }, textLike(MIB)],
      [{}, noise(MIB)],
    ] as const) {
      const { realA, ctxA, a, got } = deflatingPair(options)
      a.send(message)
      await settleUntil(() => got.length === 1, realA)
      expect(Buffer.compare(got[0], message)).toBe(0)
      expect([ctxA.stats.framedMessages, ctxA.stats.deflatedMessages]).toEqual([1, 0])
    }
  })

  it('deflates a message sent again as the same object only once, for every channel of the room', async () => {
    const deflated = new DeflatedForms()
    const big = textLike(2 * MIB)
    const first = deflatingPair()
    Object.assign(first.ctxA, { deflated })
    first.a.send(big)
    await settleUntil(() => first.got.length === 1, first.realA)
    const second = deflatingPair()
    Object.assign(second.ctxA, { deflated })
    second.a.send(big)
    expect(second.realA.buffered.length).toBeGreaterThan(0) // framed at once: nothing to wait for
    await settleUntil(() => second.got.length === 1, second.realA)
    expect(Buffer.compare(second.got[0], big)).toBe(0)
    expect(second.ctxA.stats.deflatedMessages).toBe(1)
  })

  it('sends a message deflated ahead at once, and deflates one asked for by two links while under way only once', async () => {
    const forms = new DeflatedForms()
    const big = textLike(2 * MIB)
    const pending = forms.of(big, big)
    expect(forms.of(big, big)).toBe(pending) // a second link joins the deflate under way
    expect(forms.ready(big)).toBeUndefined()
    const packed = await pending
    expect(forms.ready(big)).toBe(packed)
    expect(packed?.byteLength).toBeLessThan(big.byteLength / 10)
    const { realA, ctxA, a, got } = deflatingPair()
    Object.assign(ctxA, { deflated: forms })
    a.send(big)
    expect(realA.buffered.length).toBeGreaterThan(0) // framed at once: nothing left to deflate
    await settleUntil(() => got.length === 1, realA)
    expect(Buffer.compare(got[0], big)).toBe(0)
    expect(ctxA.stats.deflatedMessages).toBe(1)
    // What does not shrink is remembered as such, and sent as it is.
    const random = noise(MIB)
    expect(await forms.of(random, random)).toBeNull()
    expect(forms.ready(random)).toBeNull()
  })

  it('sends a message held only deflated: deflated frames to a peer that inflates, inflated for one that does not or a stock peer', async () => {
    const big = textLike(200 * 1024) // under a stock stack's 256 KiB, so a stock peer can take it unframed
    const held = new DeflatedMessage(await deflate(big), big.byteLength)
    const small = pattern(100)
    for (const options of [{}, { peerAnnounces: false }]) {
      const { realA, ctxA, a, got } = deflatingPair(options)
      a.sendDeflated(held)
      a.send(small) // waits behind it, inflated or not
      await settleUntil(() => got.length === 2, realA)
      expect(Buffer.compare(got[0], big)).toBe(0)
      expect(got[1]).toEqual(small)
      expect([ctxA.stats.framedMessages, ctxA.stats.deflatedMessages]).toEqual([1, options.peerAnnounces === false ? 0 : 1])
    }
    const [realA, realB] = pair()
    const stock = new FramingCapability()
    stock.startWaiting(0) // never announces framing
    const ctxA = { ...context(stock), deflate: true }
    const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
    const got: Uint8Array[] = []
    realB.onmessage = (event) => got.push(new Uint8Array(event.data as ArrayBuffer))
    a.sendDeflated(held)
    a.send(small)
    await settleUntil(() => got.length === 2, realA)
    expect(Buffer.compare(got[0], big)).toBe(0) // one plain message, as y-webrtc would send it
    expect(got[1]).toEqual(small)
    expect(ctxA.stats).toMatchObject({ framedMessages: 0, deflatedMessages: 0 })
    // Bytes that do not inflate to the message are dropped, and what follows still goes.
    a.sendDeflated(new DeflatedMessage(Uint8Array.of(0xff, 0xff), big.byteLength))
    a.send(small)
    await settleUntil(() => got.length === 3, realA)
    expect(got[2]).toEqual(small)
    expect(ctxA.stats.droppedMessages).toBe(1)
  })

  it('lets the room answer a message itself instead of handing it on', () => {
    const [realA, realB] = pair()
    const question = Uint8Array.of(0, 0, 1, 0)
    const answer = pattern(50)
    const ctxB = {
      ...context(),
      answer: (data: unknown) => (Buffer.compare(new Uint8Array(data as ArrayBuffer), question) === 0 ? { messages: [answer] } : null),
    }
    const b = new FramedChannel(realB as unknown as RTCDataChannel, ctxB)
    const atB = collect(b)
    const atA = collect(new FramedChannel(realA as unknown as RTCDataChannel, context()))
    realA.send(question)
    realA.send(pattern(10))
    realA.drain()
    expect(atB).toEqual([pattern(10)])
    realB.drain()
    expect(atA).toEqual([answer])
  })

  it('answers a peer whose hello says it takes answers in parts with them, an older Parley peer with its own, waiting for the hello', async () => {
    const question = Uint8Array.of(0, 0, 1, 0)
    const parts = [pattern(200 * 1024, 1), pattern(200 * 1024, 2), pattern(200 * 1024, 3)]
    const merged = pattern(600 * 1024, 4)
    const run = async (hello: 'parts' | 'older' | 'none', at: 'before' | 'after') => {
      const [realA, realB] = pair()
      let askedForOlder = 0
      const ctxB = {
        ...context(),
        answer: (data: unknown) =>
          Buffer.compare(new Uint8Array(data as ArrayBuffer), question) === 0
            ? {
                messages: parts,
                forOlderPeers: () => {
                  askedForOlder++
                  return [merged]
                },
              }
            : null,
      }
      const b = new FramedChannel(realB as unknown as RTCDataChannel, ctxB)
      collect(b)
      const atA = collect(new FramedChannel(realA as unknown as RTCDataChannel, context()))
      const announce = (): void => {
        if (hello === 'parts') ctxB.capability.announce(64 * MIB, false, true)
        else if (hello === 'older') ctxB.capability.announce(64 * MIB, false)
      }
      if (at === 'before') announce()
      realA.send(question)
      realA.drain()
      b.send(pattern(10, 5)) // sent by y-webrtc after the answer: it stays behind it
      if (at === 'after') {
        expect(realB.buffered).toHaveLength(0) // the answer waits for the hello, and what follows it too
        // A stock peer: no hello ever.
        if (hello === 'none') vi.advanceTimersByTime(CAPABILITY_WAIT_MS)
        else announce()
      }
      await settle(realB)
      return { got: atA, askedForOlder }
    }
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    try {
      for (const at of ['before', 'after'] as const) {
        const withParts = await run('parts', at)
        expect(withParts.got.map((message) => message.byteLength)).toEqual([...parts.map((part) => part.byteLength), 10])
        expect(withParts.askedForOlder).toBe(0)
        const older = await run('older', at) // on main: the parts, which an older Parley peer counts past the first two
        expect(older.got.map((message) => message.byteLength)).toEqual([merged.byteLength, 10])
        expect(older.askedForOlder).toBe(1)
      }
      // A stock peer applies each step 2 as it comes: the parts (a stock stack takes each whole).
      const stock = await run('none', 'after')
      expect(stock.got.map((message) => message.byteLength)).toEqual([...parts.map((part) => part.byteLength), 10])
    } finally {
      vi.useRealTimers()
    }
  })

  it('sends an answer that is the same for every peer at once, before the peer’s hello', () => {
    const [realA, realB] = pair()
    const ctxB = { ...context(), answer: () => ({ messages: [pattern(50)] }) }
    const b = new FramedChannel(realB as unknown as RTCDataChannel, ctxB)
    collect(b)
    collect(new FramedChannel(realA as unknown as RTCDataChannel, context()))
    realA.send(Uint8Array.of(0, 0, 1, 0))
    realA.drain()
    expect(realB.buffered).toHaveLength(1) // a stock joiner of a small room waits for nothing
  })

  it('drops the link when a deflated message is not deflate data or inflates past the limit, and frees the budget', async () => {
    const bomb = await deflate(new Uint8Array(8 * MIB))
    for (const packed of [Uint8Array.of(0xff, 0xfe, 0xfd, 0xfc), bomb]) {
      const [realA, realB] = pair()
      const ctxB = { ...context(), deflate: true, maxMessageBytes: 4 * MIB }
      const b = new FramedChannel(realB as unknown as RTCDataChannel, ctxB)
      const got = collect(b)
      realA.send(encodeFrame(packed, 0, true))
      realA.drain()
      await settleUntil(() => b.readyState === 'closed')
      expect(ctxB.stats.violations).toBe(1)
      expect(ctxB.budget.usedBytes).toBe(0)
      expect(got).toHaveLength(0)
    }
  })
})

describe('huge updates through framing and the peer guard', () => {
  /** A document of a new writer holding `chars` characters of text, as one Yjs update. */
  function writing(chars: number): Uint8Array {
    const doc = new Y.Doc()
    doc.getText('flood').insert(0, 'x'.repeat(chars))
    return Y.encodeStateAsUpdate(doc)
  }
  /** A receiving framed channel guarded as a room guards its links, whose admitted sync messages y-protocols applies to `doc`. */
  function guardedPair() {
    const [realA, realB] = pair()
    const ctxA = { ...context(), deflate: true }
    const a = new FramedChannel(realA as unknown as RTCDataChannel, ctxA)
    const refused = noRefusals()
    let dropped = 0
    const guard = guardLink(() => 0, refused, { onOversized: () => dropped++ })
    // The most bytes the receiver held at once, reassembling or inflating.
    let peakBytes = 0
    let usedBytes = 0
    const held: ReassemblyBudget = {
      maxBytes: 128 * MIB,
      get usedBytes() {
        return usedBytes
      },
      set usedBytes(bytes: number) {
        usedBytes = bytes
        peakBytes = Math.max(peakBytes, bytes)
      },
    }
    const ctxB = { ...context(), budget: held, deflate: true, admit: guard.admit, sent: guard.sent, fits: guard.fits }
    const b = new FramedChannel(realB as unknown as RTCDataChannel, ctxB)
    const doc = new Y.Doc()
    const awareness: Uint8Array[] = []
    b.binaryType = 'arraybuffer'
    b.onmessage = (event) => {
      const message = new Uint8Array((event as MessageEvent<ArrayBuffer>).data)
      const decoder = decoding.createDecoder(message)
      const type = decoding.readVarUint(decoder)
      if (type === 0) syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, 'peer')
      else if (type === 1) awareness.push(message)
    }
    let wireBytes = 0
    const send = realA.send.bind(realA)
    realA.send = (data) => {
      wireBytes += typeof data === 'string' ? data.length : data.byteLength
      send(data)
    }
    ctxA.capability.announce(64 * MIB, true)
    return {
      realA,
      realB,
      ctxA,
      ctxB,
      a,
      b,
      doc,
      awareness,
      refused,
      dropped: () => dropped,
      wireBytes: () => wireBytes,
      peakBytes: () => peakBytes,
    }
  }
  const chars = (doc: Y.Doc): number => doc.getText('flood').length
  const BIG = 6 * MIB // over SYNC_BYTES_BURST, far under the framing limit (64 MiB)

  it('refuses an update past the byte budget that arrives as a few KiB of deflated frames, and drops the link', async () => {
    const { realA, ctxB, a, b, doc, refused, dropped, wireBytes, peakBytes } = guardedPair()
    for (let i = 0; i < 3; i++) a.send(syncMessage(2, writing(BIG)))
    await settleUntil(() => ctxB.stats.refusedMessages === 3, realA)
    expect(b.readyState).toBe('open') // within framing's limits: only the guard can tell, and its owner drops the link
    expect(wireBytes()).toBeLessThan(3 * 64 * 1024) // each 6 MiB update crossed as one small deflated frame
    expect(chars(doc)).toBe(0) // on main: 18 MiB of text applied
    expect([refused.oversized, dropped()]).toEqual([3, 1])
    // Inflation stopped at the budget: never the whole 6 MiB held.
    expect(ctxB.stats.inflatedMessages).toBe(0)
    expect(peakBytes()).toBeLessThanOrEqual(SYNC_BYTES_BURST + 16)
  })

  it('takes a whole history in answer to our first request, and no more past the budget', async () => {
    const { realA, ctxB, a, b, doc, refused, dropped } = guardedPair()
    const held = new Y.Doc()
    held.getArray('messages').push(['one this side holds'])
    b.send(syncMessage(0, Y.encodeStateVector(held))) // y-webrtc's request as the link opens (a fresh one frees more: peer-guard.test.ts)
    realA.peer?.drain()
    a.send(syncMessage(1, writing(BIG))) // the history
    a.send(syncMessage(1, writing(1000))) // a change within the budget
    await settleUntil(() => chars(doc) === BIG + 1000, realA)
    expect(ctxB.stats.refusedMessages).toBe(0)
    a.send(syncMessage(1, writing(BIG))) // unasked for
    await settleUntil(() => ctxB.stats.refusedMessages === 1, realA) // stopped while it was inflated
    expect(chars(doc)).toBe(BIG + 1000) // on main: 2 × 6 MiB + 1000
    expect([refused.oversized, dropped()]).toEqual([1, 1])
  })

  it('refuses an awareness message past its cap while inflating it, never holding more than the cap, and drops the link', async () => {
    const { realA, ctxB, a, b, awareness, refused, dropped, wireBytes, peakBytes } = guardedPair()
    a.send(awarenessOf(junkAwarenessUpdate(16 * MIB)))
    await settleUntil(() => ctxB.stats.refusedMessages === 1, realA) // on main: inflated, 16 MiB handed to y-webrtc
    expect(wireBytes()).toBeLessThan(64 * 1024)
    expect(awareness).toHaveLength(0)
    expect(ctxB.stats.inflatedMessages).toBe(0)
    expect(peakBytes()).toBeLessThanOrEqual(MAX_AWARENESS_MESSAGE_BYTES)
    expect([refused['oversized-awareness'], dropped()]).toEqual([1, 1])
    expect(ctxB.budget.usedBytes).toBe(0)
    expect(b.readyState).toBe('open') // the guard's owner drops the link, framing stays in step
  })

  it('refuses a plain framed awareness message past its cap at its first frame, and holds none of its frames', async () => {
    const { realA, ctxA, ctxB, a, awareness, refused, dropped, peakBytes } = guardedPair()
    ctxA.deflate = false
    const message = awarenessOf(junkAwarenessUpdate(2 * MAX_AWARENESS_MESSAGE_BYTES))
    a.send(message)
    await settleUntil(() => ctxA.stats.framedMessages === 1, realA)
    realA.drain()
    expect(awareness).toHaveLength(0) // on main: reassembled and handed on
    expect([ctxB.stats.refusedMessages, ctxB.stats.reassembledMessages, ctxB.stats.violations]).toEqual([1, 0, 0])
    expect(peakBytes()).toBe(0)
    expect([refused['oversized-awareness'], dropped()]).toEqual([1, 1])
  })

  it('lets awareness up to its cap through framing, deflated or not', async () => {
    for (const deflated of [true, false]) {
      const { realA, ctxA, a, awareness, refused } = guardedPair()
      ctxA.deflate = deflated
      const message = awarenessOf(junkAwarenessUpdate(MAX_AWARENESS_MESSAGE_BYTES - 64))
      a.send(message)
      await settleUntil(() => awareness.length === 1, realA)
      expect(Buffer.compare(awareness[0], message)).toBe(0)
      expect(refused['oversized-awareness']).toBe(0)
    }
  })
})

describe('a message handed on in slices', () => {
  /** A framed channel whose messages are cut a byte a slice, its turns run when the test says. */
  function slicing() {
    const [realA, realB] = pair()
    const turns: Array<() => void> = []
    const orphaned: number[] = []
    const channel = new FramedChannel(realB as unknown as RTCDataChannel, {
      ...context(),
      slice: (data) => [...new Uint8Array(data as ArrayBuffer)].map((byte) => () => Uint8Array.of(byte).buffer),
      turn: (run) => turns.push(run),
      orphaned: (data) => orphaned.push(new Uint8Array(data as ArrayBuffer)[0]),
    })
    return { realA, realB, turns, orphaned, got: collect(channel) }
  }

  it('hands none of it on in the task it arrived in: each slice in a turn of its own, in order', () => {
    const { realA, turns, got } = slicing()
    realA.send(Uint8Array.of(1, 2, 3))
    realA.drain()
    expect(got).toHaveLength(0) // on main: the first slice in the arrival's task
    expect(turns).toHaveLength(3)
    for (const run of turns.splice(0)) run()
    expect(got.map((message) => [...message])).toEqual([[1], [2], [3]])
  })

  it('applies the rest through `orphaned` when the link closes between slices', () => {
    const { realA, realB, turns, orphaned, got } = slicing()
    realA.send(Uint8Array.of(1, 2, 3))
    realA.drain()
    turns.shift()?.()
    realB.close()
    for (const run of turns.splice(0)) run()
    expect(got.map((message) => [...message])).toEqual([[1]])
    expect(orphaned).toEqual([2, 3]) // on main: dropped
  })

  it('hands on the messages that waited behind it WAITING_PER_TURN a turn, in order', () => {
    const { realA, turns, got } = slicing()
    const waiting = Array.from({ length: 3 * WAITING_PER_TURN + 2 }, (_, k) => 10 + k)
    realA.send(Uint8Array.of(1, 2, 3))
    for (const byte of waiting) realA.send(Uint8Array.of(byte)) // one byte: not cut
    realA.drain()
    const perTurn: number[] = []
    while (turns.length > 0) {
      const before = got.length
      turns.shift()?.()
      perTurn.push(got.length - before)
    }
    expect(got.map((message) => [...message])).toEqual([[1], [2], [3], ...waiting.map((byte) => [byte])])
    // The last slice's turn hands on its slice and WAITING_PER_TURN of those that waited; main: 51, its slice and all 50.
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(WAITING_PER_TURN + 1)
  })
})
