// Framing of large data-channel messages: cut into chunks every WebRTC stack accepts, and put
// back together on the other side. Pure encoding, parsing and reassembly; framing-channel.ts does the I/O.
//
// Wire format, on y-webrtc's own data channel and only towards peers that announced support:
//   byte 0     FRAME_MAGIC (0xF7). y-webrtc messages start with a varuint message type below
//              0x80, so an unframed y-webrtc message never starts with it.
//   byte 1     FRAME_START (1), FRAME_MORE (2) or FRAME_START_DEFLATE (3)
//   START      bytes 2..9: total length of the message in bytes, unsigned 64-bit big-endian,
//              then the first payload bytes
//   START_DEFLATE  as START, but the payload (of the total length) is the message compressed
//              with raw deflate (RFC 1951); sent only to peers that announced FEATURE_DEFLATE
//   MORE       bytes 2..: the next payload bytes
// A message is complete when its payload adds up to its total. The frames of one message are
// sent back to back on an ordered, reliable channel, so no message id is needed. Messages of at
// most MAX_UNFRAMED_BYTES are sent as they are, byte-identical to stock y-webrtc.
//
// Capability: each side opens a negotiated channel (id FRAMING_CHANNEL_ID) and sends on it, when
// it opens, two binary frames: first the version 2 hello, FRAME_MAGIC, 2, the largest message
// it reassembles in bytes (unsigned 32-bit big-endian), then a byte of feature bits (7 bytes in
// all; FEATURE_DEFLATE = 1: it inflates START_DEFLATE messages; FEATURE_ANSWER_PARTS = 2: it takes
// the answer to its fresh sync request in parts of any number); then the version 1 hello, the
// same without the feature byte (6 bytes). A peer takes the first hello it understands and
// ignores the rest: framing version 1 peers (before compression) skip the 7-byte frame as
// garbage and never receive START_DEFLATE.
// Stock y-webrtc peers never open that channel, so they never hear it and are never sent frames.

/** First byte of every frame. */
export const FRAME_MAGIC = 0xf7
/** Second byte of the first frame of a message. */
export const FRAME_START = 1
/** Second byte of every further frame of a message. */
export const FRAME_MORE = 2
/** Second byte of the first frame of a message whose payload is deflated. */
export const FRAME_START_DEFLATE = 3
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
/** Version of the framing before compression (its hello has no feature byte). */
export const FRAMING_VERSION = 1
/** Version of the framing with feature bits. */
export const FRAMING_VERSION_FEATURES = 2
/** Feature bit: this side inflates START_DEFLATE messages. */
export const FEATURE_DEFLATE = 1
/**
 * Feature bit: this side's peer guard frees every sync step 2 answering its fresh sync request
 * from the link's byte budget (up to a bound: peer-guard.ts FRESH_ANSWER_BYTES), so the answer may
 * come in parts of any number, each small (answer-parts.ts). Older Parley peers free the first two
 * and count the rest; they ignore this bit.
 */
export const FEATURE_ANSWER_PARTS = 2
/** Bytes of a version 1 capability frame. */
const HELLO_BYTES = 6
/** Bytes of a version 2 capability frame (a feature byte more). */
const HELLO_FEATURES_BYTES = 7

/** What a peer's capability frame announces. */
export interface FramingHello {
  /** Largest message the peer reassembles, in bytes. */
  maxBytes: number
  /** Whether the peer inflates START_DEFLATE messages. */
  deflate: boolean
  /** Whether the peer takes the answer to its fresh sync request in parts of any number (FEATURE_ANSWER_PARTS). */
  answerParts: boolean
}

/**
 * This side's capability frames, in the order they are sent: the version 2 hello with its
 * feature bits, then the version 1 hello for peers that predate it.
 */
export function encodeFramingHellos(maxMessageBytes: number, deflate: boolean, answerParts = false): Uint8Array<ArrayBuffer>[] {
  const features = new Uint8Array(HELLO_FEATURES_BYTES)
  features.set(encodeFramingHello(maxMessageBytes))
  features[1] = FRAMING_VERSION_FEATURES
  features[6] = (deflate ? FEATURE_DEFLATE : 0) | (answerParts ? FEATURE_ANSWER_PARTS : 0)
  return [features, encodeFramingHello(maxMessageBytes)]
}

/** Encodes this side's version 1 capability frame. */
export function encodeFramingHello(maxMessageBytes: number): Uint8Array<ArrayBuffer> {
  const hello = new Uint8Array(HELLO_BYTES)
  hello[0] = FRAME_MAGIC
  hello[1] = FRAMING_VERSION
  new DataView(hello.buffer).setUint32(2, maxMessageBytes)
  return hello
}

/** What a peer's capability frame (of either version) announces; null for anything malformed or of another version. */
export function parseFramingHello(data: unknown): FramingHello | null {
  if (!(data instanceof ArrayBuffer)) return null
  const view = new DataView(data)
  const version =
    data.byteLength === HELLO_BYTES ? FRAMING_VERSION : data.byteLength === HELLO_FEATURES_BYTES ? FRAMING_VERSION_FEATURES : null
  if (version === null || view.getUint8(0) !== FRAME_MAGIC || view.getUint8(1) !== version) return null
  const maxBytes = view.getUint32(2)
  if (maxBytes <= MAX_UNFRAMED_BYTES) return null
  // Unknown feature bits are ignored: a later version may add some.
  const features = version === FRAMING_VERSION_FEATURES ? view.getUint8(6) : 0
  return { maxBytes, deflate: (features & FEATURE_DEFLATE) !== 0, answerParts: (features & FEATURE_ANSWER_PARTS) !== 0 }
}

