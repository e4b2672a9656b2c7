// Newer states of proven tabs, held back from awareness until their signatures verify, and the
// clocks awareness takes for proven tabs (its own next one, never a far-ahead one). Pure.
//
// Awareness orders a client's entries by their clock alone, and clocks are not signed: a peer
// that wrote an entry for another tab with a clock far ahead (2^40) would make awareness ignore
// every later entry of that tab, its goodbye included. So for a proven tab (see proven-tabs.ts)
// the signed counter orders states, and no clock from the network reaches awareness:
// - an entry with a higher counter is held (`screenEntry` says 'hold'; up to
//   MAX_HELD_PER_CLIENT per tab), whatever its clock, and applied only once its signature
//   verifies (`settleHeld`), with the clock after the one awareness holds; a forged one is
//   dropped and counted, and never touched awareness;
// - any other entry it admits (a renewal, the removal of a tab that said goodbye) reaches
//   awareness with at most that next clock (`'apply'`);
// - a renewal at or below the clock on record still counts as a sign of life (`'refresh'`): a
//   peer that replays a tab's current state with far-ahead clocks raises the clock on record by
//   one per entry, above the tab's own for a while, and its own renewals must not then let
//   awareness's outdated timeout (30 s) remove it.
// So a forger can neither freeze a tab's states nor time it out; its own clocks catch up.
//
// A goodbye a sibling tab carried (room/sibling-goodbyes.ts) comes marked: CARRIED_GOODBYE_FIELD
// in the presence field, beside the signed meta, unsigned. The sibling may have closed alone,
// and the tab, still open, answers with a newer state that takes a moment to arrive. So a
// carried goodbye that verified waits up to CARRIED_GOODBYE_GRACE_MS from when it was held (and
// while a newer state of the tab is being checked): a newer state that verifies meanwhile
// supersedes it, and the tab never seems to leave. It is applied without the mark, so peers
// downstream do not wait again. The mark is unsigned: a peer that adds it delays a goodbye by
// the grace, and one that strips it makes it apply at once, as before the mark.
import * as encoding from 'lib0/encoding'
import { PRESENCE_FIELD, isPlainObject, presenceRef, readAwarenessEntry, type Meta } from '../presence/index.js'
import { parseMemberMeta, type MemberMeta, type MetaVerdict } from './members.js'
import { admitEntry, sameSignedState, type AwarenessUpdateEntry, type ProvenTab } from './proven-tabs.js'

/** Most newer states held per tab while their signatures are checked; more are refused. */
export const MAX_HELD_PER_CLIENT = 4

/** Field of the presence field (beside its meta) marking a goodbye a sibling carried: `true`. */
export const CARRIED_GOODBYE_FIELD = 'carried'

/** How long a carried goodbye waits for a newer state of its tab before it applies, in ms. */
export const CARRIED_GOODBYE_GRACE_MS = 750

/** A newer state of a proven tab, held until its signature settles. */
export interface HeldState {
  entry: AwarenessUpdateEntry
  key: string
  meta: Meta<MemberMeta> & { counter: number }
  /** When a goodbye a sibling carried was held (see the header); absent for any other state. */
  carriedAt?: number
}

/** Held states by awareness client ID. */
export type HeldStates = ReadonlyMap<number, readonly HeldState[]>

/** What the screen does with one entry from the network. */
export type EntryDecision =
  | { kind: 'pass' }
  | { kind: 'refuse' }
  | { kind: 'hold'; state: HeldState }
  /** Admitted, but with this clock (the one after awareness's), not the entry's. */
  | { kind: 'apply'; clock: number }
  /** A renewal of the tab's proven state that awareness ignores (its clock): the tab is alive. */
  | { kind: 'refresh' }

/** Whether an awareness state's presence field bears the mark of a goodbye a sibling carried. */
function isCarried(state: unknown): boolean {
  const field = isPlainObject(state) ? state[PRESENCE_FIELD] : undefined
  return isPlainObject(field) && field[CARRIED_GOODBYE_FIELD] === true
}

/** An awareness state without the mark of a carried goodbye. */
function withoutCarriedMark(state: unknown): unknown {
  const field = isPlainObject(state) ? state[PRESENCE_FIELD] : undefined
  if (!isPlainObject(state) || !isPlainObject(field)) return state
  const { [CARRIED_GOODBYE_FIELD]: _mark, ...unmarked } = field
  return { ...state, [PRESENCE_FIELD]: unmarked }
}

/**
 * What to do with an entry from another peer, given what this peer's awareness knows of the
 * client (`known`: its clock) and its proven tab, if any (see the header); `now` stamps a
 * carried goodbye.
 */
export function screenEntry(
  entry: AwarenessUpdateEntry,
  known: { clock: number } | undefined,
  tab: ProvenTab | undefined,
  now = Date.now(),
): EntryDecision {
  if (tab === undefined) return { kind: 'pass' }
  const clock = known?.clock ?? 0
  const read = readAwarenessEntry(entry.state, parseMemberMeta)
  if (read.kind === 'tracked') {
    const { key, meta, version } = read
    const { counter } = meta
    if (key === tab.key && meta.publicKey === tab.meta.publicKey && counter !== undefined && counter > tab.meta.counter) {
      const state: HeldState = { entry, key, meta: { ...meta, counter, ref: presenceRef(entry.client, version) } }
      if (meta.left === true && isCarried(entry.state)) state.carriedAt = now
      return { kind: 'hold', state }
    }
    if (entry.clock <= clock && key === tab.key && sameSignedState(meta, tab.meta)) return { kind: 'refresh' }
  }
  if (!admitEntry(entry, known, tab)) return { kind: 'refuse' }
  const next = clock + 1
  return entry.clock > next ? { kind: 'apply', clock: next } : { kind: 'pass' }
}

