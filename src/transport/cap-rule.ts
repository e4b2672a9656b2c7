// Joins past the link cap: when a peer at its cap (y-webrtc's maxConns) takes a peer that has
// almost no links, and which of its own links it sheds afterwards. Pure; see cap-joins.ts.
//
// Wire format (fields stock y-webrtc ignores, on announcements Parley marks; offer-rule.ts):
//   { type: 'announce', from, parley: 1, links: n }          n: the sender's links, connecting ones too
//   { type: 'announce', from, parley: 1, links: n, lonely: 1 }  announced again because lonely (isLonely)
//   { type: 'announce', from, to, parley: 1, take: 1 }      "I am full but take you: offer to me",
//                                                           sent whichever id is smaller
// Peers at their cap take an announcer only on a `lonely` announcement: y-webrtc's own (as a peer
// subscribes, or loses a link) are for the peers with room, as always (fixed topologies rely on
// that); a lonely peer announces again after 2 s, with backoff (cap-joins.ts).
import { REOFFER_QUIET_MS } from './reoffer-timing.js'

/** The field of a marked announcement that counts the sender's links. */
export const LINKS_FIELD = 'links'
/** The field (and its value) that marks an announcement made again because its sender is lonely. */
export const LONELY_FIELD = 'lonely'
export const LONELY_VALUE = 1
/** The field (and its value) that marks an invitation from a peer at its cap. */
export const TAKE_FIELD = 'take'
export const TAKE_VALUE = 1

/** An announcer with fewer links than this (connecting ones too) is taken by peers at their cap. */
export const LONELY_LINKS = 2
/** Links a peer at its cap may hold past it, while it takes lonely peers (shed again afterwards). */
export const CAP_ALLOWANCE = 1
/** How long a `take` invitation holds a place past the cap for the link it asked for, in ms. */
export const TAKE_HOLD_MS = 10_000
/** A link is shed only if its other end keeps at least this many links (ours included) before the shed. */
export const SHED_MIN_NEIGHBOURS = 3

/**
 * How long a link still connecting may go without progress and keep its peer from counting as
 * lonely, in ms: as long as stuck-links.ts lets a first link stay quiet before it gives it up.
 */
export const CONNECTING_QUIET_MS = REOFFER_QUIET_MS
/** How long a link may take to connect, from its start, and keep its peer from counting as lonely, however it progresses, in ms. */
export const CONNECTING_MOST_MS = 20_000

/** A link still connecting, as far as loneliness goes (times in ms). */
export interface ConnectingLink {
  /** When the link was first seen. */
  startedAt: number
  /** When it last progressed: a signal from its peer, or an ICE state change (its start, before any). */
  lastProgressAt: number
}

/**
 * Whether a link still connecting may yet connect, so that its peer is not lonely: it progressed
 * within CONNECTING_QUIET_MS and began less than CONNECTING_MOST_MS ago. Timed from its last
 * progress, not from its start: a link slowed by a loaded machine keeps progressing, one that
 * stalled (its peer gone, an offer lost) soon stops counting.
 */
export function mayYetConnect(link: ConnectingLink, now: number): boolean {
  return now - link.lastProgressAt < CONNECTING_QUIET_MS && now - link.startedAt < CONNECTING_MOST_MS
}

/** What a peer at its cap knows when an announcement arrives from a peer it has no link to. */
export interface TakeView {
  /** Our links, connecting ones too. */
  links: number
  /** `take` invitations of ours still waiting for their link. */
  held: number
  maxConns: number
}

/** The announcement, as far as taking its sender goes. */
export interface TakeAnnounce {
  /** Whether the sender marked it (a Parley peer). */
  marked: boolean
  /** The sender's link count, from a marked announcement (undefined: not given). */
  links: number | undefined
  /** The sender announced again because it is lonely (the `lonely` field). */
  lonely: boolean
}

/** Whether a peer at its cap takes the sender of an announcement past its cap (sends a `take` invitation). */
export function takesPastCap(own: TakeView, announce: TakeAnnounce): boolean {
  if (own.links < own.maxConns) return false // not full: the offer rule links them as always
  if (own.links + own.held >= own.maxConns + CAP_ALLOWANCE) return false
  // A stock peer's announcement says nothing of its links: it is left to y-webrtc's way.
  return announce.marked && announce.lonely && announce.links !== undefined && announce.links < LONELY_LINKS
}

