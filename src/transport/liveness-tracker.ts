// Which remote awareness clients are alive, judged from each link's own traffic, and which
// liveness frames to send on which link. Pure state and functions with `now` passed in; liveness.ts does the I/O.
//
// The idle cost is fixed per peer instead of growing with the room: each peer beats fast only
// toward one peer, the next awareness client id after its own among its links (its ring
// successor), which watches it; every other link gets a long promise that awareness renewals
// keep without any beat. A watcher that loses its peer tells the others ("suspect"), and each
// of them drops the peer only if its own probe gets no answer. A link's ICE state going
// 'disconnected' or 'failed' also makes it probe.
//
// Peers with no link to a crashed peer learn of it by rumor (SWIM's suspicion with refutation):
// a peer that dropped a client on its own evidence (silence, an unanswered probe, a close it did
// not make itself; never a bye, which travels as a signed goodbye) tells its links "lost", and
// each passes the rumor on once.
// A peer linked to the client probes it; one that is not waits RUMOR_WAIT_MS for the client to
// renew its awareness state (the shell says when it last did), and drops it locally if it did
// not; the client itself, alive, renews its state on hearing the rumor (at once, or as soon as
// REFUTE_INTERVAL_MS allows), which the relay brings to everyone. A rumor names the awareness
// clock its first teller held for the client (SWIM's incarnation): one below the clock a peer
// holds is stale (the client renewed since) and dropped, so copies still on their way after a
// refutation start nothing; a peer passes each (client, clock) on once, and waits only on one it
// passes on, so that the client hears again whatever starts a wait. So a lie costs the room a
// pass of the rumor and a renewal (at most one per RUMOR_REFILL_MS per link the liar has), never a peer.
import { type BucketRate, refilled } from '../tasks/index.js'
import {
  HEARTBEAT_INTERVAL_MS,
  LINK_TIMEOUT_MS,
  LIVENESS_VERSION,
  PROMISES_VERSION,
  RUMORS_VERSION,
  type LivenessFrame,
} from './liveness-protocol.js'

/** How often the shell calls `tick`, in ms; beat intervals are multiples of it. */
export const TICK_INTERVAL_MS = 250
/** How early a beat may go before its interval is up, in ms: timers drift by a few ms either way. */
const TICK_SLACK_MS = 50
/** Data-channel messages per second an idle peer may send: its beats and its awareness renewals together. */
export const IDLE_BUDGET_MSGS_PER_S = 1.8
/** How often y-protocols renews a peer's own awareness state on every link, in seconds (half its 30 s timeout). */
const RENEWAL_PERIOD_S = 15
/** Longest beat interval toward the peer that watches us, in ms: keeps a kill seen by all under 5 s. */
export const MAX_WATCH_INTERVAL_MS = 1250
/** Promise on the links nobody watches closely, in ms: longer than a renewal period, so renewals stand in for beats. */
export const UNWATCHED_PROMISE_MS = 20_000
/** Silence on top of a link's promise before it counts as dead, in ms. */
export const BEAT_GRACE_MS = 1000
/** A gap between ticks this long means the page's timers are throttled (a hidden tab's run at 1 Hz), in ms. */
const THROTTLED_TICK_GAP_MS = 900
/** How often a throttled page's timers run, in ms: its promises are whole multiples of it. */
export const THROTTLED_TICK_MS = 1000
/** How long a probed link has to answer, in ms. */
export const PROBE_TIMEOUT_MS = 1000
/** How long a link that never said hello gets beats, in ms: after that its peer is taken for stock y-webrtc, which has no side channel. */
export const GREETING_WAIT_MS = 2 * LINK_TIMEOUT_MS
/** How long a peer with no link to a rumored client waits for it to renew its state before dropping it, in ms: rumor and renewal cross a loaded room. */
export const RUMOR_WAIT_MS = 5000
/** How long each rumor (client and clock) is passed on only once, in ms: longer than a rumor takes to cross the room. */
export const RUMOR_SPREAD_WINDOW_MS = 10_000
/** Rumors one link may start at once, and how often it earns another, in ms: a liar's rumors cost bounded work. */
export const RUMOR_BURST = 4
export const RUMOR_REFILL_MS = 1000
const RUMOR_RATE: BucketRate = { capacity: RUMOR_BURST, refill: 1, refillMs: RUMOR_REFILL_MS }
/** The shortest time between two renewals answering rumors about ourselves, in ms. */
export const REFUTE_INTERVAL_MS = 1000
/** The most clients suspected at once on rumors; more are passed on, not waited for. */
const MAX_SUSPECTED = 256
/** The most rumors remembered as passed on; more are dropped until the oldest expire. */
const MAX_SPREAD = 1024

