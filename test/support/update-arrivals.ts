// Notes the records of each document update that arrives on a peer's y-webrtc channels (a change
// as it is broadcast, relayed or caught up), by peer connection: which links brought a writer's
// records, whether or not they were new. Innermost below Parley's wrappers, so what is noted is
// what came on the wire (small messages: whole; framed parts of a large one are not read).
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import type { RtcImplementation } from '../../src/transport/index.js'

/** The update arrivals of every link of the WebRTC implementation `wrap` made. */
export class UpdateArrivals {
  /** Per link, per writer, the highest clock (exclusive) of the records that arrived. */
  readonly #byLink = new Map<RTCPeerConnection, Map<number, number>>()

  /** How many links brought records of `client` up to `clock` (exclusive). */
  linksBringing(client: number, clock: number): number {
    let links = 0
    for (const writers of this.#byLink.values()) if ((writers.get(client) ?? 0) >= clock) links++
    return links
  }

  /** `inner` with every update that arrives on y-webrtc's channel (the one not negotiated) noted. */
  wrap(inner: RtcImplementation): RtcImplementation {
    const note = (pc: RTCPeerConnection, channel: RTCDataChannel): void => {
      channel.addEventListener('message', (event: MessageEvent<unknown>) => {
        const to = updateEnds(event.data)
        if (to === null) return
        const writers = this.#byLink.get(pc) ?? new Map<number, number>()
        for (const [client, clock] of to) writers.set(client, Math.max(writers.get(client) ?? 0, clock))
        this.#byLink.set(pc, writers)
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

/** Per writer, the clock a y-webrtc sync update message (bytes 0, 2, then the update) reaches; null for any other message. */
function updateEnds(data: unknown): ReadonlyMap<number, number> | null {
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : null
  if (bytes === null || bytes.length < 3 || bytes[0] !== 0 || bytes[1] !== 2) return null
  const decoder = decoding.createDecoder(bytes)
  decoding.readVarUint(decoder)
  decoding.readVarUint(decoder)
  try {
    return Y.parseUpdateMeta(decoding.readVarUint8Array(decoder)).to
  } catch {
    return null
  }
}
