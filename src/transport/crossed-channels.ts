// Links whose two ends each opened y-webrtc's data channel, so that neither hears the other: made
// by stock y-webrtc 10.3 in a glare. Found as the peer's channel arrives, and retired (see stuck-links.ts).
import type { Room as WebrtcRoom } from 'y-webrtc'
import type { RtcImplementation } from './liveness.js'
import { retireLink } from './stuck-links.js'

/**
 * Stock y-webrtc 10.3 begins a link of its own to a peer that announces itself: an offering
 * simple-peer, which opens y-webrtc's data channel at once. If that peer's offer reaches it
 * before its own offer is out, it hands the offer to that link, which answers it. The
 * connection comes up with two y-webrtc channels, each end listening only on the one it opened:
 * both ends count the link as connected, and it carries nothing (stock peers have no stuck-link
 * timer, and ours leaves connected links alone). The offering end sees the other end's channel
 * arrive; it closes the link quietly, the stock peer sees it close and announces itself again,
 * and the offer that follows finds no link there to cross. Parley peers never answer with an
 * offering link (signal-screen.ts restarts it first), so between them this never fires.
 */
export class CrossedChannels {
  #room: WebrtcRoom | null = null

  /** Wraps a WebRTC implementation so that its peer connections report a crossed channel. */
  wrap(rtc: RtcImplementation): RtcImplementation {
    const opened = new WeakSet<RTCPeerConnection>()
    const crossed = (pc: RTCPeerConnection): void => this.#crossed(pc)
    class CrossedChannelsPeerConnection extends rtc.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config)
        // Negotiated channels (the side channels) raise no such event: this is the peer's y-webrtc channel.
        this.addEventListener('datachannel', () => {
          if (opened.has(this)) crossed(this)
        })
      }

      override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
        if (init?.negotiated !== true) opened.add(this)
        return super.createDataChannel(label, init)
      }
    }
    return { ...rtc, RTCPeerConnection: CrossedChannelsPeerConnection }
  }

  /** Retires crossed links of `room` from now on; returns what stops it. */
  attach(room: WebrtcRoom): () => void {
    this.#room = room
    return () => {
      this.#room = null
    }
  }

  #crossed(pc: RTCPeerConnection): void {
    // Not from inside the connection's own event handler.
    queueMicrotask(() => {
      const room = this.#room
      if (room === null) return
      // simple-peer's private `_pc` (listed in y-webrtc-internals.ts) names the link's connection.
      const conn = [...room.webrtcConns.values()].find((each) => (each.peer as unknown as { _pc?: unknown })._pc === pc)
      if (conn === undefined) return
      retireLink(room, conn)
    })
  }
}
