// An init script for pages whose peer connections a test or bench closes itself: closed by the
// page, a link reaches its far end as a close, not as silence (liveness-tracker.ts, closeLink).

/** What `keepPeerConnections` leaves in a page. */
export interface KeptConnections {
  peerConnections: RTCPeerConnection[]
}

/** Init script: keeps every RTCPeerConnection the page makes in `window.peerConnections`, to close them. */
export function keepPeerConnections(): void {
  const kept: RTCPeerConnection[] = []
  ;(window as unknown as KeptConnections).peerConnections = kept
  const Native = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config)
      kept.push(this)
    }
  }
}
