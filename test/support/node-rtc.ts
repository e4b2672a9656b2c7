// The WebRTC implementations Node peers can run on: @roamhq/wrtc, or node-datachannel's polyfill
// (libdatachannel), which holds up with more peers on two cores (wrtc crashed at 24).
import { createRequire } from 'node:module'
import { initLogger, PeerConnection } from 'node-datachannel'
import * as polyfill from 'node-datachannel/polyfill'
import type { RtcWithChannel } from './counting-rtc.js'
import { joinTraceOn, traceLine } from './join-trace.js'

/** Which WebRTC library a Node peer uses. */
export type NodeRtcName = 'wrtc' | 'node-datachannel'

/**
 * node-datachannel's peer connection, made to take what simple-peer and Parley's framing do with
 * it the way a browser's does (both kinds of peer get the same; Parley itself is unchanged):
 * - Negotiation is the caller's, as in a browser. libdatachannel by default makes an offer of its
 *   own as soon as a data channel is created, and Parley creates its negotiated side channels in
 *   the constructor, on the answering side too: that offer raced the remote one (and sent
 *   candidates before it). So auto-negotiation is off; `createOffer` and `createAnswer` set the
 *   local description (libdatachannel makes one only by setting it), and `setLocalDescription`
 *   takes what they set (setting an offer again would make a new one).
 * - The answering side learns the offerer's addresses from its connectivity checks (peer-reflexive
 *   candidates), not from the offer and its trickled candidates. Otherwise it connects ICE and
 *   sends its DTLS hello as soon as it has answered, and when that hello reaches the offerer before
 *   the answer (signaling is slower than loopback on busy cores) libdatachannel has no fingerprint
 *   to check it against and fails the connection ("certificate verify failed", then "remote
 *   candidate without ICE transport"); a browser holds the hello until the answer is in. This left
 *   a quarter of the links of 8 simultaneous joiners failed, each repaired only by a re-offer 8 s later.
 *   Checks start from the offerer once it has the answer and the answerer's candidates.
 * - The offerer hands out its candidates (trickled, and in its offer's SDP) only once it has
 *   taken the answer. libdatachannel's `setRemoteDescription` gives the ICE agent the answer's
 *   credentials before it keeps the answer for the DTLS fingerprint check; with the answerer
 *   already checking the offer's candidates (a browser or @roamhq/wrtc answerer does as soon as
 *   it has answered), ICE connects and the handshake reaches that check in between when the
 *   event loop's thread is descheduled there (busy cores): "DTLS alert: unknown CA", "certificate
 *   verify failed", whichever side starts the handshake. The link failed on both ends, the
 *   libdatachannel end without a connection state change, so a stock peer there kept it for good
 *   (test/e2e/hostile-presence.test.ts lost its stock peer's link to the second browser so in
 *   10 of 15 runs on loaded cores). Without the offerer's addresses the answerer cannot check
 *   until then. The candidates then go under the token y-webrtc's link takes once the answer came
 *   (src/transport/signal-glare.ts lets those through). `a=setup:active`, written into the
 *   offer createOffer returned against this race, never went out: simple-peer sends
 *   `localDescription`, and which side starts the handshake does not matter.
 *   Child peers (node-peer-child.ts) run this library too unless a test asks for wrtc: a wrtc
 *   answerer checks as soon as it has answered, and @roamhq/wrtc died of SIGSEGV in test children.
 * - simple-peer assigns `offer.sdp` (its sdpTransform), but the polyfill's descriptions have a
 *   getter only: offers and answers are handed out as plain `{ type, sdp }` objects.
 * - Its events go through Node's own EventTarget, whose `dispatchEvent` accepts only `Event`
 *   instances; Parley's framing (src/transport/framing.ts) re-dispatches a datachannel event as a
 *   plain `{ type, channel, target }` object where the implementation has no `ondatachannel`
 *   accessor (wrtc's shim takes any object). Such an object becomes an Event with that channel.
 */
class TolerantPeerConnection extends polyfill.RTCPeerConnection {
  readonly #native: PeerConnection
  /** Set once a remote offer came: this side answers, and takes no remote candidates. */
  #answering = false
  /** This side's candidates while its offer waits for the answer (see above); null once they go out as they come. */
  #heldCandidates: Event[] | null = null

