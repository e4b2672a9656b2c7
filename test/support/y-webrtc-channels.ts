// y-webrtc's own data channel (the one not negotiated: Parley's channels are) on every link a
// WebRTC implementation makes, for test support that watches what goes over it, and the update
// of a y-webrtc sync update message.
import * as decoding from 'lib0/decoding'
import type { RtcImplementation } from '../../src/transport/index.js'

/** `inner` with `note` called for y-webrtc's channel of each link it makes, offering or answering. */
export function withYWebrtcChannels(
  inner: RtcImplementation,
  note: (pc: RTCPeerConnection, channel: RTCDataChannel) => void,
): RtcImplementation {
  class NotingPeerConnection extends inner.RTCPeerConnection {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      if (init?.negotiated !== true) note(this, channel)
      return channel
    }
    override dispatchEvent(event: Event): boolean {
      // wrtc hands the answering side its channel through dispatchEvent.
      const channel = (event as { channel?: RTCDataChannel }).channel
      if (event.type === 'datachannel' && channel !== undefined && channel.negotiated !== true) note(this, channel)
      return super.dispatchEvent(event)
    }
  }
  return { ...inner, RTCPeerConnection: NotingPeerConnection }
}

/** The update of a y-webrtc sync update message (bytes 0, 2, then the update); null for any other message. */
export function syncUpdateOf(data: unknown): Uint8Array | null {
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : null
  if (bytes === null || bytes.length < 3 || bytes[0] !== 0 || bytes[1] !== 2) return null
  const decoder = decoding.createDecoder(bytes)
  decoding.readVarUint(decoder)
  decoding.readVarUint(decoder)
  return decoding.readVarUint8Array(decoder)
}
