// Islands: peers of one room that joined at once and linked into two (or more) pieces that never
// meet, every peer at its link cap. Who notices, whom it asks to bridge, and who agrees. No I/O, no
// clock: the shell is cap-joins.ts (the check: it forgets what bridgeTarget found) and
// signal-screen.ts (what is heard, the invitation answered); noteHeard, noteBridgeHeard and
// noteBridgeAsked update the map of peers heard they are given, the rest only read.
//
// Wire format (fields stock y-webrtc ignores, on announcements Parley marks; see cap-rule.ts too):
//   { type: 'announce', from, parley: 1, links: n, client: c }   c: the sender's awareness client id
//   { type: 'announce', from, to, parley: 1, bridge: 1, …, client: c }
//                            "you seem to be in another piece of the room: offer to me", whichever
//                            id is smaller; the invited peer offers past its cap if it agrees
// A peer heard on signaling is in our piece once its awareness state arrives: awareness is relayed
// over every link (relay.ts), so a connected mesh brings every peer's within seconds, and renews it
// every 15 s. A peer heard whose state never comes, and that we hold no link to, is elsewhere.

import { CAP_ALLOWANCE } from './cap-rule.js'

/** The field of a marked announcement that gives the sender's awareness client id. */
export const CLIENT_FIELD = 'client'
/** The field (and its value) that marks a bridge invitation. */
export const BRIDGE_FIELD = 'bridge'
export const BRIDGE_VALUE = 1

/**
 * How long after we first heard a peer its awareness state may take to arrive before the peer
 * counts as in another piece, in ms: a link set up on a loaded machine, then the relay.
 */
export const MISSING_AFTER_MS = 10_000
/**
 * The peers of one piece that heard the same missing peer take turns within this window, in ms,
 * whatever the piece's size: the peer with the n-th smallest awareness client of a piece of m waits
 * n / m of it more (turnDelay). Short, so that a bridge asked only by the piece's last peer still
 * comes within seconds; the others' invitations are kept back by hearing the first one
 * (noteBridgeHeard), not by the window.
 */
export const BRIDGE_TURNS_MS = 3000
/**
 * How long a bridge invitation heard on signaling, from a peer of our piece or from one we miss,
 * keeps ours back, in ms: its link begins within TAKE_HOLD_MS, and its states then cross the
 * pieces. Ours resume afterwards if the states did not come (a refused or failed bridge).
 */
export const BRIDGE_HELD_BACK_MS = 15_000
/** Up to this much more at random, per peer heard, in ms: two pieces' turns do not line up. */
export const BRIDGE_JITTER_MS = 1000
/** How long after a bridge invitation the same peer may be asked again, in ms (doubling after each). */
export const BRIDGE_RETRY_MS = 20_000
/** Bridge invitations to one peer before it is forgotten until it announces again (it may have left). */
export const BRIDGE_TRIES = 2
/**
 * How long our own links must have stayed as they are (none added, lost or newly connected)
 * before we ask for a bridge, in ms: in a join still under way, states are late because links
 * are, not because the room is in pieces.
 */
export const LINKS_QUIET_MS = 5000

/**
 * Most peers waited for at once: anyone in the topic can announce made-up ids, and each costs at
 * most two invitations, one at a time (10 s apart: each holds a place past the cap meanwhile).
 */
export const MAX_HEARD = 256

/** A Parley peer heard on signaling whose awareness state has not arrived yet. */
export interface HeardPeer {
  /** Its awareness client id, from its announcement. */
  client: number
  /** When it may first be asked to bridge (heard, plus jitter), before our turn's delay, in ms. */
  dueAt: number
  /** Bridge invitations sent to it so far. */
  tries: number
  /** When it may be asked again, in ms. */
  nextAt: number
}

/** Peers heard on signaling whose awareness state has not arrived: peer id to what we know. */
export type HeardPeers = Map<string, HeardPeer>

/**
 * Notes a marked announcement from `peerId`, whose awareness client is `client`. A peer already
 * waited for keeps its clock (an island's peers announce again as they shed links); one that
 * speaks for another client now (it left and came back) starts over.
 */
export function noteHeard(heard: HeardPeers, peerId: string, client: number, now: number, random: number): void {
  const known = heard.get(peerId)
  if (known !== undefined && known.client === client) return
  if (known === undefined && heard.size >= MAX_HEARD) return
  heard.set(peerId, { client, dueAt: now + MISSING_AFTER_MS + random * BRIDGE_JITTER_MS, tries: 0, nextAt: now })
}

/** What a peer knows when it looks for islands. */
export interface IslandView {
  /** Our awareness client id. */
  ownClient: number
  /** Awareness clients whose states are here now (ours too): our piece of the room. */
  present: ReadonlySet<number>
  /** Peers we hold a link to, connecting ones too. */
  linked: ReadonlySet<string>
  /** Our links, connecting ones too. */
  links: number
  /** Places past the cap our invitations hold now (join-state.ts `heldTakes`). */
  held: number
  maxConns: number
  /** How long our links have stayed as they are, in ms. */
  quietFor: number
  now: number
}

/** Our turn in our piece: how many of its awareness clients have a smaller id than ours. */
export function turnOf(ownClient: number, present: ReadonlySet<number>): number {
  let turn = 0
  for (const client of present) if (client < ownClient) turn++
  return turn
}

