// Framing of large data-channel messages: cut into chunks every WebRTC stack accepts, and put
// back together on the other side. Pure encoding, parsing and reassembly; framing-channel.ts does the I/O.
//
// Wire format, on y-webrtc's own data channel and only towards peers that announced support:
//   byte 0     FRAME_MAGIC (0xF7). y-webrtc messages start with a varuint message type below
//              0x80, so an unframed y-webrtc message never starts with it.
//   byte 1     FRAME_START (1) or FRAME_MORE (2)
//   START      bytes 2..9: total length of the message in bytes, unsigned 64-bit big-endian,
//              then the first payload bytes
//   MORE       bytes 2..: the next payload bytes
// A message is complete when its payload adds up to its total. The frames of one message are
// sent back to back on an ordered, reliable channel, so no message id is needed. Messages of at
// most MAX_UNFRAMED_BYTES are sent as they are, byte-identical to stock y-webrtc.
//
// Capability: each side opens a negotiated channel (id FRAMING_CHANNEL_ID) and sends one binary
// frame on it when it opens: FRAME_MAGIC, FRAMING_VERSION, then the largest message it
// reassembles in bytes, unsigned 32-bit big-endian (6 bytes in all).
// Stock y-webrtc peers never open that channel, so they never hear it and are never sent frames.

/** First byte of every frame. */
export const FRAME_MAGIC = 0xf7
/** Second byte of the first frame of a message. */
export const FRAME_START = 1
/** Second byte of every further frame of a message. */
export const FRAME_MORE = 2
/** Header bytes of a START frame (magic, kind, 64-bit length). */
export const START_HEADER_BYTES = 10
/** Header bytes of a MORE frame (magic, kind). */
export const MORE_HEADER_BYTES = 2
/** Payload bytes per frame: far below the 256 KiB every WebRTC stack accepts in one message. */
export const FRAME_PAYLOAD_BYTES = 64 * 1024
/** Largest message sent unframed, in bytes; anything larger is framed for peers that can take it. */
export const MAX_UNFRAMED_BYTES = FRAME_PAYLOAD_BYTES
/** Largest message this side reassembles, in bytes; a peer announcing more is dropped. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024
/** SCTP stream id of the capability channel; next to the liveness channel's 500. */
export const FRAMING_CHANNEL_ID = 501
/** Label of the capability channel. */
export const FRAMING_CHANNEL_LABEL = 'parley-framing'
/** Version of the framing this module speaks. */
export const FRAMING_VERSION = 1
/** Bytes of a capability frame. */
const HELLO_BYTES = 6

/** Encodes this side's capability frame. */
export function encodeFramingHello(maxMessageBytes: number): Uint8Array<ArrayBuffer> {
  const hello = new Uint8Array(HELLO_BYTES)
  hello[0] = FRAME_MAGIC
  hello[1] = FRAMING_VERSION
  new DataView(hello.buffer).setUint32(2, maxMessageBytes)
  return hello
}

/** The largest message a peer's capability frame announces; null for anything malformed or of another version. */
export function parseFramingHello(data: unknown): number | null {
  if (!(data instanceof ArrayBuffer) || data.byteLength !== HELLO_BYTES) return null
  const view = new DataView(data)
  const max = view.getUint32(2)
  return view.getUint8(0) === FRAME_MAGIC && view.getUint8(1) === FRAMING_VERSION && max > MAX_UNFRAMED_BYTES ? max : null
}

/** Whether a message must be framed to reach a framing peer (too big, or looks like a frame). */
export function needsFraming(message: Uint8Array): boolean {
  return message.byteLength > MAX_UNFRAMED_BYTES || message[0] === FRAME_MAGIC
}

/** Whether raw bytes from the channel are a frame rather than an unframed message. */
export function isFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] === FRAME_MAGIC
}

