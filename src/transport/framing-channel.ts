// A data channel that frames large messages (see framing-protocol.ts) around a real one: it
// queues, cuts and paces what is sent by the real channel's buffer, and reassembles what arrives.
import { nextTask } from '../tasks/index.js'
import { DeflatedForms, DeflatedMessage, inflate } from './framing-deflate.js'
import {
  FRAME_PAYLOAD_BYTES,
  MAX_MESSAGE_BYTES,
  START_HEADER_BYTES,
  Reassembler,
  encodeFrame,
  isFrame,
  needsFraming,
  type Fits,
  type ReassemblyBudget,
} from './framing-protocol.js'

/**
 * Bytes a real channel without a `bufferedamountlow` event (Node's wrtc) may hold in its send buffer
 * before the queue waits (Chromium closes a channel at 16 MiB).
 */
export const HIGH_WATER_BYTES = 4 * 1024 * 1024
/** Buffer level at which sending resumes on such a channel, in bytes. */
const LOW_WATER_BYTES = 1024 * 1024
/**
 * Payload bytes of a frame sent on a channel that says when its buffer drained (browsers,
 * node-datachannel), kept small with PACED_BUFFER_BYTES: what a channel holds unsent, SCTP sends
 * in one burst, and a Chromium receiver's UDP socket buffer (128 KiB, which no page can raise)
 * overflowed under bursts of 64 KiB frames: 100–900 packets lost in a 10,000-message join, and a
 * lost tail waits for SCTP's retransmission timer (0.4 s and more). BENCHMARKS.md, History sync,
 * "Eighteenth session".
 */
export const PACED_FRAME_BYTES = 16 * 1024
/** Most bytes such a channel is given to hold unsent: two frames, so it has the next while the page hears it drained. */
export const PACED_BUFFER_BYTES = 2 * (PACED_FRAME_BYTES + START_HEADER_BYTES)
/** How often the buffer is checked where the real channel has no `bufferedamountlow` event (Node's wrtc), in ms. */
const DRAIN_POLL_MS = 5
/** How long a large message waits for the peer's capability frame before it is sent unframed, in ms. */
export const CAPABILITY_WAIT_MS = 2000
/** First bytes of an inflating message that `fits` is shown (y-webrtc's message and sync types take two). */
const HEAD_BYTES = 2
/**
 * Messages that waited behind one being inflated or handed on in slices that are handed on in one
 * task, at most; the rest in the turns after (the room's: one a task). Each is applied whole: a
 * flood's messages that piled up behind a large one were all applied in its last slice's task
 * (28 ms of CPU in a traced flood; BENCHMARKS.md, Flood, "Fifteenth session").
 */
export const WAITING_PER_TURN = 16

/** Whether the peer of one connection reassembles frames, as far as this side knows. */
export class FramingCapability {
  /** 'unknown' until the peer's capability frame arrives or CAPABILITY_WAIT_MS pass after the channel opened. */
  state: 'unknown' | 'framing' | 'stock' = 'unknown'
  /** Largest message the peer reassembles, in bytes (when `state` is 'framing'). */
  peerMaxBytes = 0
  /** Whether the peer inflates deflated messages (when `state` is 'framing'). */
  peerDeflates = false
  /** Whether the peer takes the answer to its fresh sync request in parts of any number (FEATURE_ANSWER_PARTS; when `state` is 'framing'). */
  peerTakesAnswerParts = false
  #listeners: Array<() => void> = []
  #waiting = false

  /** The peer announced framing; only its first announcement counts (it sends one per framing version). */
  announce(maxBytes: number, deflates = false, takesAnswerParts = false): void {
    if (this.state === 'framing') return
    this.peerMaxBytes = maxBytes
    this.peerDeflates = deflates
    this.peerTakesAnswerParts = takesAnswerParts
    this.#settle('framing')
  }

