// Peers a room ignores for the rest of the session, because one of their links flooded it with
// sync messages (see peer-guard.ts): their link is dropped, and their signals screened out.
//
// A peer id is only as durable as the peer wants: a flooder that reconnects gets a new one. So
// the room also remembers who wrote the flood, the Yjs client ids of the document changes the
// flooding link delivered last, and a link that later brings new changes by one of those writers
// gets no burst (peer-guard.ts): a flooder back under a new peer id, with the same document, is
// dropped after a handful of messages instead of a burst's thousand. An honest peer relaying
// such changes stays well within the rate. A new document gets a new client id: that is not
// caught here (the per-author and per-link budgets still bound it).
import * as Y from 'yjs'
import { TokenBucket } from '../tasks/index.js'
import { type ReadUpdate, readUpdate } from '../updates/index.js'
import type { Room as WebrtcRoom, WebrtcConn } from 'y-webrtc'
import { closeHere } from './closed-here.js'

/** Per room: the peer ids it ignores. */
const bannedPeers = new WeakMap<WebrtcRoom, Set<string>>()

/** Whether `room` ignores the peer `peerId` (its announcements, offers and answers). */
export function isBanned(room: WebrtcRoom, peerId: string): boolean {
  return bannedPeers.get(room)?.has(peerId) === true
}

/**
 * Drops the link of `room` whose connection is `pc`, and ignores its peer from now on. Returns
 * the peer's id, or null when no link of the room uses `pc`. Finds the link through
 * simple-peer's private `_pc` (listed in y-webrtc-internals.ts).
 */
export function banPeerOf(room: WebrtcRoom, pc: RTCPeerConnection): string | null {
  const conn = linkOf(room, pc)
  if (conn === undefined) return null
  const banned = bannedPeers.get(room) ?? new Set<string>()
  bannedPeers.set(room, banned)
  banned.add(conn.remotePeerId)
  closeHere(conn)
  return conn.remotePeerId
}

/** Drops the link of `room` whose connection is `pc`, its peer free to link again; returns its id, or null when no link uses `pc`. */
export function dropLinkOf(room: WebrtcRoom, pc: RTCPeerConnection): string | null {
  const conn = linkOf(room, pc)
  if (conn !== undefined) closeHere(conn)
  return conn?.remotePeerId ?? null
}

function linkOf(room: WebrtcRoom, pc: RTCPeerConnection): WebrtcConn | undefined {
  return [...room.webrtcConns.values()].find((each) => (each.peer as unknown as { _pc?: unknown })._pc === pc)
}

/** The Yjs client ids that wrote the changes in `updates` (Yjs updates, v1), except `own`; malformed updates add none. */
export function writersOf(updates: readonly Uint8Array[], own: number): number[] {
  const writers = new Set<number>()
  for (const update of updates) {
    try {
      for (const client of readUpdate(update).to.keys()) if (client !== own) writers.add(client)
    } catch {
      // not a Yjs update: it wrote nothing
    }
  }
  return [...writers]
}

/** Whether `update` holds changes by one of `writers` that `doc` does not have yet (new writing, not a replay). */
export function bringsNewWriting(update: Uint8Array, doc: Y.Doc, writers: ReadonlySet<number>): boolean {
  if (writers.size === 0) return false
  try {
    for (const [client, clock] of readUpdate(update).to) {
      if (writers.has(client) && clock > Y.getState(doc.store, client)) return true
    }
  } catch {
    // not a Yjs update: y-webrtc will refuse it, and it writes nothing
  }
  return false
}

/**
 * How many records (clocks of their writers: a message, an annotation, a key each) `update`
 * brings that `doc` does not hold yet; null when it cannot be read (see `newRecordsByWriter`). A
 * record deleted since is still counted (it was written); one the update only deletes is not.
 */
export function newRecordsIn(update: Uint8Array, doc: Y.Doc): number | null {
  const records = newRecordsByWriter(update, doc)
  return records === null ? null : records.known + records.unknown
}

/**
 * The records of `newRecordsIn`, split by whether `doc` holds any record of their writer already
 * (`known`) or none (`unknown`); null for an update that cannot be read as Yjs would apply it
 * (updates/ `readUpdate`). Not none: Yjs integrates an update's records before it reads its delete
 * set, so one cut short there still writes them all, and then throws.
 */
export function newRecordsByWriter(update: Uint8Array, doc: Y.Doc): { known: number; unknown: number } | null {
  let read: ReadUpdate
  try {
    read = readUpdate(update)
  } catch {
    return null
  }
  const records = { known: 0, unknown: 0 }
  for (const [client, clock] of read.to) {
    const held = Y.getState(doc.store, client)
    records[held > 0 ? 'known' : 'unknown'] += Math.max(0, clock - Math.max(read.from.get(client) ?? 0, held))
  }
  return records
}

/** How long the burst that links share once a room banned a flooder takes to refill whole, in ms. */
export const SHARED_BURST_REFILL_MS = 10 * 60_000

/**
 * The records burst of the links a room opens once it banned a flooder: one burst of `burst`
 * records for all of them, empty at the ban (the flooder just spent one), refilled whole in
 * SHARED_BURST_REFILL_MS, each new link taking what is left (each keeps its own rate). A flooder
 * that comes back as somebody new (a new peer id, document and key: nothing tells it from a
 * newcomer) gets what is left, not a burst of its own; an honest newcomer, who writes as a person
 * does, needs none.
 */
export class SharedBurst {
  readonly #bucket: TokenBucket

  constructor(burst: number, now: number) {
    this.#bucket = new TokenBucket({ capacity: burst, refill: burst, refillMs: SHARED_BURST_REFILL_MS }, now, 0)
  }

  /** The burst of a link opened at `now`: what is left of the shared one, all of it taken. */
  take(now: number): number {
    const taken = Math.floor(this.#bucket.tokensAt(now))
    this.#bucket.spend(taken, now)
    return taken
  }
}
