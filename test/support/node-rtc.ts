// The WebRTC implementations Node peers can run on: @roamhq/wrtc, or node-datachannel's polyfill
// (libdatachannel), which holds up with more peers on two cores (wrtc crashed at 24).
import wrtc from '@roamhq/wrtc'
import * as polyfill from 'node-datachannel/polyfill'
import type { RtcWithChannel } from './counting-rtc.js'

/** Which WebRTC library a Node peer uses. */
export type NodeRtcName = 'wrtc' | 'node-datachannel'

/**
 * node-datachannel's peer connection, made to take what simple-peer and Parley's framing do with
 * it (both kinds of peer get the same; Parley itself is unchanged):
 * - simple-peer sets the offer it got from `createOffer`; libdatachannel had set it already, and
 *   setting it again starts over (the answer then fails: "remote candidate without ICE transport").
 * - simple-peer assigns `offer.sdp` (its sdpTransform), but the polyfill's descriptions have a
 *   getter only: offers and answers are handed out as plain `{ type, sdp }` objects.
 * - Its events go through Node's own EventTarget, whose `dispatchEvent` accepts only `Event`
 *   instances; Parley's framing (src/transport/framing.ts) re-dispatches a datachannel event as a
 *   plain `{ type, channel, target }` object where the implementation has no `ondatachannel`
 *   accessor (wrtc's shim takes any object). Such an object becomes an Event with that channel.
 */
class TolerantPeerConnection extends polyfill.RTCPeerConnection {
  override async createOffer(): Promise<RTCSessionDescriptionInit> {
    const { type, sdp } = (await super.createOffer()) as RTCSessionDescriptionInit
    return { type, sdp }
  }

  override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    // libdatachannel made this offer itself when the first channel was created; setting it
    // again makes a new one, whose ICE transport then has the answer's candidates refused.
    if (description?.type === 'offer' && this.localDescription?.type === 'offer') return
    return super.setLocalDescription(description as RTCSessionDescriptionInit)
  }

  override async createAnswer(): Promise<RTCSessionDescriptionInit> {
    const { type, sdp } = (await super.createAnswer()) as RTCSessionDescriptionInit
    return { type, sdp }
  }

  override dispatchEvent(event: Event): boolean {
    if (event instanceof Event) return super.dispatchEvent(event)
    const { type, channel } = event as { type: string; channel?: unknown }
    const copy = new Event(type)
    if (channel !== undefined) Object.defineProperty(copy, 'channel', { value: channel, enumerable: true })
    return super.dispatchEvent(copy)
  }
}

/** The classes of `name`, as simple-peer's `wrtc` option and Parley's `RtcImplementation` take them. */
export function nodeRtc(name: NodeRtcName): RtcWithChannel {
  if (name === 'wrtc') return wrtc as unknown as RtcWithChannel
  return {
    RTCPeerConnection: TolerantPeerConnection as unknown as typeof RTCPeerConnection,
    RTCSessionDescription: polyfill.RTCSessionDescription as unknown as typeof RTCSessionDescription,
    RTCIceCandidate: polyfill.RTCIceCandidate as unknown as typeof RTCIceCandidate,
    RTCDataChannel: polyfill.RTCDataChannel as unknown as { prototype: RTCDataChannel },
  }
}