  /** Starts the wait for the peer's announcement (called when the data channel opens). */
  startWaiting(waitMs = CAPABILITY_WAIT_MS): void {
    if (this.#waiting) return
    this.#waiting = true
    setTimeout(() => {
      if (this.state === 'unknown') this.#settle('stock')
    }, waitMs)
  }

  /** Calls `listener` once, when the state becomes known (it checks itself whether it is still wanted). */
  whenKnown(listener: () => void): void {
    this.#listeners.push(listener)
  }

  #settle(state: 'framing' | 'stock'): void {
    this.state = state
    for (const listener of this.#listeners.splice(0)) listener()
  }
}

/** Counters a room keeps over all its framed channels. */
export interface FramingStats {
  /** Messages dropped because no peer stack could carry them (bigger than the peer's limit). */
  droppedMessages: number
  /** Links dropped because the peer broke the framing protocol. */
  violations: number
  /** Large messages that reached the peer as frames. */
  framedMessages: number
  /** Large messages put back together from frames. */
  reassembledMessages: number
  /** Messages the room's filter kept from y-webrtc: garbage, floods, and those `fits` refused while they were put together or inflated. */
  refusedMessages: number
  /** Messages whose handler threw (y-webrtc choking on what a peer sent); contained here. */
  handlerErrors: number
  /** Large messages sent deflated (see framing-deflate.ts). */
  deflatedMessages: number
  /** Deflated messages received and inflated. */
  inflatedMessages: number
  /** Messages received and handed on in slices, a turn each (large Yjs updates: update-slices.ts). */
  slicedMessages: number
  /** Slices whose link closed before their turn, applied all the same (`FramingContext.orphaned`). */
  orphanedSlices: number
}

/** Counters of a room that has framed nothing yet. */
export function emptyFramingStats(): FramingStats {
  return {
    droppedMessages: 0,
    violations: 0,
    framedMessages: 0,
    reassembledMessages: 0,
    refusedMessages: 0,
    handlerErrors: 0,
    deflatedMessages: 0,
    inflatedMessages: 0,
    slicedMessages: 0,
    orphanedSlices: 0,
  }
}

/** A message of an answer: its bytes, or only its deflated form (see Framing.prepare). */
export type AnswerMessage = Uint8Array | DeflatedMessage

/**
 * What answers a message (FramingContext.answer): `messages`, in order, unless the peer speaks
 * framing without FEATURE_ANSWER_PARTS and `forOlderPeers` is given: then what it gives (an older
 * Parley peer, whose guard frees only the first two steps 2 of the answer to its fresh request).
 * With `forOlderPeers`, the answer waits for the peer's hello, and what the channel sends after it
 * waits behind it; without, it is sent at once.
 */
export interface Answer {
  messages: AnswerMessage[]
  forOlderPeers?: () => AnswerMessage[]
}

/** An answer in the queue, waiting for the peer's hello to be chosen (see Answer). */
class PendingAnswer {
  constructor(readonly answer: Answer) {}
}

/** What a framed channel needs from its room. */
export interface FramingContext {
  capability: FramingCapability
  budget: ReassemblyBudget
  stats: FramingStats
  maxMessageBytes?: number
  /** Whether this side deflates large messages for peers that inflate, and inflates them (it announced it); false by default. */
  deflate?: boolean
  /** Deflated forms of messages, shared by the room's channels: a message sent again as the same object is not deflated again. */
  deflated?: DeflatedForms
  /** Answers an admitted message itself (on `channel`, which it may send on first), with the messages to send back, instead of handing it on; null hands it on. */
  answer?: (data: unknown, channel: FramedChannel) => Answer | null
  /** Decides, per whole message, whether it may reach the channel's user (see peer-guard.ts). */
  admit?: (data: unknown) => boolean
  /** Whether a step 2 now may be a joiner's history, as the link's guard says (see peer-guard.ts); false without it. */
  historyDue?: () => boolean
  /** Decides, before a framed message is held or inflated whole, whether it is too large for its kind (see peer-guard.ts). */
  fits?: Fits
  /** Told of each message the channel's user sends, before it is queued (the guard notes our sync requests). */
  sent?: (data: unknown) => void
  /** Asked first of each message the channel's user sends: true keeps it back, unsent (a sync request while the document loads: requests-after-load.ts). */
  hold?: (channel: FramedChannel, data: unknown) => boolean
  /** Runs the dispatch of each admitted message (`data`) to the channel's user (the relay notes which link delivers). */
  deliver?: (dispatch: () => void, data: unknown) => void
  /**
   * Cuts an admitted message into messages handed on one at a time, each in a turn of its own
   * (none in the arrival's task), each made when its turn comes (a large Yjs update:
   * update-slices.ts); null hands it on whole.
   * The link's later messages wait until the last is handed on. `historyDue`: the link's guard
   * says a step 2 now may be a joiner's history (`historyDue`; false without it).
   */
  slice?: (data: unknown, historyDue: boolean) => Array<() => unknown> | null
  /** Runs `run` in a later task, its turn (the room's turns: one slice a task; default: the next task). */
  turn?: (run: () => void) => void
  /**
   * Takes a slice whose link closed before its turn: the message was admitted whole, so the rest
   * is applied as the link's user would have (the room's document); without it, dropped.
   */
  orphaned?: (data: unknown) => void
  /** Told of each message the real channel sends or receives. */
  onTraffic?: (direction: 'in' | 'out') => void
}

/** What `send` takes, as RTCDataChannel does. */
type OutgoingData = string | Blob | ArrayBuffer | ArrayBufferView
/**
 * A queued message; `packed` once its deflating was tried, `deflated` if `bytes` now hold the
 * deflated form. `data` is a DeflatedMessage (an answer held deflated) until it is inflated for a
 * peer that takes it plain, or a PendingAnswer until the peer's hello chooses its messages.
 */
type Outgoing = {
  data: OutgoingData | DeflatedMessage | PendingAnswer
  bytes: Uint8Array | null
  offset: number
  framed: boolean | null
  packed: boolean
  deflated: boolean
}
type Handler = ((this: RTCDataChannel, ev: Event) => unknown) | null
const EVENT_TYPES = ['open', 'close', 'closing', 'error', 'message'] as const
type EventType = (typeof EVENT_TYPES)[number]

/**
 * An RTCDataChannel that frames what is too large for one WebRTC message. It behaves like
 * the channel it wraps (the events, `send`, `bufferedAmount`, `close`), so
 * simple-peer uses it unchanged. `bufferedAmount` counts the queue as well as the real buffer.
 */
export class FramedChannel extends EventTarget implements RTCDataChannel {
  #real: RTCDataChannel
  #context: FramingContext
  #reassembler: Reassembler
  #queue: Outgoing[] = []
  #queuedBytes = 0
  #handlers = new Map<EventType, Handler>()
  #binaryType: BinaryType
  /** Cancels what the queue waits for (the peer's capability, the real buffer to drain, or deflating). */
  #blocked: (() => void) | null = null
  /** Messages that arrived while a deflated one is inflated, or one is handed on in slices: they are handled after it, in order. */
  #inbox: unknown[] = []
  #inflating = false
  /** True while the slices of a message are handed on, turn after turn. */
  #slicing = false
  /** True while the messages that waited are handed on, WAITING_PER_TURN a turn. */
  #draining = false
  /** Counts disposals, so that an inflation finishing after a close is ignored. */
  #generation = 0

