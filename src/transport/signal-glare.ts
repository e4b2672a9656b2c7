// What to do with a WebRTC signal from a peer, given the link this peer already has to it:
// the offer glare and stray signals that left y-webrtc 10.3 pairs stuck in "connecting".
//
// y-webrtc's signal (inside a signaling `publish`): { type: 'signal', from, to, token, signal }
// where `signal` is simple-peer's ({ type: 'offer' | 'answer' | 'candidate' | …, … }) and
// `token` the sender's link token (a time plus a random fraction, fixed at its first signal).
// When two peers offer to each other at once, the higher token wins: its offer is answered.

/** What this peer's link to the sender looks like when a signal arrives. */
export interface LinkView {
  /** This side made the offer of the link. */
  initiator: boolean
  connected: boolean
  /** This side's token, once it sent a signal. */
  token: number | undefined
}

/** A signal's parts that the decision needs. */
export interface SignalView {
  /** simple-peer's signal type. */
  kind: string
  token: unknown
}

/**
 * - `pass`: hand it to y-webrtc as it is;
 * - `drop`: ignore it (the losing offer of a glare, a repeat, an answer or candidate for no link of ours);
 * - `restart`: the peer began a new link: close ours first, then let y-webrtc answer the offer.
 */
export type SignalDecision = 'pass' | 'drop' | 'restart'

/**
 * Decides how a signal meets the link. `lastToken` is the token of the last offer or answer
 * let through from the same peer: the peer's link that ours is paired with. Another offer
 * from that link is a repeat (one comes per signaling server) or the stale half of a glare
 * that the peer resolved by answering ours (stock y-webrtc does, before its own offer leaves).
 */
export function decideSignal(link: LinkView | undefined, signal: SignalView, lastToken: unknown): SignalDecision {
  if (signal.kind === 'offer') {
    if (signal.token === lastToken) return 'drop'
    if (link === undefined) return 'pass'
    // A working link stays: anyone in the topic can send an offer in this peer's name. If the
    // peer really started over, our link fails soon, and its next offer finds none.
    if (link.connected) return 'drop'
    const waitingForAnswer = link.initiator && !link.connected
    if (waitingForAnswer && link.token !== undefined && typeof signal.token === 'number' && link.token > signal.token) return 'drop'
    // Either we lost the glare (our offer is abandoned for theirs), or the peer gave up its
    // side of a link still connecting and started over: a fresh answering link is needed.
    // y-webrtc would instead feed the offer to the link it has, which never connects.
    return 'restart'
  }
  if (signal.kind === 'answer') {
    if (link === undefined || !link.initiator || link.connected || signal.token === lastToken) return 'drop'
    // Our offer is not out yet: the answer is to a link of ours that was given up and replaced.
    if (link.token === undefined) return 'drop'
    return 'pass'
  }
  // No link: y-webrtc would make an answering link of a candidate (or any signal), which the
  // offer it waits for restarts anyway, and which meanwhile keeps this side from offering when
  // invited. It comes from a link that failed here (its late candidates), or ahead of its offer.
  if (link === undefined) return 'drop'
  // A candidate from another link of the peer than the one ours is paired with: one it gave up.
  if (signal.kind === 'candidate' && lastToken !== undefined && signal.token !== lastToken && !retokened(link, signal.token, lastToken))
    return 'drop'
  return 'pass'
}

/**
 * Whether a candidate's token is the one the offering peer's link took after our answer reached
 * it: y-webrtc clears an offering link's token when the answer comes, and its next signal takes
 * a new one (a later time on the peer's own clock), so candidates gathered after that (a STUN
 * or TURN server's, or all of them where the offerer holds them until it has the answer) carry
 * it. A link the peer gave up took its token before the offer ours is paired with.
 */
function retokened(link: LinkView, token: unknown, lastToken: unknown): boolean {
  return !link.initiator && typeof token === 'number' && typeof lastToken === 'number' && token > lastToken
}
