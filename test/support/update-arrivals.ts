// Notes the records of each document update that arrives on a peer's y-webrtc channels (a change
// as it is broadcast, relayed or caught up), by peer connection: which links brought a writer's
// records, whether or not they were new. Innermost below Parley's wrappers, so what is noted is
// what came on the wire (small messages: whole; framed parts of a large one are not read).
import * as Y from 'yjs'
import type { RtcImplementation } from '../../src/transport/index.js'
import { syncUpdateOf, withYWebrtcChannels } from './y-webrtc-channels.js'

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
    return withYWebrtcChannels(inner, (pc, channel) => {
      channel.addEventListener('message', (event: MessageEvent<unknown>) => {
        const to = updateEnds(event.data)
        if (to === null) return
        const writers = this.#byLink.get(pc) ?? new Map<number, number>()
        for (const [client, clock] of to) writers.set(client, Math.max(writers.get(client) ?? 0, clock))
        this.#byLink.set(pc, writers)
      })
    })
  }
}

/** Per writer, the clock a y-webrtc sync update message reaches; null for any other message. */
function updateEnds(data: unknown): ReadonlyMap<number, number> | null {
  const update = syncUpdateOf(data)
  if (update === null) return null
  try {
    return Y.parseUpdateMeta(update).to
  } catch {
    return null
  }
}
