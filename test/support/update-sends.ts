// Notes each document update a peer sends on y-webrtc's channel (a sync update: a change as it is
// broadcast, relayed or caught up), with when and how many records, by peer connection. Innermost
// below Parley's wrappers, so what is noted is what goes on the wire (small messages: whole).
import * as Y from 'yjs'
import type { RtcImplementation } from '../../src/transport/index.js'
import { syncUpdateOf, withYWebrtcChannels } from './y-webrtc-channels.js'

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
    return withYWebrtcChannels(inner, (pc, channel) => {
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
    })
  }
}

/** The records of a y-webrtc sync update message, or null for any other message. */
function updateRecords(data: unknown): number | null {
  const update = syncUpdateOf(data)
  if (update === null) return null
  const { from, to } = Y.parseUpdateMeta(update)
  let records = 0
  for (const [client, clock] of to) records += clock - (from.get(client) ?? 0)
  return records
}
