// Joins past the link cap, as a loop over one room's links: a peer past its cap sheds a link back
// to it, a lonely peer (cap-rule.ts, isLonely) announces again with backoff, and a peer that heard
// Parley peers whose awareness never came asks one for a bridge. Decisions in cap-rule.ts and island-rule.ts.
import type { WebrtcConn, Room as WebrtcRoom } from 'y-webrtc'
import { closeHere } from './closed-here.js'
import {
  type ConnectingLink,
  isLonely,
  LATE_SHED_AFTER_MS,
  lateLinkToShed,
  LONELY_FIELD,
  LONELY_VALUE,
  linkToShed,
  mayYetConnect,
  type NeighbourAdvert,
} from './cap-rule.js'
import { bridgeTarget, noteBridgeAsked } from './island-rule.js'
import { heldTakes, joinStateOf, publishAnnounce, sendBridgeInvitation } from './join-state.js'

/** How often the links are looked at, in ms. */
export const CAP_CHECK_INTERVAL_MS = 1000
/** How long a peer past its cap waits before it sheds a link (plus up to as much again, at random), in ms: neighbours' adverts settle meanwhile. */
export const SHED_SETTLE_MS = 2000
/** The first announcement again of a lonely peer, after it opened the room or became lonely, in ms; doubling each time. */
export const REANNOUNCE_FIRST_MS = 2000
/** The longest wait between two such announcements, in ms (a room of two peers announces this often, on signaling only). */
export const REANNOUNCE_MAX_MS = 30_000

/** What the loop needs besides the room. */
export interface CapJoinOptions {
  /** The neighbours a Parley peer advertised on its link to us (relay.ts), undefined for a stock peer or one not heard yet. */
  neighboursOf: (peerId: string) => ReadonlySet<string> | undefined
  /** The cap a Parley peer advertised with its neighbours (relay.ts), undefined if it did not. */
  capOf: (peerId: string) => number | undefined
  now?: () => number
  random?: () => number
  checkIntervalMs?: number
}

/**
 * Keeps `room`'s links at its cap once joins took it past (cap-rule.ts's `linkToShed`: one link
 * at a time, after SHED_SETTLE_MS plus jitter, closed as y-webrtc closes any link, so its other
 * end announces if it wants another; once past its cap for LATE_SHED_AFTER_MS with no such link,
 * `lateLinkToShed`), and announces again, with backoff, while it is lonely
 * (cap-rule.ts's `isLonely`; a link still connecting that progressed lately counts as one that may
 * reach further), so that peers at their cap take it (a newcomer whose first
 * announcement reached nobody with room, two newcomers linked only to each other, a peer whose
 * takes failed), and asks for a bridge to a piece of the room it is not linked with (island-rule.ts;
 * peers that joined at once, each with enough links among its own piece).
 * Returns what stops it.
 */
