// The shell of message framing for one room: wraps the WebRTC classes so that y-webrtc's data
// channel frames large messages, and announces the capability on a negotiated side channel.
import { FramedChannel, FramingCapability, emptyFramingStats, type FramingContext, type FramingStats } from './framing-channel.js'
import { DeflatedForms, DeflatedMessage, deflateAvailable } from './framing-deflate.js'
import {
  FRAMING_CHANNEL_ID,
  FRAMING_CHANNEL_LABEL,
  MAX_MESSAGE_BYTES,
  encodeFramingHellos,
  needsFraming,
  parseFramingHello,
  type ReassemblyBudget,
} from './framing-protocol.js'
import type { RtcImplementation } from './liveness.js'
import type { LinkGuard } from './peer-guard.js'

/** Bytes all partial messages of one room may hold together (each is capped at MAX_MESSAGE_BYTES too). */
const ROOM_REASSEMBLY_BUDGET_BYTES = 2 * MAX_MESSAGE_BYTES

/** Options for tests and benchmarks. */
export interface FramingOptions {
  /** Largest message reassembled, in bytes (default MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number
  /** Deflate large messages for peers that inflate them, and inflate theirs (default: where the platform can). */
  deflate?: boolean
  /**
   * Say in the hello that this side takes the answer to its fresh sync request in parts of any
   * number (FEATURE_ANSWER_PARTS: its peer guard frees every one; default true). False stands for
   * an older Parley peer, in tests.
   */
  answerParts?: boolean
  /**
   * Makes each link's guard of incoming messages, given its peer connection (see peer-guard.ts),
   * told through its `sent` of what the link sends; none by default.
   */
  admitter?: (pc: RTCPeerConnection) => LinkGuard
  /** Wraps the dispatch of each admitted message (`data`) of a link, given its peer connection (see relay.ts); none by default. */
  deliverer?: (pc: RTCPeerConnection) => (dispatch: () => void, data: unknown) => void
  /** Told of each message a connection's framed channel sends or receives (liveness counts them as beats). */
  traffic?: (pc: RTCPeerConnection, direction: 'in' | 'out') => void
  /** Answers an admitted message on its channel instead of handing it to y-webrtc, with the messages to send back; null hands it on (see sync-replies.ts). */
  answer?: FramingContext['answer']
  /**
   * Cuts an admitted message into messages handed on one a turn (see update-slices.ts); none by
   * default. `historyDue`: the link's guard says a step 2 now may be a joiner's history (applied whole).
   */
  slice?: (data: unknown, historyDue: boolean) => Array<() => unknown> | null
  /** Runs each slice of a message in turn, in a later task (default: the next task). */
  turn?: (run: () => void) => void
  /** Applies a slice whose link closed before its turn (see FramingContext.orphaned); dropped by default. */
  orphaned?: (data: unknown) => void
  /** Asked first of each message a link's channel sends: true keeps it back (see FramingContext.hold); none by default. */
  hold?: FramingContext['hold']
}

type DataChannelHandler = ((this: RTCPeerConnection, ev: RTCDataChannelEvent) => unknown) | null

/** Framing for every peer connection of one room. */
export class Framing {
  /** What happened to large messages so far. */
  readonly stats: FramingStats = emptyFramingStats()
  /** Capability frames from other peers that failed to parse. */
  garbageFrames = 0
  readonly #budget: ReassemblyBudget
  readonly #maxMessageBytes: number
  readonly #deflate: boolean
  readonly #answerParts: boolean
  readonly #admitter: ((pc: RTCPeerConnection) => LinkGuard) | undefined
  readonly #deliverer: FramingOptions['deliverer']
  readonly #traffic: FramingOptions['traffic']
  readonly #answer: FramingOptions['answer']
  readonly #slice: FramingOptions['slice']
  readonly #turn: FramingOptions['turn']
  readonly #orphaned: FramingOptions['orphaned']
  readonly #hold: FramingOptions['hold']
  /** Deflated forms of messages sent as the same object to several links (a cached sync answer). */
  readonly #deflated = new DeflatedForms()

  constructor(options: FramingOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES
    this.#deflate = (options.deflate ?? true) && deflateAvailable()
    this.#answerParts = options.answerParts ?? true
    this.#admitter = options.admitter
    this.#deliverer = options.deliverer
    this.#traffic = options.traffic
    this.#answer = options.answer
    this.#slice = options.slice
    this.#turn = options.turn
    this.#orphaned = options.orphaned
    this.#hold = options.hold
    this.#budget = { usedBytes: 0, maxBytes: Math.max(ROOM_REASSEMBLY_BUDGET_BYTES, this.#maxMessageBytes) }
  }

