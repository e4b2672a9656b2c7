// The shell of leave detection: opens the side channel on every RTCPeerConnection y-webrtc
// makes, sends what the tracker decides, and removes the awareness states of peers that went.
import { removeAwarenessStates, type Awareness } from 'y-protocols/awareness'
import {
  LIVENESS_CHANNEL_ID,
  LIVENESS_CHANNEL_LABEL,
  encodeLivenessFrame,
  parseLivenessFrame,
  type LivenessFrame,
} from './liveness-protocol.js'
import { closedHere } from './closed-here.js'
import {
  closeLink,
  emptyLiveness,
  linkedClients,
  liveLinkCount,
  onFrame,
  onIceTrouble,
  onTraffic,
  openLink,
  TICK_INTERVAL_MS,
  tick,
  type AwarenessView,
  type LivenessResult,
  type LivenessState,
  type Outgoing,
} from './liveness-tracker.js'

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

/** Data-channel messages a room sent since it opened. */
export interface SentCounts {
  /** Frames on the liveness side channel. */
  liveness: number
  /** Messages on y-webrtc's own channel (each frame of a large message counts). */
  data: number
}

/** Waits on clients rumored lost that no link of ours speaks for (liveness-tracker.ts `suspect`). */
export interface RumorWaits {
  started: number
  /** Ended with the client dropped: no renewal came. */
  dropped: number
  /** Under way now. */
  waiting: number
}

