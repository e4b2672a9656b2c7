// Links (y-webrtc WebrtcConns) that stopped progressing, replaced by fresh offers (or invitations);
// and the quiet way to end a link that another replaces. Private members: see y-webrtc-internals.ts.
import { WebrtcConn, type Room as WebrtcRoom } from 'y-webrtc'
import { isBanned } from './banned-peers.js'
import { closeHere } from './closed-here.js'
import { joinStateOf, sendInvitation } from './join-state.js'
import { decideLapse, offersTo } from './offer-rule.js'
import { isStuck, LAPSED_LINK_WAIT_MS, mayRetry, progressed, REOFFER_QUIET_MS, startClock, type LinkClock } from './reoffer-timing.js'

/**
 * How long a link whose offer won a glare waits for the answer, in ms. A Parley peer answers
 * at once; stock y-webrtc breaks its own link instead, and answers only a later offer.
 */
export const GLARE_ANSWER_TIMEOUT_MS = 3000
/** How often links are checked for these timeouts, in ms. */
export const PENDING_CHECK_INTERVAL_MS = 1000

/** The timeouts of `reofferStuckLinks` (tests shorten them). */
export interface StuckLinkTimeouts {
  /** How long a first link may go without progress; later attempts back off from it (reoffer-timing.ts). */
  quietMs: number
  glareAnswerTimeoutMs: number
  /** How long a stock peer whose link to us failed on our side may take to begin a new one before we offer, at the first attempt. */
  lapsedLinkWaitMs: number
  checkIntervalMs: number
}

const DEFAULT_TIMEOUTS: StuckLinkTimeouts = {
  quietMs: REOFFER_QUIET_MS,
  glareAnswerTimeoutMs: GLARE_ANSWER_TIMEOUT_MS,
  lapsedLinkWaitMs: LAPSED_LINK_WAIT_MS,
  checkIntervalMs: PENDING_CHECK_INTERVAL_MS,
}

/** simple-peer events that show a link's setup moving: signals out, ICE and signaling state changes. */
const PROGRESS_EVENTS = ['signal', 'iceStateChange', 'signalingStateChange', 'connect'] as const

/** Links whose offer won a glare, with when the losing offer was dropped (see signal-screen.ts). */
const glareWonAt = new WeakMap<WebrtcConn, number>()

/** Notes that `conn`'s offer won a glare at `now`: its answer is due within the glare timeout. */
export function noteGlareWon(conn: WebrtcConn, now: number): void {
  glareWonAt.set(conn, now)
}

/** Whether `conn`'s offer won a glare: an offer of the peer's crossed it and was dropped. */
export function wonGlare(conn: WebrtcConn): boolean {
  return glareWonAt.has(conn)
}

/**
 * Each room's watch for links that fail here before they connect (set by `reofferStuckLinks`):
 * `offerTo` hands it the links it makes, which y-webrtc's 'peers' event does not announce.
 */
const lapseWatches = new WeakMap<WebrtcRoom, (conn: WebrtcConn) => void>()

/** What `reofferStuckLinks` counted (tests read it). */
export interface StuckLinkStats {
  /** Links given up and offered anew. */
  reoffers: number
  /** Invitations sent to Parley peers that offer to us (offer-rule.ts) after a stall. */
  reinvitations: number
  /** Offers to stock peers whose link with us failed on our side alone, answering or offering (offer-rule.ts `decideLapse`). */
  lapseOffers: number
}

/**
 * Replaces a link that has made no progress (no signal sent or received, no ICE or signaling
 * state change) for its quiet time, or, after winning a glare, got no answer within the glare
 * timeout, with a fresh offer of ours; y-webrtc 10.3 leaves such links "connecting" for good,
 * e.g. when an offer was lost. A link that is only slow keeps progressing and is left alone.
 * Each further attempt at a peer waits longer (backoff, with jitter), up to MAX_REOFFERS times.
 * To a Parley peer with a smaller id (which offers, offer-rule.ts) an invitation is sent instead
 * of an offer. A stock peer whose link with us (its offer we answered, or ours it answered) then
 * failed on our side before it connected is offered to after its own wait (offer-rule.ts
 * `decideLapse`), as it may never notice. `random` is Math.random unless a test fixes it. Returns what stops it.
 */
