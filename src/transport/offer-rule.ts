// Which of two peers offers: between two Parley peers only the one with the smaller peer id, so
// their offers never cross (glare). Stock y-webrtc peers keep their own way. Pure; see signal-screen.ts.
//
// Wire format: a Parley peer's announcement carries one more field, which stock y-webrtc ignores:
//   { type: 'announce', from, parley: 1 }            to every peer of the topic (y-webrtc's own, marked)
//   { type: 'announce', from, to, parley: 1 }        an invitation: "offer to me", to one Parley peer
// Stock y-webrtc reads an announcement with `to` only if it is its own id, and Parley sends
// invitations only to peers that marked their announcements, so stock peers never act on one.

/** The field (and its value) that marks a Parley peer's announcement. */
export const PARLEY_MARK_FIELD = 'parley'
export const PARLEY_MARK_VALUE = 1

/** An announcement's parts that the decision needs. */
export interface AnnounceView {
  from: string
  /** Set on an invitation: the one peer it is for. */
  to: string | undefined
  /** Whether the sender is a Parley peer (it marked the announcement). */
  marked: boolean
}

/** This peer's link to the sender of an announcement, as far as the decision needs it. */
export interface LinkState {
  connected: boolean
  /** This side made the offer. */
  initiator: boolean
  /** Our offer on it is out (sent) and no answer came. */
  awaitingAnswer?: boolean
  /** An offer of the sender's crossed ours on it and lost (signal-glare.ts): the sender's link to us had its offer out. */
  glareWon?: boolean
  /** It is itself an offer made anew on an announcement (decision `reoffer`). */
  remade?: boolean
}

/** This peer's side of the pair when an announcement arrives. */
export interface OwnView {
  peerId: string
  /** This peer's link to the sender, if any. */
  link: LinkState | undefined
  /** y-webrtc still takes new links (fewer than its maxConns). */
  roomForMore: boolean
}

/**
 * - `pass`: let y-webrtc read it (it offers, unless it already has a link to the sender);
 * - `drop`: ignore it;
 * - `invite`: ignore it, and send the sender an invitation so that it offers (it has the smaller id);
 * - `reoffer`: ignore it, and give up our link to the sender (its side is gone) for a fresh offer.
 */
export type AnnounceDecision = 'pass' | 'drop' | 'invite' | 'reoffer'

/** Whether, of two Parley peers, the one with id `self` makes the offer. */
export function offersTo(self: string, other: string): boolean {
  return self < other
}

/** Decides what an announcement (or invitation) leads to. */
export function decideAnnounce(own: OwnView, announce: AnnounceView): AnnounceDecision {
  // Our own, echoed back by the signaling server: y-webrtc ignores it; an invitation to
  // ourselves would only cost a frame.
  if (announce.from === own.peerId) return 'drop'
  if (announce.to !== undefined && announce.to !== own.peerId) return 'drop' // not for us (y-webrtc agrees)
  if (!announce.marked) return offerLost(own.link) ? 'reoffer' : 'pass' // else y-webrtc offers, as it always did
  if (offersTo(own.peerId, announce.from)) {
    // Ours to offer. An invitation finds a link of ours still connecting: it goes on, and is
    // offered anew by our own stuck-link timer if it stalls; y-webrtc keeps it either way.
    return 'pass'
  }
  if (announce.to !== undefined) return 'drop' // a peer inviting the smaller id: not the rule
  // A link of ours that answers the sender and has not connected: the sender announces again only
  // after it lost a link (y-webrtc does), maybe this one, whose failure ours may never see. An
  // invitation costs a frame: the sender ignores it while its link to us lives, and otherwise
  // offers anew at once, instead of after our stuck-link timer (reoffer-timing.ts).
  if (own.link !== undefined && !own.link.connected && !own.link.initiator) return 'invite'
  if (own.link !== undefined || !own.roomForMore) return 'drop'
  return 'invite'
}

/**
 * Whether a stock peer announcing again means our offer to it is lost. A stock peer announces
 * when it subscribes, and when a link of its own closes or fails. One way a link fails: the peer
 * began it on our announcement, and our offer reached it before its own offer was out; stock
 * y-webrtc hands our offer to that link, which fails on it (setLocalDescription in the wrong
 * state), and the peer announces twice (on the error and on the close). Our offer is then never
 * answered, and y-webrtc, holding our link, ignores the announcements until our stuck-link timer.
 * Not when its offer crossed ours on this link and lost (a glare we won: the glare answer timeout
 * of stuck-links.ts repairs that), nor on a link that is already our fresh offer (the second
 * announcement of the pair must not replace it again).
 */
export function offerLost(link: LinkState | undefined): boolean {
  if (link === undefined || link.connected || !link.initiator) return false
  return link.awaitingAnswer === true && link.glareWon !== true && link.remade !== true
}

/** Whether a signaling payload is a marked (Parley) announcement; `data` is as it came. */
export function isMarkedAnnounce(data: { type?: unknown; [field: string]: unknown }): boolean {
  return data.type === 'announce' && isMarked(data)
}

/**
 * Whether a signaling payload (announcement or signal) carries the Parley mark. Signals are
 * marked too: a Parley peer that offers to us on our announcement may have announced before we
 * subscribed, and its offer is then the first we hear of it.
 */
export function isMarked(data: { [field: string]: unknown }): boolean {
  return data[PARLEY_MARK_FIELD] === PARLEY_MARK_VALUE
}

/** A peer whose link with us closed on our side before it connected, at each check (stuck-links.ts). */
export interface LapsedPeerView {
  /** It marked an announcement or signal: Parley's own rules pair us (the smaller id offers, and re-offers on a stall). */
  parley: boolean
  /** A link to it exists again, begun by either side. */
  linked: boolean
  banned: boolean
  /** y-webrtc still takes new links (fewer than its maxConns). */
  roomForMore: boolean
}

/**
 * - `wait`: give the peer its time to begin a link itself;
 * - `offer`: offer to it;
 * - `forget`: nothing more to do for it here.
 */
export type LapseDecision = 'wait' | 'offer' | 'forget'

/**
 * Decides what follows the failure of a link of ours to a stock peer, answering or offering (the
 * link closed here before it connected, and not because we gave it up). Where the failure is ours
 * alone (a DTLS handshake that failed in our browser, say) the stock peer keeps its side of the
 * link "connecting" for good and ignores our announcements while it holds it, and we, holding no
 * link, wait for its offer: the pair never links. Stock y-webrtc takes an offer from a peer it
 * holds such a link to (its glare token was cleared by our answer, or is older than ours: an
 * answering link's is the time of its answer), so we offer once the peer had `waited` its time to
 * begin a link itself.
 */
export function decideLapse(peer: LapsedPeerView, waited: boolean): LapseDecision {
  if (peer.parley || peer.linked || peer.banned || !peer.roomForMore) return 'forget'
  return waited ? 'offer' : 'wait'
}