/** One direct link (one RTCPeerConnection) and what it told us. */
interface Link {
  /** The awareness client this link speaks for, once it said hello. */
  client: number | null
  /** Its peer keeps promises and answers probes (its hello said version 2 or later). */
  promises: boolean
  /** Its peer takes rumors (its hello said version 3 or later). */
  rumors: boolean
  /** Rumors this link may still start now (a token bucket of RUMOR_RATE), counted at `rumorTokensAt`. */
  rumorTokens: number
  rumorTokensAt: number
  /** False once the link fell silent or said bye; a later frame revives it. */
  alive: boolean
  /** It said bye once: its close is no evidence, even if a frame after the bye (a closing page runs on a while) revived it. */
  saidBye: boolean
  openedAt: number
  lastHeardAt: number
  /** How long its peer said it may stay silent after its last frame, in ms. */
  heardPromiseMs: number
  lastSentAt: number
  /** How long our last beat on it said we may stay silent, in ms. */
  sentPromiseMs: number
  /** When we last asked the other side to re-announce its awareness state. */
  lastSyncAskAt: number
  /** When we probed it, while no answer has come; null when no probe is out. */
  probedAt: number | null
  /** Whether its silence after the probe is news to tell the others (false: the news came from one of them). */
  probeTells: boolean
}

/** Liveness of every link of one room. */
export interface LivenessState {
  /** Our own awareness client id. */
  self: number
  links: Map<string, Link>
  lastTickAt: number | null
  /** Our own ticks come about once a second (a hidden tab): promise only what such ticks keep. */
  throttled: boolean
  /** Clients we have no link to, rumored lost: dropped at `until` unless they renewed after `heardAt`. */
  suspected: Map<number, { heardAt: number; until: number }>
  /** When we passed on (or started) each rumor, by `${client}:${clock}`, for RUMOR_SPREAD_WINDOW_MS. */
  spread: Map<string, number>
  /** When we last renewed our own state to answer a rumor about ourselves. */
  lastRefutedAt: number | null
  /** A rumor about ourselves came too soon after our last answer: answer it once REFUTE_INTERVAL_MS is up. */
  refuteDue: boolean
  /** Rumors a link sent beyond its allowance, ignored (diagnostics). */
  rumorsRefused: number
  /** Waits on suspected clients started, and those that ended in a drop (diagnostics; `suspected.size` are under way). */
  rumorWaits: { started: number; dropped: number }
}

/** A frame to send on one link. */
export interface Outgoing {
  linkId: string
  frame: LivenessFrame
}

/** What a frame or a tick decided. */
export interface LivenessResult {
  /** Clients no live link speaks for any more: drop their presence now. */
  gone: number[]
  /** Frames to send now. */
  send: Outgoing[]
  /** A rumor says we are lost: renew our own awareness state so that everyone hears we are not. */
  refute?: boolean
}

/** An awareness with no states: what onFrame assumes when not told. */
const NOTHING_KNOWN: AwarenessView = { isKnown: () => false, renewedAt: () => undefined, clockOf: () => undefined, refutes: () => false }