  constructor(real: RTCDataChannel, context: FramingContext) {
    super()
    this.#real = real
    this.#context = context
    this.#reassembler = new Reassembler(
      context.maxMessageBytes ?? MAX_MESSAGE_BYTES,
      context.budget,
      context.deflate === true,
      context.fits,
    )
    this.#binaryType = real.binaryType
    real.binaryType = 'arraybuffer'
    for (const type of EVENT_TYPES) {
      this.addEventListener(type, (event) => {
        try {
          this.#handlers.get(type)?.call(this, event)
        } catch (error) {
          // What a peer sent made the handler throw; one bad message must not take the page down.
          if (type !== 'message') throw error
          this.#context.stats.handlerErrors++
        }
      })
    }
    real.onopen = () => {
      context.capability.startWaiting()
      this.dispatchEvent(new Event('open'))
    }
    real.onclosing = () => this.dispatchEvent(new Event('closing'))
    real.onclose = () => {
      this.#dispose()
      this.dispatchEvent(new Event('close'))
    }
    real.onerror = (event: Event) => {
      const copy = new Event('error')
      Object.defineProperty(copy, 'error', { value: (event as { error?: unknown }).error })
      this.dispatchEvent(copy)
    }
    real.onmessage = (event: MessageEvent<unknown>) => this.#onMessage(event.data)
    if (real.readyState === 'open') context.capability.startWaiting()
  }