export function keepJoinsPastCap(room: WebrtcRoom, options: CapJoinOptions): () => void {
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const cap = joinStateOf(room).cap
  let shedAt: number | null = null
  /** Since when we hold more connected links than our cap (null: not past it), or since our last late shed. */
  let pastCapSince: number | null = null
  let announceDelay = REANNOUNCE_FIRST_MS
  let announceAt = now() + announceDelay
  /** Our links as they were at the last check (connected ones marked), and since when. */
  let linkShape = ''
  let shapeSince = now()
  const progress = connectingProgress(room, now)
  const check = (): void => {
    const at = now()
    const connected = [...room.webrtcConns].filter(([, conn]) => conn.connected && !conn.closed)
    const links = new Map(connected.map(([peerId]) => [peerId, options.neighboursOf(peerId)]))
    const shape = [...room.webrtcConns]
      .map(([peerId, conn]) => `${peerId}${conn.connected ? '+' : ''}`)
      .sort()
      .join()
    if (shape !== linkShape) {
      linkShape = shape
      shapeSince = at
    }
    bridgeIslands(room, at, at - shapeSince)
    const connecting = [...room.webrtcConns.values()].filter(
      (conn) => !conn.connected && !conn.closed && mayYetConnect(progress(conn, at), at),
    )
    if (isLonely(room.peerId, room.webrtcConns.size, room.provider.maxConns, links, connecting.length)) {
      if (at >= announceAt) {
        if (publishAnnounce(room, { [LONELY_FIELD]: LONELY_VALUE })) cap.reannounced++
        announceDelay = Math.min(announceDelay * 2, REANNOUNCE_MAX_MS)
        announceAt = at + announceDelay * (1 + random() / 2)
      }
    } else {
      announceDelay = REANNOUNCE_FIRST_MS
      announceAt = at + announceDelay
    }
    if (connected.length <= room.provider.maxConns) {
      shedAt = null
      pastCapSince = null
      return
    }
    pastCapSince ??= at
    shedAt ??= at + SHED_SETTLE_MS * (1 + random())
    if (at < shedAt) return
    shedAt = null
    let peerId = linkToShed(room.peerId, links)
    const late = peerId === null && at - pastCapSince >= LATE_SHED_AFTER_MS
    if (late) {
      const adverts = new Map<string, NeighbourAdvert | undefined>()
      for (const [id, neighbours] of links) adverts.set(id, neighbours && { neighbours, cap: options.capOf(id) })
      peerId = lateLinkToShed(room.peerId, adverts)
    }
    const conn = peerId === null ? undefined : room.webrtcConns.get(peerId)
    if (conn === undefined) return
    cap.shed++
    if (late) {
      cap.lateShed++
      pastCapSince = at // another late shed, if still past the cap, waits as long again
    }
    closeHere(conn) // as y-webrtc closes a link: its close handler removes it (and announces if we have room)
  }
  const timer = setInterval(check, options.checkIntervalMs ?? CAP_CHECK_INTERVAL_MS)
  return () => clearInterval(timer)
}

/** ICE states a link moves into as its setup goes on (not 'disconnected', 'failed' or 'closed'). */
const ICE_PROGRESS = new Set(['checking', 'connected', 'completed'])

/**
 * The progress of `room`'s links still connecting (cap-rule.ts `ConnectingLink`): first seen at
 * the first call, progressed as its ICE state moves on (simple-peer's 'iceStateChange') and at each
 * signal from the peer let through (signal-screen.ts notes them). Our own signals do not count:
 * they go out to a peer that left as well.
 */
function connectingProgress(room: WebrtcRoom, now: () => number): (conn: WebrtcConn, at: number) => ConnectingLink {
  const seen = new WeakMap<WebrtcConn, ConnectingLink>()
  const join = joinStateOf(room)
  const watch = (conn: WebrtcConn, at: number): ConnectingLink => {
    const link = { startedAt: at, lastProgressAt: at }
    conn.peer.on('iceStateChange', (state: unknown) => {
      if (typeof state === 'string' && ICE_PROGRESS.has(state)) link.lastProgressAt = Math.max(link.lastProgressAt, now())
    })
    seen.set(conn, link)
    return link
  }
  return (conn, at) => {
    const link = seen.get(conn) ?? watch(conn, at)
    const signalled = join.lastSignalAt.get(conn.remotePeerId) ?? 0
    if (signalled > link.lastProgressAt) link.lastProgressAt = signalled
    return link
  }
}

/**
 * Asks a Parley peer heard on signaling whose awareness state never came (another piece of the
 * room, island-rule.ts) to offer to us past its cap; the shed above brings both ends back to
 * their caps afterwards without cutting the bridge (its ends share no neighbour).
 */
function bridgeIslands(room: WebrtcRoom, now: number, quietFor: number): void {
  const join = joinStateOf(room)
  if (join.heard.size === 0) return
  const states = room.awareness.getStates()
  const { found, target } = bridgeTarget(join.heard, {
    ownClient: room.awareness.clientID,
    present: new Set(states.keys()),
    linked: new Set(room.webrtcConns.keys()),
    links: room.webrtcConns.size,
    held: heldTakes(room, now),
    maxConns: room.provider.maxConns,
    quietFor,
    now,
  })
  for (const peerId of found) join.heard.delete(peerId) // in our piece after all
  if (target === null) return
  noteBridgeAsked(join.heard, target, now)
  sendBridgeInvitation(room, target, now)
}