export function reofferStuckLinks(
  room: WebrtcRoom,
  timeouts: Partial<StuckLinkTimeouts> = {},
  stats: StuckLinkStats = { reoffers: 0, reinvitations: 0, lapseOffers: 0 },
  random: () => number = Math.random,
): () => void {
  const { quietMs, glareAnswerTimeoutMs, lapsedLinkWaitMs, checkIntervalMs } = { ...DEFAULT_TIMEOUTS, ...timeouts }
  const join = joinStateOf(room)
  const clocks = new WeakMap<WebrtcConn, LinkClock>()
  /** Invitations waiting for the invited peer's offer, by peer id. */
  const invited = new Map<string, LinkClock>()
  /** Failed attempts at each peer since its last link connected. */
  const attempts = new Map<string, number>()
  /** Peers whose link closed on our side before it connected: the clock of the wait before our offer. */
  const lapsed = new Map<string, LinkClock>()
  const clockOf = (conn: WebrtcConn, now: number): LinkClock => {
    let clock = clocks.get(conn)
    if (clock === undefined) {
      clock = startClock(now, attempts.get(conn.remotePeerId) ?? 0, random(), quietMs)
      clocks.set(conn, clock)
      const touch = (): void => {
        const current = clocks.get(conn)
        if (current !== undefined) clocks.set(conn, progressed(current, Date.now()))
      }
      for (const event of PROGRESS_EVENTS) conn.peer.on(event, touch)
    }
    const signalled = join.lastSignalAt.get(conn.remotePeerId)
    if (signalled !== undefined) clock = progressed(clock, signalled)
    clocks.set(conn, clock)
    return clock
  }
  /** Counts one more attempt at `peerId`; false once it counts as gone. */
  const nextAttempt = (peerId: string): boolean => {
    const count = attempts.get(peerId) ?? 0
    attempts.set(peerId, count + 1)
    return mayRetry(count)
  }
  /** We wait for `peerId` to offer: a Parley peer with the smaller id. */
  const theyOffer = (peerId: string): boolean => join.parleyPeers.has(peerId) && offersTo(peerId, room.peerId)
  const invite = (peerId: string, now: number): void => {
    if (!nextAttempt(peerId)) return void invited.delete(peerId) // gone, most likely; its next announcement starts over
    if (!sendInvitation(room, peerId)) return
    stats.reinvitations++
    invited.set(peerId, startClock(now, attempts.get(peerId) ?? 0, random(), quietMs))
  }
  const watched = new WeakSet<WebrtcConn>()
  /**
   * Notes the failure of a link (y-webrtc's close handler ran: not one we retired, which closes
   * silently) that never connected, whichever side offered. Watched as the link is made (from
   * y-webrtc's 'peers' event, or by `offerTo`): it can fail before the next check sees it.
   */
  const watchLapse = (conn: WebrtcConn): void => {
    if (watched.has(conn)) return
    watched.add(conn)
    let connected = false
    conn.peer.on('connect', () => {
      connected = true
    })
    conn.peer.on('close', () => {
      if (connected || lapsed.has(conn.remotePeerId)) return
      lapsed.set(conn.remotePeerId, startClock(Date.now(), attempts.get(conn.remotePeerId) ?? 0, random(), lapsedLinkWaitMs))
    })
  }
  const onPeers = ({ added }: { added: string[] }): void => {
    for (const peerId of added) {
      const conn = room.webrtcConns.get(peerId)
      if (conn !== undefined) watchLapse(conn)
    }
  }
  room.provider.on('peers', onPeers)
  lapseWatches.set(room, watchLapse)
  const offerAfterLapse = (now: number): void => {
    for (const [peerId, clock] of [...lapsed]) {
      const signalled = join.lastSignalAt.get(peerId)
      const current = signalled === undefined ? clock : progressed(clock, signalled)
      const peer = {
        parley: join.parleyPeers.has(peerId),
        linked: room.webrtcConns.has(peerId),
        banned: isBanned(room, peerId),
        roomForMore: room.webrtcConns.size < room.provider.maxConns,
      }
      const decision = decideLapse(peer, isStuck(current, now))
      if (decision === 'wait') {
        lapsed.set(peerId, current)
        continue
      }
      lapsed.delete(peerId)
      if (decision === 'offer' && nextAttempt(peerId) && offerTo(room, peerId) !== null) stats.lapseOffers++
    }
  }
  const check = (now: number): void => {
    for (const conn of [...room.webrtcConns.values()]) {
      const peerId = conn.remotePeerId
      invited.delete(peerId) // the invitation was taken up (or a link came some other way)
      if (conn.connected) {
        attempts.delete(peerId)
        continue
      }
      const clock = clockOf(conn, now)
      const wonAt = glareWonAt.get(conn)
      const answerTooLate = wonAt !== undefined && now - wonAt >= glareAnswerTimeoutMs
      if (!isStuck(clock, now) && !answerTooLate) continue
      if (theyOffer(peerId)) {
        retireLink(room, conn)
        invite(peerId, now)
        continue
      }
      if (!nextAttempt(peerId)) {
        retireLink(room, conn) // gone, most likely; its next announcement starts over
        continue
      }
      if (offerAnew(room, conn) !== null) stats.reoffers++
    }
    for (const [peerId, clock] of [...invited]) {
      const signalled = join.lastSignalAt.get(peerId)
      const current = signalled === undefined ? clock : progressed(clock, signalled)
      invited.set(peerId, current)
      if (isStuck(current, now)) invite(peerId, now)
    }
    offerAfterLapse(now)
  }
  /** Notes an invitation sent by the screen on a fresh announcement, so that it is repeated if not taken up. */
  join.onInvited = (peerId) => {
    if (!invited.has(peerId)) invited.set(peerId, startClock(Date.now(), attempts.get(peerId) ?? 0, random(), quietMs))
  }
  const timer = setInterval(() => check(Date.now()), checkIntervalMs)
  return () => {
    clearInterval(timer)
    room.provider.off('peers', onPeers)
    if (lapseWatches.get(room) === watchLapse) lapseWatches.delete(room)
    join.onInvited = () => {}
  }
}

/**
 * Gives up a link and offers a new one; returns the new link (null: no signaling connection, so
 * none). An offer, unlike an announcement, also reaches a peer whose own link to us is stuck:
 * y-webrtc hands it to that link, which then answers.
 */
export function offerAnew(room: WebrtcRoom, conn: WebrtcConn): WebrtcConn | null {
  retireLink(room, conn)
  return offerTo(room, conn.remotePeerId)
}

/**
 * Begins a link that offers to `peerId`, whatever our cap (y-webrtc offers only while it has
 * room); returns it (null: no signaling connection, so none). The caller holds no link to the peer.
 */
export function offerTo(room: WebrtcRoom, peerId: string): WebrtcConn | null {
  const signaling = room.provider.signalingConns.find((candidate) => candidate.connected)
  if (signaling === undefined || !room.provider.connected) return null
  const fresh = new WebrtcConn(signaling, true, peerId, room)
  room.webrtcConns.set(peerId, fresh)
  lapseWatches.get(room)?.(fresh)
  return fresh
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
  closeHere(conn)
}
