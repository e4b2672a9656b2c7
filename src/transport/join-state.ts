// What the join adaptations of one room share (signal-screen.ts reads signals, stuck-links.ts times
// links): which peers are Parley's, when each last signalled, and the invitation that asks a peer to offer.
import type { Room as WebrtcRoom } from 'y-webrtc'
import { PARLEY_MARK_FIELD, PARLEY_MARK_VALUE } from './offer-rule.js'

/** One room's join state. */
export interface JoinState {
  /** Peers whose announcements were marked: they follow the offer rule (offer-rule.ts). */
  parleyPeers: Set<string>
  /** When a signal from each peer was last let through to y-webrtc (progress of its link), in ms. */
  lastSignalAt: Map<string, number>
  /** Invitations sent so far. */
  invitationsSent: number
  /** Our unanswered offers given up when the stock peer they went to announced again (offer-rule.ts), and offered anew. */
  lostOffers: number
  /** Called with each invited peer (stuck-links.ts repeats an invitation not taken up). */
  onInvited: (peerId: string) => void
}

const states = new WeakMap<WebrtcRoom, JoinState>()

/** The join state of `room` (made on first use). */
export function joinStateOf(room: WebrtcRoom): JoinState {
  let state = states.get(room)
  if (state === undefined) {
    state = { parleyPeers: new Set(), lastSignalAt: new Map(), invitationsSent: 0, lostOffers: 0, onInvited: () => {} }
    states.set(room, state)
  }
  return state
}

/**
 * Asks Parley peer `peerId` to offer to us: a marked announcement addressed to it alone (see
 * offer-rule.ts), over the first connected signaling connection. Public rooms only (a private
 * room's announcements are encrypted and stay unmarked). Returns whether it went out.
 */
export function sendInvitation(room: WebrtcRoom, peerId: string): boolean {
  if (room.key !== null || !room.provider.connected) return false
  const signaling = room.provider.signalingConns.find((candidate) => candidate.connected)
  if (signaling === undefined) return false
  const data = { type: 'announce', from: room.peerId, to: peerId, [PARLEY_MARK_FIELD]: PARLEY_MARK_VALUE }
  signaling.send({ type: 'publish', topic: room.name, data })
  const state = joinStateOf(room)
  state.invitationsSent++
  state.onInvited(peerId)
  return true
}
