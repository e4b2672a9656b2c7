// Counts what a peer's WebRTC links carry, at the RTCDataChannel.send level, by channel: y-webrtc's
// own channel (by y-webrtc message kind) and each negotiated side channel (by label).
import type { RtcImplementation } from '../../src/transport/index.js'

/** Messages and bytes sent on one kind of channel traffic. */
export interface SendCount {
  messages: number
  bytes: number
}

/** What one peer sent, by kind: `y-webrtc:<kind>` for y-webrtc's channel, `side:<label>` for the others. */
export type SendCounts = Record<string, SendCount>

/** Names of y-webrtc's message kinds (first varuint of a message; for sync, the second names the step). */
const Y_WEBRTC_KINDS: Record<number, string> = { 0: 'sync', 1: 'awareness', 2: 'auth', 3: 'query-awareness' }
const SYNC_STEPS: Record<number, string> = { 0: 'sync-step1', 1: 'sync-step2', 2: 'sync-update' }

/** A WebRTC implementation that counts what its channels send, and the links it opened. */
export interface CountingRtc {
  rtc: RtcImplementation
  /** A copy of the counts since the start or the last `reset()`. */
  counts(): SendCounts
  /** Starts counting afresh. */
  reset(): void
  /** Peer connections whose y-webrtc channel (the one not negotiated) is open now. */
  openLinks(): number
}

/**
 * The kind of one message on y-webrtc's channel, from its first bytes (public rooms only: a
 * private room's messages are encrypted). Large messages that Parley frames count as `frame`.
 */
export function yWebrtcKind(data: unknown): string {
  const bytes = toBytes(data)
  if (bytes === null || bytes.byteLength === 0) return 'other'
  const kind = Y_WEBRTC_KINDS[bytes[0]]
  if (kind === undefined) return bytes[0] > 127 ? 'other' : 'frame'
  if (kind === 'sync') return SYNC_STEPS[bytes[1]] ?? 'sync-other'
  return kind
}

/** Adds `amount` to the count of `key` in `counts`. */
export function addSend(counts: SendCounts, key: string, amount: SendCount): void {
  const entry = counts[key] ?? { messages: 0, bytes: 0 }
  entry.messages += amount.messages
  entry.bytes += amount.bytes
  counts[key] = entry
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  return null
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data)
  return toBytes(data)?.byteLength ?? 0
}

/** The WebRTC classes a counting implementation needs: those simple-peer takes, and the channel class. */
export type RtcWithChannel = RtcImplementation & { RTCDataChannel: { prototype: RTCDataChannel } }

/** Prototypes whose `send` is counted already (one counting implementation per process). */
const countedPrototypes = new WeakSet<object>()

/**
 * Counts every send of `rtc`'s data channels, in this whole process (a child runs one peer), at
 * the innermost level: the implementation's own `RTCDataChannel.prototype.send`, below Parley's
 * framing, so a framed message counts once per frame, as it goes on the wire. Its peer
 * connections also note y-webrtc's channel (the one not negotiated) for `openLinks()`.
 */
export function countingRtc(rtc: RtcWithChannel): CountingRtc {
  const prototype = rtc.RTCDataChannel.prototype
  if (countedPrototypes.has(prototype)) throw new Error('countingRtc: this implementation is counted already')
  countedPrototypes.add(prototype)
  let counts: SendCounts = {}
  const send = prototype.send
  prototype.send = function (this: RTCDataChannel, data: never) {
    send.call(this, data)
    // Counted once the implementation took it (a throwing send put nothing on the wire).
    addSend(counts, this.negotiated ? `side:${this.label}` : `y-webrtc:${yWebrtcKind(data)}`, { messages: 1, bytes: byteLength(data) })
  } as RTCDataChannel['send']
  const mainChannels = new Set<RTCDataChannel>()
  const note = (channel: RTCDataChannel): void => {
    if (channel.negotiated || mainChannels.has(channel)) return
    mainChannels.add(channel)
    channel.addEventListener('close', () => mainChannels.delete(channel))
  }
  class CountingPeerConnection extends rtc.RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      super(config)
      // The channel the remote end opened (Parley's framing may hand on a wrapper of it).
      this.addEventListener('datachannel', (event) => note((event as RTCDataChannelEvent).channel))
    }

    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      note(channel)
      return channel
    }
  }
  return {
    rtc: { ...rtc, RTCPeerConnection: CountingPeerConnection },
    counts: () => Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, { ...value }])),
    reset: () => {
      counts = {}
    },
    openLinks: () => [...mainChannels].filter((channel) => channel.readyState === 'open').length,
  }
}
