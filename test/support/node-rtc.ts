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
 * - The offering side adds the candidates an answer carries only once the answer is applied.
 *   libdatachannel 0.24 (node-datachannel 0.33) hands an answer to ICE before it commits the
 *   fingerprint the DTLS handshake is checked against (upstream: libdatachannel PR #1612, "Fix
 *   DTLS startup ordering"): ICE can connect and the handshake reach that check while this
 *   process's busy event loop is still inside `setRemoteDescription`, and the link fails
 *   ("certificate verify failed") with no retry in stock y-webrtc. With its own checks held
 *   back, ICE here connects no earlier than on checks from the answerer, which an answerer of
 *   this kind never starts (above): links between two such peers cannot fail so. An answerer
 *   that checks as soon as it has answered (@roamhq/wrtc, a browser) still can: 12 of 81 runs of
 *   room-handlers.test.ts with a wrtc child answering, under load. Child peers therefore run
 *   this library too unless a test asks for wrtc. (An offer saying `a=setup:active` moves the
 *   failed check to the other side of the handshake: 2 of 12 runs.)
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

  constructor(config: RTCConfiguration = {}) {
    const native = new PeerConnection(`peer-${Math.random().toString(36).slice(2, 9)}`, {
      iceServers: (config.iceServers ?? []).flatMap((server) => (Array.isArray(server.urls) ? server.urls : [server.urls])),
      disableAutoNegotiation: true,
    })
    super({ ...config, peerConnection: native } as RTCConfiguration)
    this.#native = native
  }

  override async createOffer(): Promise<RTCSessionDescriptionInit> {
    if (this.#native.signalingState() === 'stable' && this.#native.localDescription() === null) this.#native.setLocalDescription('offer')
    const { type, sdp } = (await super.createOffer()) as RTCSessionDescriptionInit
    return { type, sdp }
  }

  override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
    if (description?.type === 'offer' || description?.type === 'answer') return // set by createOffer / createAnswer
    return super.setLocalDescription(description as RTCSessionDescriptionInit)
  }

  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const { sdp, candidates, mid } = splitCandidates(description.sdp ?? '')
    if (description.type === 'offer') {
      this.#answering = true // its candidates are dropped: peer-reflexive instead (above)
      return super.setRemoteDescription({ type: 'offer', sdp })
    }
    if (description.type !== 'answer') return super.setRemoteDescription(description)
    await super.setRemoteDescription({ type: 'answer', sdp })
    // The answer's fingerprint is committed now: checks may start.
    for (const candidate of candidates) {
      try {
        await super.addIceCandidate({ candidate, sdpMid: mid })
      } catch {
        // one libdatachannel cannot use (an mDNS name, TCP): simple-peer skips such trickled ones alike
      }
    }
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
    if (event instanceof Event) return super.dispatchEvent(event)
    const { type, channel } = event as { type: string; channel?: unknown }
    const copy = new Event(type)
    if (channel !== undefined) Object.defineProperty(copy, 'channel', { value: channel, enumerable: true })
    return super.dispatchEvent(copy)
  }
}

/** `sdp` without its candidate lines, those candidates (as `addIceCandidate` takes them) and the media id they are for. */
function splitCandidates(sdp: string): { sdp: string; candidates: string[]; mid: string } {
  const lines = sdp.split('\r\n')
  const isCandidate = (line: string): boolean => line.startsWith('a=candidate') || line.startsWith('a=end-of-candidates')
  return {
    sdp: lines.filter((line) => !isCandidate(line)).join('\r\n'),
    candidates: lines.filter((line) => line.startsWith('a=candidate')).map((line) => line.slice('a='.length)),
    mid: lines.find((line) => line.startsWith('a=mid:'))?.slice('a=mid:'.length) ?? '0',
  }
}

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