/** Whether a message must be framed to reach a framing peer (too big, or looks like a frame). */
export function needsFraming(message: Uint8Array): boolean {
  return message.byteLength > MAX_UNFRAMED_BYTES || message[0] === FRAME_MAGIC
}

/** Whether raw bytes from the channel are a frame rather than an unframed message. */
export function isFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] === FRAME_MAGIC
}

/**
 * The frame carrying `message` from byte `offset` on, at most `payloadBytes` of it (any size up to
 * FRAME_PAYLOAD_BYTES: the receiver takes frames of any length); `deflated` marks a message that
 * is the deflated form of the one sent (START_DEFLATE).
 */
export function encodeFrame(
  message: Uint8Array,
  offset: number,
  deflated = false,
  payloadBytes = FRAME_PAYLOAD_BYTES,
): Uint8Array<ArrayBuffer> {
  const start = offset === 0
  const header = start ? START_HEADER_BYTES : MORE_HEADER_BYTES
  const payload = message.subarray(offset, offset + Math.min(payloadBytes, FRAME_PAYLOAD_BYTES))
  const frame = new Uint8Array(header + payload.byteLength)
  frame[0] = FRAME_MAGIC
  frame[1] = start ? (deflated ? FRAME_START_DEFLATE : FRAME_START) : FRAME_MORE
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

/**
 * What one frame did to a reassembly; a message's `deflated` data must be inflated before use.
 * `refused`: the message's first frame showed it too large for its kind (see `Fits`); its frames
 * are skipped, each a `partial`, without holding a byte.
 */
export type ReassemblyStep =
  | { kind: 'partial' }
  | { kind: 'message'; data: ArrayBuffer; deflated: boolean }
  | { kind: 'violation' }
  | { kind: 'refused' }

/**
 * Whether a message beginning with `head` (at least one byte) and of `bytes` bytes may still be
 * taken: a limit by the message's kind, which the link's filter knows (peer-guard.ts); false
 * refuses it, and the filter counts why.
 */
export type Fits = (head: Uint8Array, bytes: number) => boolean

/** Puts the frames of one link back together, within its own limit and the room's budget. */
export class Reassembler {
  #maxMessageBytes: number
  #budget: ReassemblyBudget
  #parts: Uint8Array<ArrayBuffer>[] = []
  #expected = 0
  #received = 0
  #active = false
  #deflated = false
  /** Whether the message in progress was refused: its payload is counted, not held. */
  #skipping = false
  #acceptDeflate: boolean
  #fits: Fits | undefined

  /**
   * `acceptDeflate`: this side announced FEATURE_DEFLATE (a START_DEFLATE frame is a violation
   * otherwise); `fits`: asked with a plain message's first payload bytes and its total before any
   * of it is held (a deflated message's kind shows only as it is inflated).
   */
  constructor(maxMessageBytes: number, budget: ReassemblyBudget, acceptDeflate = false, fits?: Fits) {
    this.#maxMessageBytes = maxMessageBytes
    this.#budget = budget
    this.#acceptDeflate = acceptDeflate
    this.#fits = fits
  }

  /** Bytes of the message in progress held so far. */
  get heldBytes(): number {
    return this.#received
  }

  /** Takes one frame (`isFrame(frame)` holds); a violation means the link must be dropped. */
  push(frame: Uint8Array): ReassemblyStep {
    const kind = frame[1]
    const deflated = kind === FRAME_START_DEFLATE
    if (kind === FRAME_START || (deflated && this.#acceptDeflate)) {
      if (this.#active) return this.#fail() // a new message before the last one ended
      if (frame.byteLength < START_HEADER_BYTES) return this.#fail()
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
      const total = view.getUint32(2) * 2 ** 32 + view.getUint32(6)
      if (total > this.#maxMessageBytes) return this.#fail() // more than we take: refused before holding a byte
      if (!deflated && total <= MAX_UNFRAMED_BYTES && frame[START_HEADER_BYTES] !== FRAME_MAGIC) {
        return this.#fail() // a small message that needed no framing (a deflated one may be small)
      }
      this.#active = true
      this.#deflated = deflated
      this.#expected = total
      const payload = frame.subarray(START_HEADER_BYTES)
      if (!deflated && payload.byteLength > 0 && this.#fits?.(payload, total) === false) {
        this.#skipping = true
        const step = this.#take(payload)
        return step.kind === 'violation' ? step : { kind: 'refused' }
      }
      return this.#take(payload)
    }
    if (kind === FRAME_MORE) {
      if (!this.#active) return this.#fail() // a continuation without a start
      return this.#take(frame.subarray(MORE_HEADER_BYTES))
    }
    return this.#fail()
  }

  /** Lets go of a partial message (the link closed). */
  reset(): void {
    if (!this.#skipping) this.#budget.usedBytes -= this.#received
    this.#skipping = false
    this.#parts = []
    this.#expected = 0
    this.#received = 0
    this.#active = false
    this.#deflated = false
  }

  #take(payload: Uint8Array): ReassemblyStep {
    if (payload.byteLength === 0) return this.#fail()
    if (this.#received + payload.byteLength > this.#expected) return this.#fail() // more than announced
    if (this.#skipping) {
      this.#received += payload.byteLength
      if (this.#received === this.#expected) this.reset()
      return { kind: 'partial' }
    }
    if (this.#budget.usedBytes + payload.byteLength > this.#budget.maxBytes) return this.#fail() // the room's budget is spent
    // Copy: the frame's buffer belongs to the channel's event, and may be a view of a larger one.
    this.#parts.push(payload.slice())
    this.#received += payload.byteLength
    this.#budget.usedBytes += payload.byteLength
    if (this.#received < this.#expected) return { kind: 'partial' }
    const data = concat(this.#parts, this.#expected)
    const deflated = this.#deflated
    this.reset()
    return { kind: 'message', data, deflated }
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