/** What the shell knows of the room's awareness, for a tick. */
export interface AwarenessView {
  /** Whether the client has a state here. */
  isKnown(client: number): boolean
  /** When its state was last renewed or changed here (ms since the epoch), if it has one. */
  renewedAt(client: number): number | undefined
  /** The awareness clock held for the client (ours for ourselves), if it has a state. */
  clockOf(client: number): number | undefined
  /**
   * Whether the client would renew its state on hearing a rumor about itself, as far as this peer
   * can tell without a link to it; asked on every tick while it is suspected, so an answer that
   * needs a check may be false at first. Only then is its silence evidence: a rumor about a
   * client that cannot answer it (an older Parley tab) could be a lie nobody refutes.
   */
  refutes(client: number): boolean
  /**
   * The other tabs of the client's user (one browser profile's, which reach the room over each
   * other's BroadcastChannel), if any: a peer with no link of its own to one of them may hear it
   * only through the client's link (see `tick`). Absent: none.
   */
  siblingsOf?(client: number): readonly number[]
}

/** A fresh state with no links, for the awareness client `self`. */
export function emptyLiveness(self: number): LivenessState {
  return {
    self,
    links: new Map(),
    lastTickAt: null,
    throttled: false,
    suspected: new Map(),
    spread: new Map(),
    lastRefutedAt: null,
    refuteDue: false,
    rumorsRefused: 0,
    rumorWaits: { started: 0, dropped: 0 },
  }
}

/** A link's side channel opened: returns the hello to send on it. */
export function openLink(state: LivenessState, linkId: string, now: number): Outgoing[] {
  const link = linkOf(state, linkId, now)
  link.lastSentAt = now
  return [{ linkId, frame: { t: 'hello', client: state.self, v: LIVENESS_VERSION } }]
}

/** Records a liveness frame from a link; returns who it says is gone and what to answer. `awareness` dates renewals, for rumors. */
export function onFrame(
  state: LivenessState,
  linkId: string,
  frame: LivenessFrame,
  now: number,
  awareness: AwarenessView = NOTHING_KNOWN,
): LivenessResult {
  const link = linkOf(state, linkId, now)
  heard(link, now)
  const result: LivenessResult = { gone: [], send: [] }
  switch (frame.t) {
    case 'hello':
      link.client = frame.client
      link.promises = (frame.v ?? 1) >= PROMISES_VERSION
      link.rumors = (frame.v ?? 1) >= RUMORS_VERSION
      break
    case 'beat':
      link.heardPromiseMs = frame.in ?? HEARTBEAT_INTERVAL_MS
      break
    case 'bye':
      link.saidBye = true
      result.gone = markDead(state, link)
      break
    case 'probe':
      result.send.push(beat(state, linkId, link, now))
      break
    case 'suspect':
      result.send = probesFor(state, frame.client, now, false)
      break
    case 'lost':
      if (link.rumors) onRumor(state, linkId, link, frame, now, awareness, result)
      break
    case 'sync':
      break
  }
  return result
}

/** Records traffic on the link's other channels (y-webrtc's): received counts as a beat, sent as one of ours. */
export function onTraffic(state: LivenessState, linkId: string, direction: 'in' | 'out', now: number): void {
  const link = state.links.get(linkId)
  if (link === undefined) return
  if (direction === 'out') {
    link.lastSentAt = now
  } else {
    // Not a revival: a link declared dead comes back with its next liveness frame.
    link.lastHeardAt = now
    link.probedAt = null
  }
}

/** The link's ICE state went 'disconnected' or 'failed': returns a probe for it (if its peer answers probes). */
export function onIceTrouble(state: LivenessState, linkId: string, now: number): Outgoing[] {
  const link = state.links.get(linkId)
  if (link === undefined || !link.alive || !link.promises || link.probedAt !== null) return []
  return [probe(linkId, link, now, true)]
}

/** Who closed a link: this peer on purpose, or its far end or a failure (which may mean the peer is gone). */
export type LinkCloser = 'ours' | 'theirs'

