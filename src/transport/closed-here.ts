// The links this peer closes on purpose (retired, shed past its cap, dropped or banned), so that
// liveness can tell them from a link closed by its far end or by a failure, which may mean the peer is gone.
import type { WebrtcConn } from 'y-webrtc'

/** Connections closed here on purpose, by simple-peer's private `_pc` (listed in y-webrtc-internals.ts). */
const closedOnPurpose = new WeakSet<object>()

/** Closes a link on purpose, as y-webrtc closes one (simple-peer's `destroy`), noting its connection first. */
export function closeHere(conn: WebrtcConn): void {
  const pc = (conn.peer as unknown as { _pc?: unknown })._pc
  if (typeof pc === 'object' && pc !== null) closedOnPurpose.add(pc)
  conn.peer.destroy()
}

/** Whether this peer closed the connection on purpose (`closeHere`). */
export function closedHere(pc: object): boolean {
  return closedOnPurpose.has(pc)
}