  // Delegated to the real channel, and the `on<event>` handlers: defined below the class.
  declare readonly id: number | null
  declare readonly label: string
  declare readonly maxPacketLifeTime: number | null
  declare readonly maxRetransmits: number | null
  declare readonly negotiated: boolean
  declare readonly ordered: boolean
  declare readonly protocol: string
  declare readonly readyState: RTCDataChannelState
  declare onopen: Handler
  declare onclose: Handler
  declare onclosing: Handler
  declare onerror: Handler
  declare onmessage: Handler
  declare onbufferedamountlow: Handler
  /**
   * Left undefined on purpose: the queue paces itself (HIGH_WATER_BYTES), and simple-peer,
   * which sets it when it is a number, then never waits for a low event from this channel.
   */
  declare bufferedAmountLowThreshold: number

  get binaryType(): BinaryType {
    return this.#binaryType
  }
  set binaryType(value: BinaryType) {
    this.#binaryType = value
  }
  get bufferedAmount(): number {
    return this.#real.bufferedAmount + this.#queuedBytes
  }

  /** The wrapped channel (for the accessors defined below the class). */
  get real(): RTCDataChannel {
    return this.#real
  }

  /** The handler set for `on<type>` (for the accessors defined below the class). */
  handler(type: EventType, value?: Handler): Handler {
    if (value !== undefined) this.#handlers.set(type, value)
    return this.#handlers.get(type) ?? null
  }