/**
 * Forgets a closed link; the clients no other live link speaks for are gone. A close this peer
 * did not make, with no bye ever before it, is our own evidence as silence is: the far end may have
 * gone with its last frames lost (its bye, the goodbyes it carried for its siblings), so the
 * others are told and the tabs the link carried are suspected, as in `tick`. One we made (a link
 * retired, shed or dropped) only drops its client: the peer is alive, and stays heard elsewhere.
 */
export function closeLink(
  state: LivenessState,
  linkId: string,
  closer: LinkCloser,
  now: number,
  awareness: AwarenessView = NOTHING_KNOWN,
): LivenessResult {
  const result: LivenessResult = { gone: [], send: [] }
  const link = state.links.get(linkId)
  if (link === undefined) return result
  state.links.delete(linkId)
  if (!link.alive) return result // after a bye, or already dead of silence
  const gone = markDead(state, link)
  result.gone.push(...gone)
  if (closer === 'theirs' && !link.saidBye) tellLost(state, gone, gone, now, awareness, result)
  return result
}

/**
 * Marks links that stayed silent past their promise (or past a probe) as dead and tells the
 * others, asks live links whose client `isKnown` denies to re-announce (at most once per
 * LINK_TIMEOUT_MS), and beats on links we have been silent on for as long as we promised.
 * Called every TICK_INTERVAL_MS. If this tick came over HEARTBEAT_INTERVAL_MS late (the page
 * was frozen or its main thread busy), frames that queued meanwhile are not read yet, so
 * nobody is blamed for the gap.
 */
export function tick(state: LivenessState, now: number, awareness: AwarenessView): LivenessResult {
  const gap = state.lastTickAt === null ? TICK_INTERVAL_MS : now - state.lastTickAt
  const late = gap - HEARTBEAT_INTERVAL_MS
  state.lastTickAt = now
  state.throttled = gap >= THROTTLED_TICK_GAP_MS
  const result: LivenessResult = { gone: [], send: [] }
  const lost: number[] = []
  const evidence: number[] = []
  if (late > HEARTBEAT_INTERVAL_MS) for (const suspicion of state.suspected.values()) suspicion.until += late
  for (const [linkId, link] of state.links) {
    if (late > HEARTBEAT_INTERVAL_MS) {
      link.lastHeardAt += late
      if (link.probedAt !== null) link.probedAt += late
      continue
    }
    if (!link.alive || link.client === null) continue
    const unanswered = link.probedAt !== null && now - link.probedAt > PROBE_TIMEOUT_MS
    if (unanswered || now - link.lastHeardAt > linkTimeoutMs(link)) {
      const gone = markDead(state, link)
      result.gone.push(...gone)
      evidence.push(...gone)
      if (!unanswered || link.probeTells) lost.push(...gone)
    } else if (!awareness.isKnown(link.client) && now - link.lastSyncAskAt >= LINK_TIMEOUT_MS) {
      link.lastSyncAskAt = now
      link.lastSentAt = now
      result.send.push({ linkId, frame: { t: 'sync' } })
    }
  }
  tellLost(state, lost, evidence, now, awareness, result)
  result.gone.push(...unrefuted(state, now, awareness))
  if (state.refuteDue && refuteNow(state, now)) result.refute = true
  const watcher = watcherOf(state)
  const watchMs = keepable(state, watchIntervalMs(state.links.size))
  for (const [linkId, link] of state.links) {
    if (link.client === null && now - link.openedAt > GREETING_WAIT_MS) continue
    const promise = promiseFor(link, watcher, watchMs)
    // A shorter promise goes out at once: other traffic on the link would not carry it.
    const due = promise < link.sentPromiseMs || now - link.lastSentAt + TICK_SLACK_MS >= link.sentPromiseMs
    if (due) result.send.push(beat(state, linkId, link, now))
  }
  return result
}

/** How many links speak for a client now (they said hello and are alive). */
export function liveLinkCount(state: LivenessState): number {
  let count = 0
  for (const link of state.links.values()) if (link.alive && link.client !== null) count++
  return count
}