  constructor(config: RTCConfiguration = {}) {
    const native = new PeerConnection(`peer-${Math.random().toString(36).slice(2, 9)}`, {
      iceServers: (config.iceServers ?? []).flatMap((server) => (Array.isArray(server.urls) ? server.urls : [server.urls])),
      disableAutoNegotiation: true,
    })
    super({ ...config, peerConnection: native } as RTCConfiguration)
    this.#native = native
  }

  override async createOffer(): Promise<RTCSessionDescriptionInit> {
    if (this.#native.signalingState() === 'stable' && this.#native.localDescription() === null) {
      this.#heldCandidates ??= [] // before libdatachannel starts gathering
      this.#native.setLocalDescription('offer')
    }
    const { type, sdp } = (await super.createOffer()) as RTCSessionDescriptionInit
    return { type, sdp: sdp === undefined ? sdp : withoutCandidates(sdp) }
  }

  // What simple-peer sends once the offer is set: without the candidates gathered meanwhile.
  override get localDescription(): RTCSessionDescription {
    const description = super.localDescription
    if (description?.type !== 'offer') return description
    const sent = { type: description.type, sdp: withoutCandidates(description.sdp) }
    return { ...sent, toJSON: () => sent }
  }

  override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    if (description?.type === 'offer' || description?.type === 'answer') return // set by createOffer / createAnswer
    return super.setLocalDescription(description as RTCSessionDescriptionInit)
  }

  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    if (description.type !== 'offer') {
      await super.setRemoteDescription(description)
      // libdatachannel keeps the answer (its fingerprint) by now: the answerer may check us.
      return this.#releaseCandidates()
    }
    this.#answering = true
    await super.setRemoteDescription({ type: 'offer', sdp: withoutCandidates(description.sdp ?? '') })
    this.#releaseCandidates() // an offer of ours given up for the peer's: it checks us now
  }

  #releaseCandidates(): void {
    const held = this.#heldCandidates ?? []
    this.#heldCandidates = null
    for (const event of held) super.dispatchEvent(event)
  }

  override async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    if (this.#answering) return // peer-reflexive instead (above)
    return super.addIceCandidate(candidate as RTCIceCandidateInit)
  }

  override async createAnswer(): Promise<RTCSessionDescriptionInit> {
    if (this.#native.signalingState() === 'have-remote-offer') this.#native.setLocalDescription('answer')
    const { type, sdp } = (await super.createAnswer()) as RTCSessionDescriptionInit
    return { type, sdp }
  }

  override dispatchEvent(event: Event): boolean {
    if (event.type === 'icecandidate' && this.#heldCandidates !== null) {
      this.#heldCandidates.push(event)
      return true
    }
    if (event instanceof Event) return super.dispatchEvent(event)
    const { type, channel } = event as { type: string; channel?: unknown }
    const copy = new Event(type)
    if (channel !== undefined) Object.defineProperty(copy, 'channel', { value: channel, enumerable: true })
    return super.dispatchEvent(copy)
  }
}

/** An SDP without its candidate lines (they are trickled: see TolerantPeerConnection). */
const withoutCandidates = (sdp: string): string =>
  sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate') && !line.startsWith('a=end-of-candidates'))
    .join('\r\n')

/** libdatachannel's own warnings and errors (a failed DTLS handshake, say) go to the join trace, when it is on. */
let loggerSet = false

/** The classes of `name`, as simple-peer's `wrtc` option and Parley's `RtcImplementation` take them. */
export function nodeRtc(name: NodeRtcName): RtcWithChannel {
  // Loaded only when asked for: a test process that runs no wrtc peer does not carry its native side.
  if (name === 'wrtc') return createRequire(import.meta.url)('@roamhq/wrtc') as RtcWithChannel
  if (joinTraceOn && !loggerSet) {
    loggerSet = true
    initLogger('Warning', (level, message) => traceLine(`rtc-log ${level} ${message.replace(/\s+/g, '_')}`))
  }
  return {
    RTCPeerConnection: TolerantPeerConnection as unknown as typeof RTCPeerConnection,
    RTCSessionDescription: polyfill.RTCSessionDescription as unknown as typeof RTCSessionDescription,
    RTCIceCandidate: polyfill.RTCIceCandidate as unknown as typeof RTCIceCandidate,
    RTCDataChannel: polyfill.RTCDataChannel as unknown as { prototype: RTCDataChannel },
  }
}
