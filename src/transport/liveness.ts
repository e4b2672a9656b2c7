// The shell of leave detection: opens the side channel on every RTCPeerConnection y-webrtc
// makes, sends heartbeats, and removes the awareness states of peers that went silent.
import { removeAwarenessStates, type Awareness } from 'y-protocols/awareness'
import {
  HEARTBEAT_INTERVAL_MS,
  LIVENESS_CHANNEL_ID,
  LIVENESS_CHANNEL_LABEL,
  encodeLivenessFrame,
  parseLivenessFrame,
  type LivenessFrame,
} from './liveness-protocol.js'
import { closeLink, emptyLiveness, onFrame, tick } from './liveness-tracker.js'

/** Origin of awareness removals made here; the room keeps them local (never re-broadcast). */
export const LIVENESS_ORIGIN = 'parley-liveness'

/** The WebRTC classes simple-peer needs (`peerOpts.wrtc`): the browser's or @roamhq/wrtc's. */
export interface RtcImplementation {
  RTCPeerConnection: typeof RTCPeerConnection
  RTCSessionDescription: typeof RTCSessionDescription
  RTCIceCandidate: typeof RTCIceCandidate
}

/** The browser's own WebRTC classes, or null where there are none (Node without wrtc). */
export function browserRtc(): RtcImplementation | null {
  if (typeof globalThis.RTCPeerConnection !== 'function') return null
  const { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate } = globalThis
  return { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
}

/** Fast leave detection for one room's awareness. */
export class Liveness {
  /** Frames from other peers that failed to parse. */
  garbageFrames = 0
  #awareness: Awareness
  #state = emptyLiveness()
  #channels = new Map<string, RTCDataChannel>()
  #nextLinkId = 0
  #timer: ReturnType<typeof setInterval> | null = null

  constructor(awareness: Awareness) {
    this.#awareness = awareness
  }

  /** Wraps a WebRTC implementation so that each of its peer connections carries the side channel. */
  wrap(rtc: RtcImplementation): RtcImplementation {
    const attach = (channel: RTCDataChannel): void => this.#attach(channel)
    class LivenessPeerConnection extends rtc.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config)
        // Negotiated on both sides with the same id, so no 'datachannel' event reaches
        // simple-peer, which would otherwise take it for its own channel.
        attach(this.createDataChannel(LIVENESS_CHANNEL_LABEL, { negotiated: true, id: LIVENESS_CHANNEL_ID }))
      }
    }
    return { ...rtc, RTCPeerConnection: LivenessPeerConnection }
  }

  /** Tells every connected peer this tab is leaving (pagehide, room closed). */
  goodbye(): void {
    this.#broadcast({ t: 'bye' })
  }

  /** Stops heartbeats; the connections themselves belong to y-webrtc. */
  destroy(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    for (const channel of this.#channels.values()) channel.close()
    this.#channels.clear()
  }

  #attach(channel: RTCDataChannel): void {
    const linkId = String(this.#nextLinkId++)
    channel.onopen = () => {
      this.#channels.set(linkId, channel)
      this.#send(channel, { t: 'hello', client: this.#awareness.clientID })
      this.#timer ??= setInterval(() => this.#tick(), HEARTBEAT_INTERVAL_MS)
    }
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const frame = parseLivenessFrame(event.data)
      if (frame === null) {
        this.garbageFrames++
        return
      }
      if (frame.t === 'sync') this.#reannounce()
      this.#drop(onFrame(this.#state, linkId, frame, Date.now()))
    }
    channel.onclose = () => {
      this.#channels.delete(linkId)
      this.#drop(closeLink(this.#state, linkId))
    }
  }

  #tick(): void {
    this.#broadcast({ t: 'beat' })
    const states = this.#awareness.getStates()
    const { gone, askSync } = tick(this.#state, Date.now(), (client) => states.has(client))
    this.#drop(gone)
    for (const linkId of askSync) {
      const channel = this.#channels.get(linkId)
      if (channel !== undefined) this.#send(channel, { t: 'sync' })
    }
  }

  /** Re-sets our own state so its clock rises and every peer applies it again. */
  #reannounce(): void {
    const state = this.#awareness.getLocalState()
    if (state !== null) this.#awareness.setLocalState(state)
  }

  #drop(clients: number[]): void {
    const states = this.#awareness.getStates()
    const present = clients.filter((client) => client !== this.#awareness.clientID && states.has(client))
    if (present.length > 0) removeAwarenessStates(this.#awareness, present, LIVENESS_ORIGIN)
  }

  #broadcast(frame: LivenessFrame): void {
    for (const channel of this.#channels.values()) this.#send(channel, frame)
  }

  #send(channel: RTCDataChannel, frame: LivenessFrame): void {
    if (channel.readyState !== 'open') return
    try {
      channel.send(encodeLivenessFrame(frame))
    } catch {
      // the channel closed between the check and the send; its onclose does the rest
    }
  }
}