/** The clients alive through some link (each once). */
export function linkedClients(state: LivenessState): number[] {
  const clients = new Set<number>()
  for (const link of state.links.values()) if (link.alive && link.client !== null) clients.add(link.client)
  return [...clients]
}

/** Whether a client is alive through some link. */
export function isSpokenFor(state: LivenessState, client: number): boolean {
  for (const link of state.links.values()) if (link.alive && link.client === client) return true
  return false
}

/**
 * The beat interval toward the peer that watches us when the room has `links` links: as short
 * as the idle budget allows once every link's awareness renewals are paid for, in whole ticks,
 * between HEARTBEAT_INTERVAL_MS and MAX_WATCH_INTERVAL_MS.
 */
export function watchIntervalMs(links: number): number {
  const spare = IDLE_BUDGET_MSGS_PER_S - links / RENEWAL_PERIOD_S
  if (spare <= 0) return MAX_WATCH_INTERVAL_MS
  const ms = Math.ceil(1000 / spare / TICK_INTERVAL_MS) * TICK_INTERVAL_MS
  return Math.min(MAX_WATCH_INTERVAL_MS, Math.max(HEARTBEAT_INTERVAL_MS, ms))
}

/** The client that watches us: the next id after ours among live links that keep promises, wrapping around. */
export function watcherOf(state: LivenessState): number | null {
  let next: number | null = null
  let lowest: number | null = null
  for (const link of state.links.values()) {
    const client = link.client
    if (!link.alive || !link.promises || client === null || client === state.self) continue
    if (client > state.self && (next === null || client < next)) next = client
    if (lowest === null || client < lowest) lowest = client
  }
  return next ?? lowest
}

/** Silence after which a link counts as dead: its promise and some grace, never less than LINK_TIMEOUT_MS. */
function linkTimeoutMs(link: Link): number {
  return Math.max(LINK_TIMEOUT_MS, link.heardPromiseMs + BEAT_GRACE_MS)
}

function promiseFor(link: Link, watcher: number | null, watchMs: number): number {
  if (!link.promises) return HEARTBEAT_INTERVAL_MS // older peers time a link out after LINK_TIMEOUT_MS
  return link.client !== null && link.client === watcher ? watchMs : UNWATCHED_PROMISE_MS
}

/** A promise our own ticks can keep: whole seconds while they are throttled. */
function keepable(state: LivenessState, ms: number): number {
  return state.throttled ? Math.ceil(ms / THROTTLED_TICK_MS) * THROTTLED_TICK_MS : ms
}

function beat(state: LivenessState, linkId: string, link: Link, now: number): Outgoing {
  const promise = promiseFor(link, watcherOf(state), keepable(state, watchIntervalMs(state.links.size)))
  link.lastSentAt = now
  link.sentPromiseMs = promise
  return { linkId, frame: link.promises ? { t: 'beat', in: promise } : { t: 'beat' } }
}

/** Probes for our own links to `client` that have been quiet for a while and have no probe out. */
function probesFor(state: LivenessState, client: number, now: number, tells: boolean): Outgoing[] {
  const probes: Outgoing[] = []
  for (const [linkId, link] of state.links) {
    if (link.client !== client || !link.alive || !link.promises || link.probedAt !== null) continue
    if (now - link.lastHeardAt < HEARTBEAT_INTERVAL_MS) continue // heard just now: nothing to check
    probes.push(probe(linkId, link, now, tells))
  }
  return probes
}

function probe(linkId: string, link: Link, now: number, tells: boolean): Outgoing {
  link.probedAt = now
  link.probeTells = tells
  link.lastSentAt = now
  return { linkId, frame: { t: 'probe' } }
}