/** How much longer than the piece's first peer we wait before we ask, in ms: our turn's share of BRIDGE_TURNS_MS. */
export function turnDelay(ownClient: number, present: ReadonlySet<number>): number {
  return Math.floor((BRIDGE_TURNS_MS * turnOf(ownClient, present)) / Math.max(present.size, 1))
}

/** Whether a peer heard is in our piece after all: its state arrived, or we hold a link to it. */
function inOurPiece(peerId: string, peer: HeardPeer, view: IslandView): boolean {
  return view.linked.has(peerId) || view.present.has(peer.client)
}

/** What one look for islands found: whom to forget, and whom to ask for a bridge now. */
export interface BridgeLook {
  /** Heard peers that turned out to be in our piece (their state arrived, or we hold a link to them): the shell forgets them. */
  found: string[]
  /** The peer to ask for a bridge now, or null. */
  target: string | null
}

/**
 * Finds the heard peers that turned out to be in our piece, and the one to ask for a bridge now:
 * the smallest id of the others waited for past MISSING_AFTER_MS plus our turn's delay, once
 * our links have been quiet for LINKS_QUIET_MS, while we hold no other invitation and have a
 * place left within CAP_ALLOWANCE. Every peer of a piece that heard the same peers picks the same
 * one, so a second asker finds it past its cap already (it refuses). Changes nothing: the shell
 * forgets `found` (cap-joins.ts).
 */
export function bridgeTarget(heard: ReadonlyMap<string, HeardPeer>, view: IslandView): BridgeLook {
  const found: string[] = []
  for (const [peerId, peer] of heard) if (inOurPiece(peerId, peer, view)) found.push(peerId)
  if (view.quietFor < LINKS_QUIET_MS || view.held > 0 || view.links >= view.maxConns + CAP_ALLOWANCE) return { found, target: null }
  const turn = turnDelay(view.ownClient, view.present)
  let target: string | null = null
  for (const [peerId, peer] of heard) {
    if (view.now < peer.dueAt + turn || view.now < peer.nextAt) continue
    if (inOurPiece(peerId, peer, view)) continue
    if (target === null || peerId < target) target = peerId
  }
  return { found, target }
}

/** Notes a bridge invitation sent to `peerId`: asked again after BRIDGE_RETRY_MS (doubling), or forgotten after BRIDGE_TRIES. */
export function noteBridgeAsked(heard: HeardPeers, peerId: string, now: number): void {
  const peer = heard.get(peerId)
  if (peer === undefined) return
  const tries = peer.tries + 1
  if (tries >= BRIDGE_TRIES) heard.delete(peerId)
  else heard.set(peerId, { ...peer, tries, nextAt: now + BRIDGE_RETRY_MS * 2 ** (tries - 1) })
}

/**
 * Notes a bridge invitation heard on signaling, sent by `asker` (whose awareness client it gives,
 * if any) to another peer: if the asker is in our piece (its state is here) or is a peer we wait
 * for (it asks from the piece we miss), a bridge between the pieces is under way, so nobody we
 * wait for is asked by us for BRIDGE_HELD_BACK_MS. Call it before noting the asker as heard. The
 * peers of a piece that all heard the other piece thus send about one invitation between them,
 * however many they are. Returns whether ours were held back. Anyone in the topic could hold a
 * piece's bridges back this way, as anyone could already keep it from linking at all.
 */
export function noteBridgeHeard(
  heard: HeardPeers,
  asker: { peerId: string; client: number | undefined },
  present: ReadonlySet<number>,
  now: number,
): boolean {
  const ours = asker.client !== undefined && present.has(asker.client)
  if (!ours && !heard.has(asker.peerId)) return false
  const until = now + BRIDGE_HELD_BACK_MS
  for (const [peerId, peer] of heard) if (peer.nextAt < until) heard.set(peerId, { ...peer, nextAt: until })
  return true
}

/** The invited side of a bridge: what it knows of the asker and of itself. */
export interface BridgeAsk {
  /** We hold a link to the asker (connecting ones too). */
  linked: boolean
  /** The asker's awareness state is here: it is in our piece after all. */
  askerPresent: boolean
  /** Our links, connecting ones too. */
  links: number
  /** Places past the cap our own invitations hold now, the one for the asker left out. */
  held: number
  maxConns: number
  /** We asked the asker for a bridge too (our invitations crossed), and hold a place for it. */
  askedByUs: boolean
  /** Our peer id is the smaller of the two (offer-rule.ts `offersTo`). */
  smaller: boolean
}

/**
 * Whether a peer asked for a bridge offers to the asker: only if the asker is not in its piece
 * either (both sides must miss each other, so a peer whose state is slow or absent cannot pull
 * links past caps inside one piece) and a place is left within CAP_ALLOWANCE. Two peers that
 * asked each other at once both hold a place for the link: the smaller id offers, so their
 * offers do not cross.
 */
export function acceptsBridge(ask: BridgeAsk): boolean {
  if (ask.linked || ask.askerPresent) return false
  if (ask.askedByUs) return ask.smaller
  return ask.links + ask.held < ask.maxConns + CAP_ALLOWANCE
}
