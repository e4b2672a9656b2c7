// Which remote awareness clients are alive, judged from the side channel's links alone.
// Pure state and functions with `now` passed in; the shell in liveness.ts does the I/O.
import { HEARTBEAT_INTERVAL_MS, LINK_TIMEOUT_MS, type LivenessFrame } from './liveness-protocol.js'

/** One direct link (one RTCPeerConnection) and what it told us. */
interface Link {
  /** The awareness client this link speaks for, once it said hello. */
  client: number | null
  lastHeardAt: number
  /** False once the link fell silent or said bye; a later frame revives it. */
  alive: boolean
  /** When we last asked the other side to re-announce its awareness state. */
  lastSyncAskAt: number
}

/** Liveness of every link of one room. */
export interface LivenessState {
  links: Map<string, Link>
  lastTickAt: number | null
}

/** What a tick found. */
export interface TickResult {
  /** Clients no live link speaks for any more: drop their presence now. */
  gone: number[]
  /** Links whose client we hold no awareness state for: ask them to re-announce. */
  askSync: string[]
}

/** A fresh state with no links. */
export function emptyLiveness(): LivenessState {
  return { links: new Map(), lastTickAt: null }
}

/** Records a frame from a link; returns the clients that this frame says are gone. */
export function onFrame(state: LivenessState, linkId: string, frame: LivenessFrame, now: number): number[] {
  let link = state.links.get(linkId)
  if (link === undefined) {
    // A new link's awareness state arrives on y-webrtc's channel, maybe after our hello:
    // count the link's start as an ask, so the first real one waits LINK_TIMEOUT_MS.
    link = { client: null, lastHeardAt: now, alive: true, lastSyncAskAt: now }
    state.links.set(linkId, link)
  }
  link.lastHeardAt = now
  if (frame.t === 'hello') link.client = frame.client
  if (frame.t === 'bye') return markDead(state, link)
  link.alive = true
  return []
}

/** Forgets a closed link; returns the clients no other live link speaks for. */
export function closeLink(state: LivenessState, linkId: string): number[] {
  const link = state.links.get(linkId)
  if (link === undefined) return []
  state.links.delete(linkId)
  return link.alive ? markDead(state, link) : []
}

/**
 * Marks links silent for longer than LINK_TIMEOUT_MS as dead, and finds live links whose
 * client `isKnown` denies (asked again at most once per LINK_TIMEOUT_MS). If this tick came
 * late (the page was frozen or its main thread busy), frames that queued meanwhile are not
 * read yet, so nobody is blamed for the gap.
 */
export function tick(state: LivenessState, now: number, isKnown: (client: number) => boolean): TickResult {
  const late = state.lastTickAt === null ? 0 : now - state.lastTickAt - HEARTBEAT_INTERVAL_MS
  state.lastTickAt = now
  const result: TickResult = { gone: [], askSync: [] }
  if (late > HEARTBEAT_INTERVAL_MS) {
    for (const link of state.links.values()) link.lastHeardAt += late
    return result
  }
  for (const [linkId, link] of state.links) {
    if (!link.alive || link.client === null) continue
    if (now - link.lastHeardAt > LINK_TIMEOUT_MS) {
      result.gone.push(...markDead(state, link))
    } else if (!isKnown(link.client) && now - link.lastSyncAskAt >= LINK_TIMEOUT_MS) {
      link.lastSyncAskAt = now
      result.askSync.push(linkId)
    }
  }
  return result
}

/** Whether a client is alive through some link. */
export function isSpokenFor(state: LivenessState, client: number): boolean {
  for (const link of state.links.values()) if (link.alive && link.client === client) return true
  return false
}

function markDead(state: LivenessState, link: Link): number[] {
  link.alive = false
  return link.client !== null && !isSpokenFor(state, link.client) ? [link.client] : []
}
