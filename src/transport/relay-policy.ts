// Which links a change goes to, and when two peers' documents differ: the pure core of the relay
// (relay.ts is its shell). A change reaches each peer once from its author in a full mesh.
//
// The rule (multipoint-relay pruning): a change made here goes to every link. A change
// delivered by the link to S goes to every other link except S's advertised neighbours, which
// S itself relays to or which had it from whoever S had it from; a sender whose neighbours are
// unknown (a stock y-webrtc peer, or a Parley peer not heard yet) prunes nothing. Following
// the first deliveries back to the author, the first peer of that path next to a link L sends
// to L, so with true neighbour sets every peer of a connected mesh gets every change; stale
// ones are repaired by comparing digests of the state vectors (see relay-protocol.ts). A link that
// compares no digests (a stock peer) left out of a batch is owed its records, by clock range, but
// for those it is known to hold (`knownWithSent`), and sent them in parts (`owedWith`, `catchUpCut`).
import type { ClockRange } from '../updates/index.js'

/** Where a change came from: made or first heard here without a link, or delivered by the link to `peerId`. */
export type ChangeSource =
  | { from: 'local' }
  | {
      from: 'link'
      /** The y-webrtc peer id of the link that delivered it. */
      peerId: string
      /** That peer's neighbours as it last advertised them; null when unknown. */
      neighbours: ReadonlySet<string> | null
    }

/** A change made here (or heard over BroadcastChannel, from tabs whose neighbours nobody knows). */
export const LOCAL_SOURCE: ChangeSource = { from: 'local' }

/**
 * The origin a batch of changes is relayed with when it is a part and the rest of those changes
 * follows (history/deferred-updates.ts cuts a large batch): its sources are kept for the rest.
 */
export const PARTS_FOLLOW: unique symbol = Symbol('parley-relay-parts-follow')

/**
 * The links (y-webrtc peer ids) a change from `sources` goes to: 'all' if any source is local
 * or there is none (nothing known: safe), else every link that some source does not cover.
 */
export function relayTargets(links: Iterable<string>, sources: Iterable<ChangeSource>): Set<string> | 'all' {
  const remote: Array<Extract<ChangeSource, { from: 'link' }>> = []
  for (const source of sources) {
    if (source.from === 'local') return 'all'
    remote.push(source)
  }
  if (remote.length === 0) return 'all'
  const targets = new Set<string>()
  for (const link of links) {
    if (remote.some((source) => link !== source.peerId && !(source.neighbours?.has(link) ?? false))) targets.add(link)
  }
  return targets
}

/** Whether an advertised neighbour set dropped someone `before` had (a change relayed meanwhile may have missed them). */
export function droppedNeighbours(before: ReadonlySet<string> | undefined, after: ReadonlySet<string>): boolean {
  if (before === undefined) return false
  for (const id of before) if (!after.has(id)) return true
  return false
}

/**
 * A digest of a Yjs state vector (client → next clock): 32-bit FNV-1a over the entries in
 * client order, as 8 hex digits. Equal vectors give equal digests; not a security measure (a
 * peer lying about it only earns a sync request, which the peer guard rate-limits).
 */
export function stateVectorDigest(stateVector: ReadonlyMap<number, number>): string {
  const FNV_OFFSET = 0x811c9dc5
  const FNV_PRIME = 0x01000193
  let hash = FNV_OFFSET
  const mix = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i)
      hash = Math.imul(hash, FNV_PRIME) >>> 0
    }
  }
  for (const [client, clock] of [...stateVector].sort(([a], [b]) => a - b)) mix(`${client}:${clock};`)
  return hash.toString(16).padStart(8, '0')
}

/**
 * Shortest time between two repair requests (sync step 1) to one link, in ms: 4 a minute,
 * below the 6 a minute the other side's peer guard allows (peer-guard.ts SYNC_REQUESTS_PER_MINUTE).
 */
export const REPAIR_MIN_INTERVAL_MS = 15_000

/** How long until a link last asked at `lastAskedAt` (ms, undefined: never) may be asked again, in ms (0: now). */
export function repairWaitMs(lastAskedAt: number | undefined, now: number): number {
  return lastAskedAt === undefined ? 0 : Math.max(0, lastAskedAt + REPAIR_MIN_INTERVAL_MS - now)
}

/**
 * `owed` (a link's, per writer) with the records of `ranges` added: per writer one range, from the
 * lowest clock to the highest (the clocks between come too: a copy costs nothing). A new map.
 */
export function owedWith(owed: ReadonlyMap<number, ClockRange> | undefined, ranges: Iterable<ClockRange>): Map<number, ClockRange> {
  const next = new Map(owed)
  for (const range of ranges) {
    const before = next.get(range.client)
    next.set(
      range.client,
      before === undefined ? range : { client: range.client, from: Math.min(before.from, range.from), to: Math.max(before.to, range.to) },
    )
  }
  return next
}

/**
 * What a link is known to hold (per writer, the clock below which it holds every record) once it
 * sent records of `ranges` (per writer, without a gap): a peer sends only records it holds, so a
 * range that starts within what it is known to hold of that writer extends it, whether or not the
 * records were new here. One that starts past it tells nothing: Yjs sends records it holds pending
 * too (behind a gap, which a range starting past the known clock may hide). A new map.
 */
export function knownWithSent(known: ReadonlyMap<number, number>, ranges: Iterable<ClockRange>): Map<number, number> {
  const next = new Map(known)
  for (const { client, from, to } of ranges) {
    const held = next.get(client) ?? 0
    if (from <= held && to > held) next.set(client, to)
  }
  return next
}

/** One catch-up part: the ranges to send, their records, and what is owed after them. */
export interface CatchUpCut {
  ranges: ClockRange[]
  records: number
  rest: Map<number, ClockRange>
}

/**
 * The next part of `owed`: at most `cap` records of it that the document holds (`held`, its state
 * vector) and the link is not known to hold (`known`: per writer, the clock below which it holds
 * every record), writer after writer in `owed`'s order, and what is owed after them. Records past
 * what the document holds are not owed (Yjs holds them pending; once it integrates them they are
 * a batch of their own).
 */
export function catchUpCut(
  owed: ReadonlyMap<number, ClockRange>,
  held: ReadonlyMap<number, number>,
  known: ReadonlyMap<number, number>,
  cap: number,
): CatchUpCut {
  const ranges: ClockRange[] = []
  const rest = new Map<number, ClockRange>()
  let records = 0
  for (const range of owed.values()) {
    const from = Math.max(range.from, known.get(range.client) ?? 0)
    const to = Math.min(range.to, held.get(range.client) ?? 0)
    const until = Math.min(to, from + (cap - records))
    if (until > from) {
      ranges.push({ client: range.client, from, to: until })
      records += until - from
    }
    if (until < to) rest.set(range.client, { ...range, from: Math.max(from, until) })
  }
  return { ranges, records, rest }
}