  /**
   * Deflates `message` ahead of sending it, if it would go deflated to a peer that inflates
   * (framed, and this side deflates). Resolves with what to hold and send in its place: only its
   * deflated bytes (framed channels inflate them again for a peer that needs the plain message),
   * or `message` itself when it would not go deflated. Sent as that object, it goes at once.
   */
  async prepare(message: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | DeflatedMessage> {
    if (!this.#deflate || !needsFraming(message)) return message
    const packed = await this.#deflated.of(message, message)
    return packed === null ? message : new DeflatedMessage(packed, message.byteLength)
  }

  /**
   * Wraps a WebRTC implementation: its peer connections hand out framed channels, from
   * `createDataChannel` and through `ondatachannel`. Negotiated channels (side channels such
   * as liveness) are left as they are.
   */
  wrap(rtc: RtcImplementation): RtcImplementation {
    const framing = this
    const capabilities = new WeakMap<RTCPeerConnection, FramingCapability>()
    const wrapped = new WeakMap<RTCDataChannel, FramedChannel>()
    const frame = (pc: RTCPeerConnection, channel: RTCDataChannel): RTCDataChannel => {
      if (channel instanceof FramedChannel) return channel
      let framed = wrapped.get(channel)
      if (framed === undefined) {
        const capability = capabilities.get(pc) ?? new FramingCapability()
        const guard = framing.#admitter?.(pc)
        framed = new FramedChannel(channel, {
          capability,
          budget: framing.#budget,
          stats: framing.stats,
          maxMessageBytes: framing.#maxMessageBytes,
          deflate: framing.#deflate,
          deflated: framing.#deflated,
          answer: framing.#answer,
          slice: framing.#slice,
          turn: framing.#turn,
          orphaned: framing.#orphaned,
          hold: framing.#hold,
          admit: guard?.admit,
          sent: guard?.sent,
          fits: guard?.fits,
          historyDue: guard?.historyDue,
          deliver: framing.#deliverer?.(pc),
          onTraffic: framing.#traffic === undefined ? undefined : (direction) => framing.#traffic?.(pc, direction),
        })
        wrapped.set(channel, framed)
      }
      return framed
    }
    const base = rtc.RTCPeerConnection
    // In browsers `ondatachannel` is an accessor of the prototype; in Node's wrtc an own property
    // of each instance, whose events go through `dispatchEvent` instead.
    const nativeAccessor = findDescriptor(base.prototype, 'ondatachannel')
    class FramingPeerConnection extends base {
      constructor(config?: RTCConfiguration) {
        super(config)
        const capability = new FramingCapability()
        capabilities.set(this, capability)
        framing.#announce(super.createDataChannel(FRAMING_CHANNEL_LABEL, { negotiated: true, id: FRAMING_CHANNEL_ID }), capability)
      }

      override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
        const channel = super.createDataChannel(label, init)
        return init?.negotiated === true ? channel : frame(this, channel)
      }

      override dispatchEvent(event: Event): boolean {
        const channel = (event as { channel?: unknown }).channel
        if (nativeAccessor?.set === undefined && event.type === 'datachannel' && isChannel(channel)) {
          // wrtc's own event shim: hand its listeners an event carrying the framed channel.
          const framedEvent = { type: event.type, channel: frame(this, channel), target: this }
          return super.dispatchEvent(framedEvent as unknown as Event)
        }
        return super.dispatchEvent(event)
      }
    }
    if (nativeAccessor?.get !== undefined && nativeAccessor.set !== undefined) {
      const { get, set } = nativeAccessor
      const handlers = new WeakMap<RTCPeerConnection, DataChannelHandler>()
      Object.defineProperty(FramingPeerConnection.prototype, 'ondatachannel', {
        configurable: true,
        enumerable: true,
        get(this: RTCPeerConnection) {
          return handlers.get(this) ?? (get.call(this) as DataChannelHandler)
        },
        set(this: RTCPeerConnection, handler: DataChannelHandler) {
          handlers.set(this, handler)
          set.call(
            this,
            handler === null
              ? null
              : (event: RTCDataChannelEvent) => {
                  handler.call(this, {
                    type: event.type,
                    channel: frame(this, event.channel),
                    target: this,
                  } as unknown as RTCDataChannelEvent)
                },
          )
        },
      })
    }
    return { ...rtc, RTCPeerConnection: FramingPeerConnection }
  }

  /** Sends our capability when the side channel opens, and records the peer's. */
  #announce(channel: RTCDataChannel, capability: FramingCapability): void {
    channel.binaryType = 'arraybuffer'
    channel.onopen = () => {
      try {
        for (const hello of encodeFramingHellos(this.#maxMessageBytes, this.#deflate, this.#answerParts)) channel.send(hello)
      } catch {
        // closed between open and send: the connection is going away anyway
      }
    }
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const hello = parseFramingHello(event.data)
      if (hello === null) this.garbageFrames++
      else capability.announce(hello.maxBytes, hello.deflate, hello.answerParts)
    }
  }
}

function isChannel(value: unknown): value is RTCDataChannel {
  return typeof value === 'object' && value !== null && typeof (value as { send?: unknown }).send === 'function'
}

/** A property's descriptor where it is defined along the prototype chain (the class may be a subclass). */
function findDescriptor(prototype: object | null, key: string): PropertyDescriptor | undefined {
  for (let at = prototype; at !== null; at = Object.getPrototypeOf(at) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(at, key)
    if (descriptor !== undefined) return descriptor
  }
  return undefined
}