  /** Sends a message of any size; what the peer cannot take unframed waits for its capability. */
  send(data: OutgoingData): void {
    if (this.#real.readyState !== 'open') throw new DOMException('not open', 'InvalidStateError')
    if (this.#context.hold?.(this, data) === true) return
    this.#context.sent?.(data)
    const bytes = toBytes(data)
    if (this.#queue.length === 0 && (bytes === null || !needsFraming(bytes))) {
      // The common case, exactly as the real channel does it (errors included).
      sendRaw(this.#real, data)
      this.#context.onTraffic?.('out')
      return
    }
    this.#queue.push(this.#queued(data, bytes))
    if (this.#blocked === null) this.#pump()
  }

  /**
   * Sends a message held only deflated (see Framing.prepare): as deflated frames to a peer that
   * inflates, else inflated first (the queue waits meanwhile), plain as `send` would send it.
   */
  sendDeflated(message: DeflatedMessage): void {
    if (this.#real.readyState !== 'open') throw new DOMException('not open', 'InvalidStateError')
    this.#queue.push(this.#queuedDeflated(message))
    if (this.#blocked === null) this.#pump()
  }

  /** Sends an answer (see Answer): at once, or once the peer's hello chose its messages. */
  sendAnswer(answer: Answer): void {
    if (answer.forOlderPeers === undefined || this.#context.capability.state !== 'unknown') {
      for (const message of this.#chosen(answer)) {
        if (message instanceof DeflatedMessage) this.sendDeflated(message)
        else this.send(message)
      }
      return
    }
    if (this.#real.readyState !== 'open') throw new DOMException('not open', 'InvalidStateError')
    this.#queue.push({ data: new PendingAnswer(answer), bytes: null, offset: 0, framed: null, packed: false, deflated: false })
    if (this.#blocked === null) this.#pump()
  }

  /** The messages of `answer` this channel's peer takes (its hello known, or never coming). */
  #chosen(answer: Answer): AnswerMessage[] {
    const capability = this.#context.capability
    const older = answer.forOlderPeers !== undefined && capability.state === 'framing' && !capability.peerTakesAnswerParts
    return older ? (answer.forOlderPeers?.() ?? answer.messages) : answer.messages
  }

  /** A message as the queue holds it, its bytes counted. */
  #queued(data: OutgoingData, bytes: Uint8Array | null): Outgoing {
    this.#queuedBytes += bytes?.byteLength ?? 0
    return { data, bytes, offset: 0, framed: null, packed: false, deflated: false }
  }

  #queuedDeflated(message: DeflatedMessage): Outgoing {
    this.#queuedBytes += message.deflated.byteLength
    return { data: message, bytes: message.deflated, offset: 0, framed: null, packed: true, deflated: true }
  }

  /** Closes the real channel; queued messages are dropped. */
  close(): void {
    this.#dispose()
    this.#real.close()
  }

  /** Sends from the queue while the real buffer has room, framing what needs it. */
  #pump(): void {
    while (this.#queue.length > 0) {
      if (this.#real.readyState !== 'open') {
        this.#dispose()
        return
      }
      const head = this.#queue[0]
      if (head.data instanceof PendingAnswer) {
        if (this.#context.capability.state === 'unknown') {
          this.#waitForCapability()
          return
        }
        const messages = this.#chosen(head.data.answer).map((message) => {
          if (message instanceof DeflatedMessage) return this.#queuedDeflated(message)
          this.#context.sent?.(message)
          return this.#queued(message, message)
        })
        this.#queue.splice(0, 1, ...messages)
        continue
      }
      if (head.framed === null) {
        const decision = this.#decide(head)
        if (decision === 'wait') {
          this.#waitForCapability()
          return
        }
        if (decision === 'drop') {
          this.#drop(head)
          continue
        }
        head.framed = decision === 'frame'
      }
      if (
        head.data instanceof DeflatedMessage &&
        !(head.framed && this.#context.deflate === true && this.#context.capability.peerDeflates)
      ) {
        this.#unpack(head, head.data)
        return // inflating; the pump resumes when it is done
      }
      if (head.framed && !head.packed && this.#context.deflate === true && this.#context.capability.peerDeflates && this.#pack(head)) {
        return // deflating; the pump resumes when it is done
      }
      const frameBytes = this.#paced ? PACED_FRAME_BYTES : FRAME_PAYLOAD_BYTES
      const nextBytes =
        head.framed && head.bytes !== null ? START_HEADER_BYTES + Math.min(frameBytes, head.bytes.byteLength - head.offset) : sizeOf(head)
      if (!this.#roomFor(nextBytes)) {
        this.#waitForDrain(nextBytes)
        return
      }
      try {
        if (head.framed && head.bytes !== null) {
          const payloadBytes = Math.min(frameBytes, head.bytes.byteLength - head.offset)
          this.#real.send(encodeFrame(head.bytes, head.offset, head.deflated, frameBytes))
          this.#context.onTraffic?.('out')
          head.offset += payloadBytes
          this.#queuedBytes -= payloadBytes
          if (head.offset < head.bytes.byteLength) continue
          this.#context.stats.framedMessages++
          if (head.deflated) this.#context.stats.deflatedMessages++
          this.#queue.shift()
        } else {
          this.#queuedBytes -= head.bytes?.byteLength ?? 0
          head.offset = head.bytes?.byteLength ?? 0
          this.#queue.shift()
          // A DeflatedMessage is never sent raw: #unpack replaced it with its plain bytes.
          sendRaw(this.#real, head.data as OutgoingData)
          this.#context.onTraffic?.('out')
        }
      } catch {
        // Too large for a stock peer, or the channel is closing: the message is lost, as it is
        // with stock y-webrtc (which ignores send errors).
        if (this.#queue[0] === head) this.#drop(head)
        else this.#context.stats.droppedMessages++
      }
    }
  }

  /** How the head message goes: as it is, framed, not at all, or not yet (capability unknown). */
  #decide(head: Outgoing): 'raw' | 'frame' | 'drop' | 'wait' {
    const capability = this.#context.capability
    // A message held deflated was large enough to be framed (Framing.prepare); its limit is its own length.
    const plainBytes = head.data instanceof DeflatedMessage ? head.data.byteLength : head.bytes?.byteLength
    if (plainBytes === undefined || (!(head.data instanceof DeflatedMessage) && !needsFraming(head.bytes as Uint8Array))) return 'raw'
    if (capability.state === 'stock') return 'raw'
    if (capability.state === 'unknown') return 'wait'
    // A message over the peer's limit would make it drop the link: skip the message instead.
    return plainBytes > capability.peerMaxBytes ? 'drop' : 'frame'
  }

  #drop(head: Outgoing): void {
    this.#queuedBytes -= head.bytes === null ? 0 : head.bytes.byteLength - head.offset
    this.#context.stats.droppedMessages++
    this.#queue.shift()
  }

  /**
   * Deflates the head message, kept only if smaller. Returns true while deflating: the queue
   * waits meanwhile (what follows the message stays behind it). A message deflated before (or
   * being deflated) is not deflated again.
   */
  #pack(head: Outgoing): boolean {
    const bytes = head.bytes as Uint8Array
    const use = (packed: Uint8Array | null): void => {
      head.packed = true
      if (packed !== null && packed.byteLength < bytes.byteLength) {
        this.#queuedBytes -= bytes.byteLength - packed.byteLength
        head.bytes = packed
        head.deflated = true
      }
    }
    // Messages are keyed by their object; a string is never framed, so this is the bytes' owner.
    const key: object = typeof head.data === 'object' ? head.data : bytes
    const forms = this.#context.deflated ?? new DeflatedForms()
    const known = forms.ready(key)
    if (known !== undefined) {
      use(known)
      return false
    }
    const wait = (): void => {}
    this.#blocked = wait
    // A failed deflate sends the message as it is (the forms give null).
    void forms.of(key, bytes).then((packed) => {
      if (this.#blocked !== wait) return // closed meanwhile
      use(packed)
      this.#resume()
    })
    return true
  }

  /**
   * Inflates the head message, held deflated, for a peer that takes it plain (a stock peer, or one
   * that does not inflate); the queue waits meanwhile. Bytes that do not inflate to the message drop it.
   */
  #unpack(head: Outgoing, message: DeflatedMessage): void {
    const wait = (): void => {}
    this.#blocked = wait
    void message.inflated().then((plain) => {
      if (this.#blocked !== wait) return // closed meanwhile
      if (plain === null) this.#drop(head)
      else {
        this.#queuedBytes += plain.byteLength - message.deflated.byteLength
        Object.assign(head, { data: plain, bytes: plain, deflated: false })
      }
      this.#resume()
    })
  }

  #waitForCapability(): void {
    const wait = (): void => {}
    this.#blocked = wait
    this.#context.capability.whenKnown(() => {
      if (this.#blocked === wait) this.#resume()
    })
  }

  /** Whether the real channel reports its buffer drained (`bufferedamountlow`): then it is paced closely (PACED_BUFFER_BYTES). */
  get #paced(): boolean {
    return typeof this.#real.bufferedAmountLowThreshold === 'number' && this.#real.onbufferedamountlow !== undefined
  }