/** Tells every other live link that keeps promises but takes no rumors that we lost `client` (the others hear the rumor). */
function suspects(state: LivenessState, client: number, now: number): Outgoing[] {
  const sent: Outgoing[] = []
  for (const [linkId, link] of state.links) {
    if (!link.alive || !link.promises || link.rumors || link.client === null || link.client === client) continue
    link.lastSentAt = now
    sent.push({ linkId, frame: { t: 'suspect', client } })
  }
  return sent
}

function linkOf(state: LivenessState, linkId: string, now: number): Link {
  let link = state.links.get(linkId)
  if (link === undefined) {
    // A new link's awareness state arrives on y-webrtc's channel, maybe after our hello:
    // count the link's start as an ask, so the first real one waits LINK_TIMEOUT_MS.
    link = {
      client: null,
      promises: false,
      rumors: false,
      rumorTokens: RUMOR_BURST,
      rumorTokensAt: now,
      alive: true,
      saidBye: false,
      openedAt: now,
      lastHeardAt: now,
      heardPromiseMs: HEARTBEAT_INTERVAL_MS,
      lastSentAt: now,
      sentPromiseMs: HEARTBEAT_INTERVAL_MS,
      lastSyncAskAt: now,
      probedAt: null,
      probeTells: false,
    }
    state.links.set(linkId, link)
  }
  return link
}

function heard(link: Link, now: number): void {
  link.lastHeardAt = now
  link.alive = true
  link.probedAt = null
}

function markDead(state: LivenessState, link: Link): number[] {
  link.alive = false
  link.probedAt = null
  return link.client !== null && !isSpokenFor(state, link.client) ? [link.client] : []
}

/**
 * A rumor that `client` is lost came over `linkId`, within that link's allowance; a stale one
 * (below the clock we hold for the client) is dropped. About us, we renew our state (at most
 * every REFUTE_INTERVAL_MS); linked to the client, we probe it; else, if it is news, we wait for
 * the client to renew. News is passed on (each client and clock once), so that it reaches peers
 * further away and the client itself.
 */
function onRumor(
  state: LivenessState,
  linkId: string,
  link: Link,
  rumor: LivenessFrame & { t: 'lost' },
  now: number,
  awareness: AwarenessView,
  result: LivenessResult,
): void {
  const { client, clock } = rumor
  link.rumorTokens = refilled(RUMOR_RATE, link.rumorTokens, now - link.rumorTokensAt)
  link.rumorTokensAt = now
  if (link.rumorTokens < 1) {
    state.rumorsRefused++
    return
  }
  link.rumorTokens--
  const held = awareness.clockOf(client)
  if (held !== undefined && clock < held) return // stale: the client renewed since
  if (client === state.self) {
    // Never dropped when too soon: a peer that waits on this rumor would drop us.
    if (refuteNow(state, now)) result.refute = true
    else state.refuteDue = true
    return
  }
  if (isSpokenFor(state, client)) result.send.push(...probesFor(state, client, now, true))
  const passed = spreadRumor(state, rumor, linkId, now)
  if (passed === null) return // no news: a wait it would start might outlast the client's renewal
  result.send.push(...passed)
  if (!isSpokenFor(state, client) && held !== undefined) suspect(state, client, now)
}

/**
 * Clients dropped on our own evidence (`evidence`): the others hear a rumor (older peers a
 * suspect, for those in `lost`: not for a probe another peer's news asked for), and the tabs
 * their links carried are suspected.
 */
function tellLost(
  state: LivenessState,
  lost: number[],
  evidence: number[],
  now: number,
  awareness: AwarenessView,
  result: LivenessResult,
): void {
  for (const client of lost) result.send.push(...suspects(state, client, now))
  for (const client of evidence) {
    const clock = awareness.clockOf(client)
    if (clock !== undefined) result.send.push(...(spreadRumor(state, { t: 'lost', client, clock }, null, now) ?? []))
  }
  for (const client of evidence) suspectSiblings(state, client, now, awareness, result)
}

