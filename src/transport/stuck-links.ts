// Links (y-webrtc WebrtcConns) that never connect, replaced by fresh offers; and the quiet way
// to end a link that another replaces. Private members: see y-webrtc-internals.ts.
import { WebrtcConn, type Room as WebrtcRoom } from 'y-webrtc'

/** How long a link may stay unconnected before it is closed and the peer asked again, in ms. */
export const PENDING_LINK_TIMEOUT_MS = 10_000
/**
 * How long a link whose offer won a glare waits for the answer, in ms. A Parley peer answers
 * at once; stock y-webrtc breaks its own link instead, and answers only a later offer.
 */
export const GLARE_ANSWER_TIMEOUT_MS = 3000
/** Fresh offers to a peer whose links keep failing before it counts as gone (until it announces again). */
export const MAX_REOFFERS = 3
/** How often links are checked for these timeouts, in ms. */
export const PENDING_CHECK_INTERVAL_MS = 1000

/** The timeouts of `reofferStuckLinks` (tests shorten them). */
export interface StuckLinkTimeouts {
  pendingLinkTimeoutMs: number
  glareAnswerTimeoutMs: number
  checkIntervalMs: number
}

const DEFAULT_TIMEOUTS: StuckLinkTimeouts = {
  pendingLinkTimeoutMs: PENDING_LINK_TIMEOUT_MS,
  glareAnswerTimeoutMs: GLARE_ANSWER_TIMEOUT_MS,
  checkIntervalMs: PENDING_CHECK_INTERVAL_MS,
}

/** Links whose offer won a glare, with when the losing offer was dropped (see signal-screen.ts). */
const glareWonAt = new WeakMap<WebrtcConn, number>()

/** Notes that `conn`'s offer won a glare at `now`: its answer is due within the glare timeout. */
export function noteGlareWon(conn: WebrtcConn, now: number): void {
  glareWonAt.set(conn, now)
}

/**
 * Replaces a link that has not connected within the pending timeout (or, after winning a
 * glare, got no answer within the glare timeout) with a fresh offer of ours, up to
 * MAX_REOFFERS times per peer: y-webrtc 10.3 leaves such links "connecting" for good, e.g.
 * when two peers offered at once or an offer was lost. Returns what stops it.
 */
export function reofferStuckLinks(room: WebrtcRoom, timeouts: Partial<StuckLinkTimeouts> = {}): () => void {
  const { pendingLinkTimeoutMs, glareAnswerTimeoutMs, checkIntervalMs } = { ...DEFAULT_TIMEOUTS, ...timeouts }
  const pendingSince = new WeakMap<WebrtcConn, number>()
  /** Fresh offers made to each peer since its last link connected. */
  const reoffers = new Map<string, number>()
  const check = (now: number): void => {
    for (const conn of [...room.webrtcConns.values()]) {
      if (conn.connected) {
        reoffers.delete(conn.remotePeerId)
        continue
      }
      const since = pendingSince.get(conn)
      const wonAt = glareWonAt.get(conn)
      if (since === undefined) pendingSince.set(conn, now)
      const pendingTooLong = since !== undefined && now - since >= pendingLinkTimeoutMs
      const answerTooLate = wonAt !== undefined && now - wonAt >= glareAnswerTimeoutMs
      if (pendingTooLong || answerTooLate) reoffer(room, conn, reoffers)
    }
  }
  const timer = setInterval(() => check(Date.now()), checkIntervalMs)
  return () => clearInterval(timer)
}

/**
 * Gives up a link and offers a new one, up to MAX_REOFFERS times. An offer, unlike an
 * announcement, also reaches a peer whose own link to us is stuck: y-webrtc hands it to that
 * link, which then answers.
 */
function reoffer(room: WebrtcRoom, conn: WebrtcConn, reoffers: Map<string, number>): void {
  const peerId = conn.remotePeerId
  retireLink(room, conn)
  const count = (reoffers.get(peerId) ?? 0) + 1
  reoffers.set(peerId, count)
  if (count > MAX_REOFFERS) return // gone, most likely; its next announcement starts over
  const signaling = room.provider.signalingConns.find((candidate) => candidate.connected)
  if (signaling === undefined || !room.provider.connected) return
  room.webrtcConns.set(peerId, new WebrtcConn(signaling, true, peerId, room))
}

/**
 * Closes a link that a new one from or to the same peer replaces, quietly: y-webrtc's close
 * handler would remove the replacement (it looks links up by peer id) and announce this peer
 * again, which starts yet another offer from the other side.
 */
export function retireLink(room: WebrtcRoom, conn: WebrtcConn): void {
  if (room.webrtcConns.get(conn.remotePeerId) === conn) room.webrtcConns.delete(conn.remotePeerId)
  conn.closed = true
  // Silenced: its offer may still be on the way out of simple-peer, and must not reach the
  // peer; its close and errors have nobody left to tell.
  conn.peer.emit = () => false
  conn.peer.destroy()
}
