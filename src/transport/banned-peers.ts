// Peers a room ignores for the rest of the session, because one of their links flooded it with
// sync messages (see peer-guard.ts): their link is dropped, and their signals screened out.
import type { Room as WebrtcRoom } from 'y-webrtc'

/** Per room: the peer ids it ignores. */
const bannedPeers = new WeakMap<WebrtcRoom, Set<string>>()

/** Whether `room` ignores the peer `peerId` (its announcements, offers and answers). */
export function isBanned(room: WebrtcRoom, peerId: string): boolean {
  return bannedPeers.get(room)?.has(peerId) === true
}

/**
 * Drops the link of `room` whose connection is `pc`, and ignores its peer from now on. Returns
 * the peer's id, or null when no link of the room uses `pc`. Finds the link through
 * simple-peer's private `_pc` (listed in y-webrtc-internals.ts).
 */
export function banPeerOf(room: WebrtcRoom, pc: RTCPeerConnection): string | null {
  const conn = [...room.webrtcConns.values()].find((each) => (each.peer as unknown as { _pc?: unknown })._pc === pc)
  if (conn === undefined) return null
  const banned = bannedPeers.get(room) ?? new Set<string>()
  bannedPeers.set(room, banned)
  banned.add(conn.remotePeerId)
  conn.peer.destroy()
  return conn.remotePeerId
}