/**
 * Whether a peer is lonely, so that it announces again for peers at their cap to take it: it holds
 * fewer links (connecting ones too) than LONELY_LINKS and its cap, and no connected neighbour
 * advertises anyone beyond us and our other neighbours (alone, or two newcomers linked only to each
 * other). A neighbour that has not advertised (stock, or just connected) may reach further: not
 * lonely; so may a link still connecting that progressed lately (`mayYetConnect`, counted in
 * `connecting`): a newcomer whose one link is slow is not taken past a full peer's cap meanwhile.
 * `links` maps each connected link's peer id to its advertised neighbours.
 */
export function isLonely(
  self: string,
  linkCount: number,
  maxConns: number,
  links: ReadonlyMap<string, ReadonlySet<string> | undefined>,
  connecting: number,
): boolean {
  if (linkCount >= Math.min(LONELY_LINKS, maxConns)) return false
  if (connecting > 0) return false
  for (const neighbours of links.values()) {
    if (neighbours === undefined) return false
    for (const other of neighbours) if (other !== self && !links.has(other)) return false
  }
  return true
}

/** Whether a `take` invitation is taken up (offered to): only while we are lonely ourselves. */
export function takesInvitation(ownLinks: number, linkedToSender: boolean): boolean {
  return !linkedToSender && ownLinks < LONELY_LINKS
}

/**
 * Which connected link a peer past its cap sheds, or null: a link to a Parley peer whose
 * advertised neighbours number at least SHED_MIN_NEIGHBOURS and include another of our
 * neighbours (so it keeps links, and a path to us through that common neighbour); of those, the
 * one with the most neighbours, then the smallest id (two peers past their caps then tend to
 * shed the link between them, which brings both back). `links` maps each connected link's peer
 * id to its advertised neighbours (undefined: a stock peer or not heard yet, never shed).
 */
export function linkToShed(self: string, links: ReadonlyMap<string, ReadonlySet<string> | undefined>): string | null {
  let best: string | null = null
  let bestCount = -1
  for (const [peer, neighbours] of links) {
    if (neighbours === undefined || neighbours.size < SHED_MIN_NEIGHBOURS) continue
    const common = [...neighbours].some((other) => other !== self && other !== peer && links.has(other))
    if (!common) continue
    if (neighbours.size > bestCount || (neighbours.size === bestCount && best !== null && peer < best)) {
      best = peer
      bestCount = neighbours.size
    }
  }
  return best
}

/**
 * How long a peer stays past its cap with no link `linkToShed` sheds before it sheds one by
 * `lateLinkToShed`, in ms: as long as a link may take to connect (CONNECTING_MOST_MS), so that a
 * join past a cap has settled (the newcomer's other links up, or given up) and only a triangle a
 * stalled link left is in question.
 */
export const LATE_SHED_AFTER_MS = CONNECTING_MOST_MS

/** What a Parley neighbour advertised on its link to us (relay.ts): its connected links, and its cap if it said. */
export interface NeighbourAdvert {
  neighbours: ReadonlySet<string>
  /** Its maxConns (undefined: not given, a peer older than the field). */
  cap: number | undefined
}

/** Whether a neighbour said it is at most at its cap, so that it sheds nothing (cap-joins.ts sheds only past it). */
function withinCap(advert: NeighbourAdvert | undefined): advert is NeighbourAdvert {
  return advert !== undefined && advert.cap !== undefined && advert.neighbours.size <= advert.cap
}

/**
 * Which connected link a peer that stayed past its cap for LATE_SHED_AFTER_MS sheds when
 * `linkToShed` finds none, or null: a link to a Parley peer that shares a neighbour with us, where
 * both it and that neighbour advertised they are within their caps (the far end may be left with
 * that one link, as in the triangle a newcomer's stalled link leaves). Only a peer past its cap
 * sheds, so neither of the two will shed a link of the path left between us (it and the common
 * neighbour) meanwhile, and we shed one link at a time: the graph stays in one piece however many
 * peers past their caps shed at once. Of those, the one with the most neighbours, then the
 * smallest id. `links` maps each connected link's peer id to its advert (undefined: a stock peer
 * or not heard yet, never shed).
 */
export function lateLinkToShed(self: string, links: ReadonlyMap<string, NeighbourAdvert | undefined>): string | null {
  let best: string | null = null
  let bestCount = -1
  for (const [peer, advert] of links) {
    if (!withinCap(advert) || !advert.neighbours.has(self)) continue
    const common = [...advert.neighbours].some((other) => {
      if (other === self || other === peer) return false
      const via = links.get(other)
      return withinCap(via) && via.neighbours.has(self) && via.neighbours.has(peer)
    })
    if (!common) continue
    const count = advert.neighbours.size
    if (count > bestCount || (count === bestCount && best !== null && peer < best)) {
      best = peer
      bestCount = count
    }
  }
  return best
}