/** Starts the wait for `client` to renew its state (dropped in `unrefuted` if it does not), unless one runs or too many do. */
function suspect(state: LivenessState, client: number, now: number): void {
  if (state.suspected.has(client) || state.suspected.size >= MAX_SUSPECTED) return
  state.suspected.set(client, { heardAt: now, until: now + RUMOR_WAIT_MS })
  state.rumorWaits.started++
}

/**
 * The client of a link that died on our own evidence (silence, an unanswered probe, a close we did
 * not make) may have carried tabs we have no link to:
 * its siblings reach the room over their BroadcastChannel, and peers linked only to it hear them
 * only through it. When a window closes, the goodbyes it sent for them in its last moments can
 * die with it (traced in CI: none of its last frames left), and nothing else would say they went.
 * So each such sibling is rumored lost, as if we had lost it ourselves: the rumor goes to our
 * live links (the sibling, alive and still heard elsewhere, renews its state), and we drop it if
 * no renewal comes within RUMOR_WAIT_MS; with no live link left, no renewal can come: at once.
 */
function suspectSiblings(state: LivenessState, client: number, now: number, awareness: AwarenessView, result: LivenessResult): void {
  const alone = liveLinkCount(state) === 0
  for (const sibling of awareness.siblingsOf?.(client) ?? []) {
    if (sibling === state.self || sibling === client || isSpokenFor(state, sibling) || !awareness.isKnown(sibling)) continue
    if (alone) {
      result.gone.push(sibling)
      continue
    }
    const clock = awareness.clockOf(sibling)
    if (clock !== undefined) result.send.push(...(spreadRumor(state, { t: 'lost', client: sibling, clock }, null, now) ?? []))
    suspect(state, sibling, now)
  }
}

/** Whether to renew our state now to answer a rumor (else it is due once REFUTE_INTERVAL_MS is up). */
function refuteNow(state: LivenessState, now: number): boolean {
  if (state.lastRefutedAt !== null && now - state.lastRefutedAt < REFUTE_INTERVAL_MS) return false
  state.lastRefutedAt = now
  state.refuteDue = false
  return true
}

/**
 * The rumor passed to every live link that takes rumors but `from`; null if it is no news (we
 * passed the same client and clock on within RUMOR_SPREAD_WINDOW_MS) or we hold too many.
 */
function spreadRumor(state: LivenessState, rumor: LivenessFrame & { t: 'lost' }, from: string | null, now: number): Outgoing[] | null {
  const key = `${rumor.client}:${rumor.clock}`
  const last = state.spread.get(key)
  if (last !== undefined && now - last < RUMOR_SPREAD_WINDOW_MS) return null
  for (const [other, at] of state.spread) if (now - at >= RUMOR_SPREAD_WINDOW_MS) state.spread.delete(other)
  if (state.spread.size >= MAX_SPREAD) return null
  state.spread.set(key, now)
  const sent: Outgoing[] = []
  for (const [linkId, link] of state.links) {
    if (linkId === from || !link.alive || !link.rumors || link.client === null) continue
    link.lastSentAt = now
    sent.push({ linkId, frame: rumor })
  }
  return sent
}

/**
 * Suspected clients that renewed nothing within RUMOR_WAIT_MS of the rumor, and would have
 * renewed had they heard it: gone. Those that renewed since, or that a live link speaks for now
 * (liveness judges them itself), are cleared; those that cannot refute are left to awareness's timeout.
 */
function unrefuted(state: LivenessState, now: number, awareness: AwarenessView): number[] {
  const gone: number[] = []
  for (const [client, { heardAt, until }] of state.suspected) {
    const renewedAt = awareness.renewedAt(client)
    const refutes = awareness.refutes(client)
    if (isSpokenFor(state, client) || (renewedAt !== undefined && renewedAt > heardAt)) state.suspected.delete(client)
    else if (now >= until) {
      state.suspected.delete(client)
      if (refutes && awareness.isKnown(client)) {
        gone.push(client)
        state.rumorWaits.dropped++
      }
    }
  }
  return gone
}