  /** Whether the real channel may be handed `bytes` more now (a message larger than the cap goes alone). */
  #roomFor(bytes: number): boolean {
    const buffered = this.#real.bufferedAmount
    if (!this.#paced) return buffered < HIGH_WATER_BYTES
    return buffered === 0 || buffered + bytes <= PACED_BUFFER_BYTES
  }

  /** Resumes the pump once the real buffer drained enough to take `nextBytes` (LOW_WATER_BYTES where it is polled). */
  #waitForDrain(nextBytes: number): void {
    const real = this.#real
    if (this.#paced) {
      const level = Math.max(0, PACED_BUFFER_BYTES - nextBytes)
      real.bufferedAmountLowThreshold = level
      real.onbufferedamountlow = () => this.#resume()
      this.#blocked = () => {
        real.onbufferedamountlow = null
      }
      if (real.bufferedAmount <= level)
        queueMicrotask(() => {
          if (this.#blocked !== null) this.#resume()
        })
      return
    }
    // Node's wrtc has no low event: poll.
    const level = LOW_WATER_BYTES
    let timer: ReturnType<typeof setTimeout>
    const poll = (): void => {
      if (real.bufferedAmount <= level || real.readyState !== 'open') this.#resume()
      else timer = setTimeout(poll, DRAIN_POLL_MS)
    }
    timer = setTimeout(poll, DRAIN_POLL_MS)
    this.#blocked = () => clearTimeout(timer)
  }

  #resume(): void {
    const cancel = this.#blocked
    this.#blocked = null
    cancel?.()
    this.#pump()
  }

  #onMessage(data: unknown): void {
    this.#context.onTraffic?.('in')
    if (this.#inflating || this.#slicing || this.#draining) this.#inbox.push(data)
    else this.#take(data)
  }

  /** Handles one message from the real channel: delivers it, or takes it as a frame; returns whether a message was handed on (or begun to be). */
  #take(data: unknown): boolean {
    if (!(data instanceof ArrayBuffer)) {
      this.#deliver(data)
      return true
    }
    const bytes = new Uint8Array(data)
    if (!isFrame(bytes)) {
      this.#deliver(data)
      return true
    }
    const step = this.#reassembler.push(bytes)
    if (step.kind === 'message') {
      this.#context.stats.reassembledMessages++
      if (step.deflated) this.#inflate(step.data)
      else this.#deliver(step.data)
      return true
    }
    if (step.kind === 'violation') {
      this.#context.stats.violations++
      this.close()
    } else if (step.kind === 'refused') {
      this.#context.stats.refusedMessages++ // its frames are skipped; the filter counted why
    }
    return false
  }

  /**
   * Inflates a deflated message within the link's limit, the room's budget and the limit of its
   * kind (`fits`, asked as each chunk comes out), then delivers it and what waited behind it.
   */
  #inflate(data: ArrayBuffer): void {
    this.#inflating = true
    const generation = this.#generation
    const budget = this.#context.budget
    const maxBytes = this.#context.maxMessageBytes ?? MAX_MESSAGE_BYTES
    const fits = this.#context.fits
    let reserved = 0
    let head = new Uint8Array(0)
    let refused = false
    const reserve = (chunk: Uint8Array): boolean => {
      const bytes = chunk.byteLength
      if (head.byteLength < HEAD_BYTES) head = Uint8Array.of(...head, ...chunk.subarray(0, HEAD_BYTES - head.byteLength))
      if (fits !== undefined && head.byteLength > 0 && !fits(head, reserved + bytes)) {
        refused = true
        return false
      }
      if (reserved + bytes > maxBytes || budget.usedBytes + bytes > budget.maxBytes) return false
      reserved += bytes
      budget.usedBytes += bytes
      return true
    }
    void inflate(new Uint8Array(data), reserve).then((message) => {
      budget.usedBytes -= reserved
      // The filter counted why, and stopped the inflation there (its owner may have dropped the link since).
      if (refused) this.#context.stats.refusedMessages++
      if (generation !== this.#generation) return // the link closed meanwhile
      this.#inflating = false
      if (message === null && !refused) {
        // Not deflate data, or more than the limits allow: the peer broke the protocol.
        this.#context.stats.violations++
        this.close()
        return
      }
      if (message !== null) {
        this.#context.stats.inflatedMessages++
        this.#deliver(message.buffer)
      }
      this.#takeWaiting(generation)
    })
  }

  /**
   * Handles the messages that waited, until one must be waited for again, WAITING_PER_TURN messages
   * at most (frames are not counted): the rest in a later turn, what arrives meanwhile behind them.
   */
  #takeWaiting(generation: number): void {
    let handed = 0
    while (!this.#inflating && !this.#slicing && generation === this.#generation && this.#inbox.length > 0) {
      if (handed === WAITING_PER_TURN) {
        this.#draining = true
        ;(this.#context.turn ?? nextTask)(() => {
          if (generation !== this.#generation) return // closed meanwhile: what waited went with the link
          this.#draining = false
          this.#takeWaiting(generation)
        })
        return
      }
      if (this.#take(this.#inbox.shift())) handed++
    }
  }

  #deliver(data: unknown): void {
    if (this.#context.admit?.(data) === false) {
      this.#context.stats.refusedMessages++
      return
    }
    const slices = this.#context.slice?.(data, this.#context.historyDue?.() ?? false) ?? null
    if (slices === null || slices.length < 2) {
      this.#handOn(data)
      return
    }
    this.#context.stats.slicedMessages++
    this.#slicing = true
    const generation = this.#generation
    const turn = this.#context.turn ?? nextTask
    // All asked for now, so that the room's turns hold the whole message (see slice-turns.ts); the
    // first too: the arrival's task only reads the message (the guard's count, the slices' plan).
    slices.forEach((slice, index) => {
      turn(() => {
        if (generation !== this.#generation) {
          // The link closed (or was dropped): the message was admitted whole, so its rest is applied
          // all the same, not left for a later sync that may never come (its peer gone for good).
          if (this.#context.orphaned === undefined) return
          this.#context.stats.orphanedSlices++
          this.#context.orphaned(slice())
          return
        }
        const last = index === slices.length - 1
        if (last) this.#slicing = false
        this.#handOn(slice())
        if (last) this.#takeWaiting(generation)
      })
    })
  }

  /** Hands an admitted message to the channel's user (or answers it here). */
  #handOn(data: unknown): void {
    const dispatch = (): void => {
      const answer = this.#context.answer?.(data, this) ?? null
      if (answer === null) {
        const converted = this.#binaryType === 'blob' && data instanceof ArrayBuffer ? new Blob([data]) : data
        this.dispatchEvent(new MessageEvent('message', { data: converted }))
        return
      }
      try {
        this.sendAnswer(answer)
      } catch {
        // The channel is closing: the answer is lost with it, as y-webrtc's would be.
      }
    }
    if (this.#context.deliver === undefined) dispatch()
    else this.#context.deliver(dispatch, data)
  }

  #dispose(): void {
    const cancel = this.#blocked
    this.#blocked = null
    cancel?.()
    this.#queue = []
    this.#queuedBytes = 0
    this.#reassembler.reset()
    this.#inbox = []
    this.#inflating = false
    this.#slicing = false
    this.#draining = false
    this.#generation++
  }
}

for (const key of ['id', 'label', 'maxPacketLifeTime', 'maxRetransmits', 'negotiated', 'ordered', 'protocol', 'readyState'] as const) {
  Object.defineProperty(FramedChannel.prototype, key, {
    get(this: FramedChannel) {
      return this.real[key]
    },
  })
}
for (const type of EVENT_TYPES) {
  Object.defineProperty(FramedChannel.prototype, `on${type}`, {
    get(this: FramedChannel) {
      return this.handler(type)
    },
    set(this: FramedChannel, value: Handler) {
      this.handler(type, value ?? null)
    },
  })
}

function toBytes(data: OutgoingData): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return null
}

function sendRaw(channel: RTCDataChannel, data: OutgoingData): void {
  // RTCDataChannel#send takes each of these; its overloads just cannot take the union.
  ;(channel.send as (data: OutgoingData) => void).call(channel, data)
}

/** Bytes a queued message sent whole adds to the real channel's buffer (a string's UTF-16 length is near enough). */
function sizeOf(head: Outgoing): number {
  if (head.bytes !== null) return head.bytes.byteLength - head.offset
  const data = head.data
  if (typeof data === 'string') return data.length
  return data instanceof Blob ? data.size : 0
}