/** Fast leave detection for one room's awareness. */
export class Liveness {
  /** Frames from other peers that failed to parse. */
  garbageFrames = 0
  /** Rumors that a link sent beyond its allowance, ignored. */
  get rumorsRefused(): number {
    return this.#state.rumorsRefused
  }
  /** Waits on clients rumored lost with no link of ours to them: started, ended in a drop, under way now. */
  get rumorWaits(): RumorWaits {
    return { ...this.#state.rumorWaits, waiting: this.#state.suspected.size }
  }
  /** What this room sent, as the tracker saw it. */
  readonly sent: SentCounts = { liveness: 0, data: 0 }
  #awareness: Awareness
  #refutes: (client: number) => boolean
  #siblingsOf: (client: number) => readonly number[]
  #state: LivenessState
  #channels = new Map<string, RTCDataChannel>()
  #links = new WeakMap<RTCPeerConnection, string>()
  /** Each open link's connection, by link id. */
  #connections = new Map<string, RTCPeerConnection>()
  #nextLinkId = 0
  #timer: ReturnType<typeof setInterval> | null = null
  /** Set once the room closes: what closes from then on is ours. */
  #destroyed = false

  /**
   * `refutes` says whether a client answers rumors about itself (absent: all do), `siblingsOf`
   * which tabs are its user's other tabs (absent: none); see AwarenessView.
   */
  constructor(
    awareness: Awareness,
    refutes: (client: number) => boolean = () => true,
    siblingsOf: (client: number) => readonly number[] = () => [],
  ) {
    this.#awareness = awareness
    this.#refutes = refutes
    this.#siblingsOf = siblingsOf
    this.#state = emptyLiveness(awareness.clientID)
  }

  /** Wraps a WebRTC implementation so that each of its peer connections carries the side channel. */
  wrap(rtc: RtcImplementation): RtcImplementation {
    const attach = (pc: RTCPeerConnection, channel: RTCDataChannel): void => this.#attach(pc, channel)
    class LivenessPeerConnection extends rtc.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config)
        // Negotiated on both sides with the same id, so no 'datachannel' event reaches
        // simple-peer, which would otherwise take it for its own channel.
        attach(this, this.createDataChannel(LIVENESS_CHANNEL_LABEL, { negotiated: true, id: LIVENESS_CHANNEL_ID }))
      }
    }
    return { ...rtc, RTCPeerConnection: LivenessPeerConnection }
  }

  /** How many links carry a live peer's liveness now. */
  liveLinks(): number {
    return liveLinkCount(this.#state)
  }

  /** The awareness clients a live link speaks for now (they said hello on it). */
  linkedClients(): number[] {
    return linkedClients(this.#state)
  }

  /** Notes a message on one of the connection's other channels (y-webrtc's), in or out: each counts as a beat. */
  traffic(pc: RTCPeerConnection, direction: 'in' | 'out'): void {
    if (direction === 'out') this.sent.data++
    const linkId = this.#links.get(pc)
    if (linkId !== undefined) onTraffic(this.#state, linkId, direction, Date.now())
  }

  /** Tells every connected peer this tab is leaving (pagehide, room closed). */
  goodbye(): void {
    this.#broadcast({ t: 'bye' })
  }

  /** Stops heartbeats; the connections themselves belong to y-webrtc. */
  destroy(): void {
    this.#destroyed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    for (const channel of this.#channels.values()) channel.close()
    this.#channels.clear()
    this.#connections.clear()
  }

  #attach(pc: RTCPeerConnection, channel: RTCDataChannel): void {
    const linkId = String(this.#nextLinkId++)
    this.#links.set(pc, linkId)
    channel.onopen = () => {
      this.#channels.set(linkId, channel)
      this.#connections.set(linkId, pc)
      this.#sendAll(openLink(this.#state, linkId, Date.now()))
      this.#timer ??= setInterval(() => this.#tick(), TICK_INTERVAL_MS)
    }
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const frame = parseLivenessFrame(event.data)
      if (frame === null) {
        this.garbageFrames++
        return
      }
      if (frame.t === 'sync') this.#reannounce()
      this.#apply(onFrame(this.#state, linkId, frame, Date.now(), this.#view))
    }
    // Fired when the far end closed the link or it failed; closing our own connection fires none.
    channel.onclose = () => {
      this.#channels.delete(linkId)
      this.#closed(linkId)
    }
    // ICE notices a dead peer after about 7 s (bench/ice-kill.ts): a second chance when the
    // peer that watches it went too. A listener, not the handler simple-peer sets.
    pc.addEventListener('iceconnectionstatechange', () => {
      const ice = pc.iceConnectionState
      if (ice === 'disconnected' || ice === 'failed') this.#sendAll(onIceTrouble(this.#state, linkId, Date.now()))
    })
  }

  #tick(): void {
    // A connection closed by y-webrtc (a retired or re-offered link) closes its channels
    // without a 'close' event; a link left open would speak for its peer until its promise ran out.
    // So does one that simple-peer closed on an error, or on its other channel's close.
    for (const [linkId, channel] of this.#channels) {
      if (channel.readyState !== 'closed') continue
      this.#channels.delete(linkId)
      this.#closed(linkId)
    }
    this.#apply(tick(this.#state, Date.now(), this.#view))
  }

  /** What the tracker reads of awareness. */
  readonly #view: AwarenessView = {
    isKnown: (client) => this.#awareness.getStates().has(client),
    // Awareness stamps every renewal or change it applies (its outdated timeout reads the stamp).
    renewedAt: (client) => (this.#awareness.getStates().has(client) ? this.#awareness.meta.get(client)?.lastUpdated : undefined),
    clockOf: (client) => (this.#awareness.getStates().has(client) ? this.#awareness.meta.get(client)?.clock : undefined),
    refutes: (client) => this.#refutes(client),
    siblingsOf: (client) => this.#siblingsOf(client),
  }

  /** A link's channel closed: a close this peer made on purpose (or after the room closed) only drops its client. */
  #closed(linkId: string): void {
    const pc = this.#connections.get(linkId)
    this.#connections.delete(linkId)
    const ours = this.#destroyed || (pc !== undefined && closedHere(pc))
    this.#apply(closeLink(this.#state, linkId, ours ? 'ours' : 'theirs', Date.now(), this.#view))
  }

  #apply({ gone, send, refute }: LivenessResult): void {
    this.#drop(gone)
    this.#sendAll(send)
    // A rumor says we are lost: a renewal of our state, which the relay brings to every peer, says we are not.
    if (refute === true) this.#reannounce()
  }

  #sendAll(frames: Outgoing[]): void {
    for (const { linkId, frame } of frames) {
      const channel = this.#channels.get(linkId)
      if (channel !== undefined) this.#send(channel, frame)
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
      this.sent.liveness++
    } catch {
      // the channel closed between the check and the send; its onclose does the rest
    }
  }
}