/** The frame carrying `message` from byte `offset` on, at most FRAME_PAYLOAD_BYTES of it. */
export function encodeFrame(message: Uint8Array, offset: number): Uint8Array<ArrayBuffer> {
  const start = offset === 0
  const header = start ? START_HEADER_BYTES : MORE_HEADER_BYTES
  const payload = message.subarray(offset, offset + FRAME_PAYLOAD_BYTES)
  const frame = new Uint8Array(header + payload.byteLength)
  frame[0] = FRAME_MAGIC
  frame[1] = start ? FRAME_START : FRAME_MORE
  if (start) {
    const view = new DataView(frame.buffer)
    view.setUint32(2, Math.floor(message.byteLength / 2 ** 32))
    view.setUint32(6, message.byteLength >>> 0)
  }
  frame.set(payload, header)
  return frame
}

/** Bytes held by every reassembly of one room, so many links together stay bounded too. */
export interface ReassemblyBudget {
  usedBytes: number
  readonly maxBytes: number
}

/** What one frame did to a reassembly. */
export type ReassemblyStep = { kind: 'partial' } | { kind: 'message'; data: ArrayBuffer } | { kind: 'violation' }

/** Puts the frames of one link back together, within its own limit and the room's budget. */
export class Reassembler {
  #maxMessageBytes: number
  #budget: ReassemblyBudget
  #parts: Uint8Array<ArrayBuffer>[] = []
  #expected = 0
  #received = 0
  #active = false

  constructor(maxMessageBytes: number, budget: ReassemblyBudget) {
    this.#maxMessageBytes = maxMessageBytes
    this.#budget = budget
  }

  /** Bytes of the message in progress held so far. */
  get heldBytes(): number {
    return this.#received
  }

  /** Takes one frame (`isFrame(frame)` holds); a violation means the link must be dropped. */
  push(frame: Uint8Array): ReassemblyStep {
    const kind = frame[1]
    if (kind === FRAME_START) {
      if (this.#active) return this.#fail() // a new message before the last one ended
      if (frame.byteLength < START_HEADER_BYTES) return this.#fail()
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
      const total = view.getUint32(2) * 2 ** 32 + view.getUint32(6)
      if (total > this.#maxMessageBytes) return this.#fail() // more than we take: refused before holding a byte
      if (total <= MAX_UNFRAMED_BYTES && frame[START_HEADER_BYTES] !== FRAME_MAGIC) {
        return this.#fail() // a small message that needed no framing
      }
      this.#active = true
      this.#expected = total
      return this.#take(frame.subarray(START_HEADER_BYTES))
    }
    if (kind === FRAME_MORE) {
      if (!this.#active) return this.#fail() // a continuation without a start
      return this.#take(frame.subarray(MORE_HEADER_BYTES))
    }
    return this.#fail()
  }

  /** Lets go of a partial message (the link closed). */
  reset(): void {
    this.#budget.usedBytes -= this.#received
    this.#parts = []
    this.#expected = 0
    this.#received = 0
    this.#active = false
  }

  #take(payload: Uint8Array): ReassemblyStep {
    if (payload.byteLength === 0) return this.#fail()
    if (this.#received + payload.byteLength > this.#expected) return this.#fail() // more than announced
    if (this.#budget.usedBytes + payload.byteLength > this.#budget.maxBytes) return this.#fail() // the room's budget is spent
    // Copy: the frame's buffer belongs to the channel's event, and may be a view of a larger one.
    this.#parts.push(payload.slice())
    this.#received += payload.byteLength
    this.#budget.usedBytes += payload.byteLength
    if (this.#received < this.#expected) return { kind: 'partial' }
    const data = concat(this.#parts, this.#expected)
    this.reset()
    return { kind: 'message', data }
  }

  #fail(): ReassemblyStep {
    this.reset()
    return { kind: 'violation' }
  }
}

function concat(parts: readonly Uint8Array<ArrayBuffer>[], total: number): ArrayBuffer {
  if (parts.length === 1) return parts[0].buffer // a copy of its own (see #take)
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out.buffer
}
