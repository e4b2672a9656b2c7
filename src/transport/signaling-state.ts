// Whether this tab reaches a signaling server, from what y-webrtc's signaling connections know:
// lib0's WebSocket client says whether it is connected and how many attempts failed since it was.

/** `connected`: at least one server; `connecting`: a first attempt (or one after a drop) under way; `unreachable`: attempts fail, and go on. */
export type SignalingState = 'connected' | 'connecting' | 'unreachable'

/** What one signaling connection tells (lib0 `WebsocketClient`'s `connected`, `unsuccessfulReconnects`). */
export interface SignalingConnState {
  connected: boolean
  /** Attempts that failed since the last connection; lib0 sets it back to 0 when one opens. */
  unsuccessfulReconnects: number
}

/** The state of a room's signaling, over all its servers: one connected is enough to find peers. */
export function signalingStateOf(conns: readonly SignalingConnState[]): SignalingState {
  if (conns.some((conn) => conn.connected)) return 'connected'
  if (conns.some((conn) => conn.unsuccessfulReconnects > 0)) return 'unreachable'
  return 'connecting'
}