/** Whether two held states are the same signed state. */
function sameHeld(a: HeldState, b: HeldState): boolean {
  return a.key === b.key && JSON.stringify(a.meta) === JSON.stringify(b.meta)
}

/**
 * The held states with `state` added to its tab's, unless the same state is already held or the
 * tab holds MAX_HELD_PER_CLIENT already (`added` false); the same goodbye not carried replaces
 * a carried copy (it need not wait). Never mutates `held`.
 */
export function holdState(held: HeldStates, state: HeldState): { held: HeldStates; added: boolean } {
  const client = state.entry.client
  const states = held.get(client) ?? []
  const same = states.findIndex((other) => sameHeld(other, state))
  if (same >= 0 && state.carriedAt === undefined && states[same]?.carriedAt !== undefined) {
    return {
      held: new Map(held).set(
        client,
        states.map((other, i) => (i === same ? state : other)),
      ),
      added: true,
    }
  }
  if (states.length >= MAX_HELD_PER_CLIENT || same >= 0) return { held, added: false }
  const next = new Map(held)
  next.set(client, [...states, state])
  return { held: next, added: true }
}

/** What settling the held states decided. */
export interface Settled {
  held: HeldStates
  /** Verified states to apply, at most one per tab: its newest verified one still newer than its proven state. */
  apply: HeldState[]
  /** Held states whose signature failed, now dropped. */
  forged: number
  /** When a carried goodbye that verified stops waiting (settle again then), or null. */
  wakeAt: number | null
}

/** Whether held state `a` goes before `b` as its tab's newest: a higher counter, or at the same one, not carried. */
function newerThan(a: HeldState, b: HeldState): boolean {
  return a.meta.counter > b.meta.counter || (a.meta.counter === b.meta.counter && a.carriedAt === undefined && b.carriedAt !== undefined)
}

/**
 * Settles the held states whose checks are done: forged ones are dropped (counted); of each
 * tab's verified ones, the newest is applied if it is still newer than the tab's proven state
 * (`tabOf`), and every state it supersedes is dropped; states still being checked stay. A
 * carried goodbye that is the newest waits (see the header), until `wakeAt` at the latest.
 * Returns `held` itself when nothing changed.
 */
export function settleHeld(
  held: HeldStates,
  verdictOf: MetaVerdict,
  tabOf: (client: number) => ProvenTab | undefined,
  now = Date.now(),
): Settled {
  let next: Map<number, readonly HeldState[]> | undefined
  const apply: HeldState[] = []
  let forged = 0
  let wakeAt: number | null = null
  for (const [client, states] of held) {
    const verdicts = states.map((state) => verdictOf(state.key, state.meta))
    if (!verdicts.some((verdict) => verdict !== 'pending')) continue
    forged += verdicts.filter((verdict) => verdict === 'unverified').length
    let newest: HeldState | undefined
    for (const [i, state] of states.entries()) {
      if (verdicts[i] === 'verified' && (newest === undefined || newerThan(state, newest))) newest = state
    }
    if (newest?.carriedAt !== undefined) {
      const until = newest.carriedAt + CARRIED_GOODBYE_GRACE_MS
      const floor = newest.meta.counter
      const newerChecked = states.some((state, i) => verdicts[i] === 'pending' && state.meta.counter > floor)
      if (now < until || newerChecked) {
        // The tab may answer with a newer state: keep all but the forged ones, and settle again.
        if (now < until) wakeAt = Math.min(wakeAt ?? until, until)
        const kept = states.filter((_state, i) => verdicts[i] !== 'unverified')
        if (kept.length < states.length) {
          next ??= new Map(held)
          next.set(client, kept)
        }
        continue
      }
    }
    const tab = tabOf(client)
    if (newest !== undefined && (tab === undefined || (tab.key === newest.key && tab.meta.counter < newest.meta.counter))) {
      // Peers downstream need not wait again: the mark stays here.
      apply.push(
        newest.carriedAt === undefined ? newest : { ...newest, entry: { ...newest.entry, state: withoutCarriedMark(newest.entry.state) } },
      )
    }
    const floor = newest?.meta.counter ?? Number.NEGATIVE_INFINITY
    const kept = states.filter((state, i) => verdicts[i] === 'pending' && state.meta.counter > floor)
    next ??= new Map(held)
    if (kept.length > 0) next.set(client, kept)
    else next.delete(client)
  }
  return { held: next ?? held, apply, forged, wakeAt }
}

/** An awareness update (y-protocols' encoding) with these entries, states as they are. */
export function encodeAwarenessEntries(entries: readonly AwarenessUpdateEntry[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const { client, clock, state } of entries) {
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, clock)
    encoding.writeVarString(encoder, JSON.stringify(state))
  }
  return encoding.toUint8Array(encoder)
}
