// What the join adaptations of one room share (signal-screen.ts reads signals, stuck-links.ts times
// links, cap-joins.ts keeps caps and bridges islands): which peers are Parley's, when each last
// signalled, who was heard, and the invitations that ask a peer to offer.
import type { Room as WebrtcRoom } from 'y-webrtc'
import { TAKE_FIELD, TAKE_HOLD_MS, TAKE_VALUE } from './cap-rule.js'
import { BRIDGE_FIELD, BRIDGE_VALUE, type HeardPeers } from './island-rule.js'
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
  /** Our `take` and `bridge` invitations still waiting for their link: peer id to when the place they hold lapses, in ms (cap-rule.ts). */
  takes: Map<string, number>
  /** Parley peers heard on signaling whose awareness state has not arrived yet (island-rule.ts). */
  heard: HeardPeers
  /**
   * Cap joins so far (cap-joins.ts): `take` invitations sent, links shed back to the cap,
   * announcements made again while unlinked, `bridge` invitations sent, and bridges offered
   * past the cap when asked (island-rule.ts).
   */
  cap: CapJoinCounts
  /** Called with each invited peer (stuck-links.ts repeats an invitation not taken up). */
  onInvited: (peerId: string) => void
}

/** What joins past the cap counted (see JoinState.cap). */
export interface CapJoinCounts {
  takes: number
  shed: number
  reannounced: number
  bridges: number
  bridged: number
  /** Of `shed`, links shed by cap-rule.ts's lateLinkToShed (the far end possibly left with one link). */
  lateShed: number
}

/** Cap join counters, all zero. */
export function noCapJoins(): CapJoinCounts {
  return { takes: 0, shed: 0, reannounced: 0, bridges: 0, bridged: 0, lateShed: 0 }
}

const states = new WeakMap<WebrtcRoom, JoinState>()

/** The join state of `room` (made on first use). */
export function joinStateOf(room: WebrtcRoom): JoinState {
  let state = states.get(room)
  if (state === undefined) {
    state = {
      parleyPeers: new Set(),
      lastSignalAt: new Map(),
      invitationsSent: 0,
      lostOffers: 0,
      takes: new Map(),
      heard: new Map(),
      cap: noCapJoins(),
      onInvited: () => {},
    }
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
  if (!publishAnnounce(room, { to: peerId })) return false
  const state = joinStateOf(room)
  state.invitationsSent++
  state.onInvited(peerId)
  return true
}

/**
 * Asks peer `peerId`, which has almost no links, to offer to us although we are at our cap
 * (cap-rule.ts): a `take` invitation, whichever id is smaller. Holds a place past the cap for
 * that link for TAKE_HOLD_MS. Public rooms only. Returns whether it went out.
 */
export function sendTakeInvitation(room: WebrtcRoom, peerId: string, now: number): boolean {
  if (!invitePastCap(room, peerId, TAKE_FIELD, TAKE_VALUE, now)) return false
  joinStateOf(room).cap.takes++
  return true
}

/**
 * Asks Parley peer `peerId`, which we heard on signaling but whose awareness state never came
 * (island-rule.ts), to offer to us past its cap: a `bridge` invitation, whichever id is smaller.
 * Holds a place past our cap for that link for TAKE_HOLD_MS, as a take does. Public rooms only.
 */
export function sendBridgeInvitation(room: WebrtcRoom, peerId: string, now: number): boolean {
  if (!invitePastCap(room, peerId, BRIDGE_FIELD, BRIDGE_VALUE, now)) return false
  joinStateOf(room).cap.bridges++
  return true
}

/** Sends an invitation marked `field: value` to `peerId` and holds a place past the cap for its link. */
function invitePastCap(room: WebrtcRoom, peerId: string, field: string, value: unknown, now: number): boolean {
  if (!publishAnnounce(room, { to: peerId, [field]: value })) return false
  joinStateOf(room).takes.set(peerId, now + TAKE_HOLD_MS)
  return true
}

/** Places past the cap our `take` invitations hold now: sent, not lapsed, and their link not begun. */
export function heldTakes(room: WebrtcRoom, now: number): number {
  const takes = joinStateOf(room).takes
  for (const [peerId, until] of takes) {
    if (until <= now || room.webrtcConns.has(peerId)) takes.delete(peerId)
  }
  return takes.size
}

/**
 * Publishes a marked announcement from this peer with `fields` added, over the first connected
 * signaling connection (the screen's send adds the link count). Public rooms only (a private
 * room's announcements are encrypted and stay unmarked). Returns whether it went out.
 */
export function publishAnnounce(room: WebrtcRoom, fields: Record<string, unknown> = {}): boolean {
  if (room.key !== null || !room.provider.connected) return false
  const signaling = room.provider.signalingConns.find((candidate) => candidate.connected)
  if (signaling === undefined) return false
  const data = { type: 'announce', from: room.peerId, ...fields, [PARLEY_MARK_FIELD]: PARLEY_MARK_VALUE }
  signaling.send({ type: 'publish', topic: room.name, data })
  return true
}
