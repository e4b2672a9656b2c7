// Notes each document update a peer sends on y-webrtc's channel (a sync update: a change as it is
// broadcast, relayed or caught up), with when and how many records, by peer connection. Innermost
// below Parley's wrappers, so what is noted is what goes on the wire (small messages: whole).
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import type { RtcImplementation } from '../../src/transport/index.js'

/** One update sent: when (ms since the epoch) and its records (clocks of their writers). */
export interface UpdateSend {
  at: number
  records: number
}

/** The update sends of every link of the WebRTC implementation `wrap` made. */
export class UpdateSends {
  readonly #byLink = new Map<RTCPeerConnection, UpdateSend[]>()

  /** The sends of each link that sent an update, in order. */
  byLink(): UpdateSend[][] {
    return [...this.#byLink.values()]
  }

  /** `inner` with every update sent on y-webrtc's channel (the one not negotiated) noted. */
  wrap(inner: RtcImplementation): RtcImplementation {
    const note = (pc: RTCPeerConnection, channel: RTCDataChannel): void => {
      const send = channel.send.bind(channel) as (data: unknown) => void
      Object.defineProperty(channel, 'send', {
        configurable: true,
        value: (data: unknown) => {
          const records = updateRecords(data)
          if (records !== null) {
            const sends = this.#byLink.get(pc) ?? []
            sends.push({ at: Date.now(), records })
            this.#byLink.set(pc, sends)
          }
          send(data)
        },
      })
    }
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
}

/** The records of a y-webrtc sync update message (bytes 0, 2, then the update), or null for any other message. */
function updateRecords(data: unknown): number | null {
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : null
  if (bytes === null || bytes.length < 3 || bytes[0] !== 0 || bytes[1] !== 2) return null
  const decoder = decoding.createDecoder(bytes)
  decoding.readVarUint(decoder)
  decoding.readVarUint(decoder)
  const { from, to } = Y.parseUpdateMeta(decoding.readVarUint8Array(decoder))
  let records = 0
  for (const [client, clock] of to) records += clock - (from.get(client) ?? 0)
  return records
}
