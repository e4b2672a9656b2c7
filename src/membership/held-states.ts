// Signed presence states held back from awareness until their signatures verify, and the
// clocks awareness takes for them (never a far-ahead one that an unverified entry brought). Pure.
//
// Awareness orders a client's entries by their clock alone, and clocks are not signed: a peer
// that wrote an entry for another tab with a clock far ahead (2^40) would make awareness ignore
// every later entry of that tab, its goodbye included. So a signed state is ordered by its signed
// counter, and an unverified entry's clock never keeps a verified state out:
// - for a proven tab (see proven-tabs.ts), an entry with a higher counter is held
//   (`screenEntry` says 'hold'), whatever its clock, and applied only once its signature
//   verifies (`settleHeld`), with the clock after the one awareness holds; a forged one is
//   dropped and counted, and never touched awareness;
// - for a tab not proven here (its first state, or its first since its state went), a signed
//   state is held the same way, unless its check already settled: once verified it is applied
//   with its own clock if awareness would take it, else with the one after awareness's (an
//   entry written first under its id, however far ahead, cannot keep it out); one whose check
//   failed is applied as it came, like any state that cannot be checked (unsigned ones pass):
//   its clock orders it among those, and it is shown "⚠ … (unverified)". While held, a first
//   state is shown as being checked (`withHeldFirstStates`), as it was when awareness held it;
// - any other entry it admits for a proven tab (a renewal, the removal of a tab that said
//   goodbye) reaches awareness with at most that next clock (`'apply'`);
// - a renewal at or below the clock on record still counts as a sign of life (`'refresh'`): a
//   peer that replays a tab's current state with far-ahead clocks raises the clock on record by
//   one per entry, above the tab's own for a while, and its own renewals must not then let
//   awareness's outdated timeout (30 s) remove it.
// Each link holds at most MAX_HELD_PER_CLIENT states per tab (`holdState`): a peer that floods
// forgeries fills its own link's slots, never those of the links a tab's real states come over.
// So a forger can neither freeze a tab's states nor time it out; its own clocks catch up.
// `screenEntry` starts no check (give it the verdicts known so far): which checks a link may
// make this peer start is RoomPresence's to decide (check-budget.ts).
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
import {
  PRESENCE_FIELD,
  clientOfRef,
  isPlainObject,
  presenceRef,
  readAwarenessEntry,
  type Meta,
  type PresenceState,
} from '../presence/index.js'
import { parseMemberMeta, type MemberMeta, type MetaVerdict } from './members.js'
import { admitEntry, sameSignedState, type AwarenessUpdateEntry, type ProvenTab, type ProvenTabs } from './proven-tabs.js'

/** Most states held per tab and per link while their signatures are checked; more from that link are refused. */
export const MAX_HELD_PER_CLIENT = 4

/** Field of the presence field (beside its meta) marking a goodbye a sibling carried: `true`. */
export const CARRIED_GOODBYE_FIELD = 'carried'

/** How long a carried goodbye waits for a newer state of its tab before it applies, in ms. */
export const CARRIED_GOODBYE_GRACE_MS = 750

/** A signed state, held until its signature settles. */
export interface HeldState {
  entry: AwarenessUpdateEntry
  key: string
  meta: Meta<MemberMeta> & { counter: number }
  /** When a goodbye a sibling carried was held (see the header); absent for any other state. */
  carriedAt?: number
}

/**
 * The link an update came over, as the transport names it: the same object for all of one link's
 * updates. `replay` applies what the screen lets through itself as if the link had just
 * delivered it (`apply` gets the origin to use; null for none), so it is passed on as the link's.
 */
export interface ScreenedLink {
  replay(apply: (origin: unknown) => void): void
}

/** A held state and the link it came over. */
export interface HeldFrom extends HeldState {
  link: ScreenedLink
}

/** Held states by awareness client ID. */
export type HeldStates = ReadonlyMap<number, readonly HeldFrom[]>

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
 * client (`known`: its clock), its proven tab, if any, and the verdicts on signed states (see
 * the header); `now` stamps a carried goodbye. This tab's own entries are not for the screen to
 * hold: ask only for others.
 */
export function screenEntry(
  entry: AwarenessUpdateEntry,
  known: { clock: number } | undefined,
  tab: ProvenTab | undefined,
  verdictOf: MetaVerdict,
  now = Date.now(),
): EntryDecision {
  const clock = known?.clock ?? 0
  const read = readAwarenessEntry(entry.state, parseMemberMeta)
  if (tab === undefined) {
    const counter = read.kind === 'tracked' ? read.meta.counter : undefined
    if (read.kind !== 'tracked' || counter === undefined) return { kind: 'pass' } // nothing to check: its clock orders it
    const state = { entry, key: read.key, meta: { ...read.meta, counter, ref: presenceRef(entry.client, read.version) } }
    const verdict = verdictOf(state.key, state.meta)
    // Checked already: a failed one is as good as unsigned, a verified one passes if awareness takes it as it is.
    if (verdict === 'unverified' || (verdict === 'verified' && entry.clock > clock)) return { kind: 'pass' }
    return { kind: 'hold', state }
  }
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
 * The held states with `state`, come over `link`, added to its tab's, unless the same state is
 * already held or that link holds MAX_HELD_PER_CLIENT of the tab's already (`added` false); the
 * same goodbye not carried replaces a carried copy (it need not wait). The cap is per link, so a
 * peer that floods forgeries cannot take the slots of the links a tab's real states come over.
 * Never mutates `held`.
 */
export function holdState(held: HeldStates, state: HeldState, link: ScreenedLink): { held: HeldStates; added: boolean } {
  const client = state.entry.client
  const states = held.get(client) ?? []
  const same = states.findIndex((other) => sameHeld(other, state))
  if (same >= 0 && state.carriedAt === undefined && states[same]?.carriedAt !== undefined) {
    return {
      held: new Map(held).set(
        client,
        states.map((other, i) => (i === same ? { ...state, link } : other)),
      ),
      added: true,
    }
  }
  const fromLink = states.filter((other) => other.link === link).length
  if (fromLink >= MAX_HELD_PER_CLIENT || same >= 0) return { held, added: false }
  const next = new Map(held)
  next.set(client, [...states, { ...state, link }])
  return { held: next, added: true }
}

/** What settling the held states decided. */
export interface Settled {
  held: HeldStates
  /**
   * Verified states to apply, at most one per tab: its newest verified one still newer than its
   * proven state, or any verified one of a tab not proven here (see `clockFor`).
   */
  apply: HeldFrom[]
  /** States whose signature failed, of tabs not proven here: to apply as they came (shown unverified). */
  release: HeldFrom[]
  /** Held states of proven tabs whose signature failed, now dropped. */
  forged: number
  /** When a carried goodbye that verified stops waiting (settle again then), or null. */
  wakeAt: number | null
}

/** Whether held state `a` goes before `b` as its tab's newest: a higher counter, or at the same one, not carried. */
function newerThan(a: HeldState, b: HeldState): boolean {
  return a.meta.counter > b.meta.counter || (a.meta.counter === b.meta.counter && a.carriedAt === undefined && b.carriedAt !== undefined)
}

/**
 * Settles the held states whose checks are done: of each tab's verified ones, the newest is
 * applied if it is still newer than the tab's proven state (`tabOf`), and every state it
 * supersedes is dropped; failed ones are dropped (counted) if the tab is proven or one of its
 * states is applied now, else released; states still being checked stay. A carried goodbye
 * that is the newest waits (see the header), until `wakeAt` at the latest.
 * Returns `held` itself when nothing changed.
 */
export function settleHeld(
  held: HeldStates,
  verdictOf: MetaVerdict,
  tabOf: (client: number) => ProvenTab | undefined,
  now = Date.now(),
): Settled {
  let next: Map<number, readonly HeldFrom[]> | undefined
  const apply: HeldFrom[] = []
  const release: HeldFrom[] = []
  let forged = 0
  let wakeAt: number | null = null
  for (const [client, states] of held) {
    const verdicts = states.map((state) => verdictOf(state.key, state.meta))
    if (!verdicts.some((verdict) => verdict !== 'pending')) continue
    let newest: HeldFrom | undefined
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
        forged += states.length - kept.length
        if (kept.length < states.length) {
          next ??= new Map(held)
          next.set(client, kept)
        }
        continue
      }
    }
    const tab = tabOf(client)
    const applied = newest !== undefined && (tab === undefined || (tab.key === newest.key && tab.meta.counter < newest.meta.counter))
    if (newest !== undefined && applied) {
      // Peers downstream need not wait again: the mark stays here.
      apply.push(
        newest.carriedAt === undefined ? newest : { ...newest, entry: { ...newest.entry, state: withoutCarriedMark(newest.entry.state) } },
      )
    }
    const failed = states.filter((_, i) => verdicts[i] === 'unverified')
    if (tab === undefined && !applied) release.push(...failed)
    else forged += failed.length
    const floor = newest?.meta.counter ?? Number.NEGATIVE_INFINITY
    const kept = states.filter((state, i) => verdicts[i] === 'pending' && state.meta.counter > floor)
    next ??= new Map(held)
    if (kept.length > 0) next.set(client, kept)
    else next.delete(client)
  }
  return { held: next ?? held, apply, release, forged, wakeAt }
}

/**
 * The clock a verified held state is applied with, given awareness's clock for its tab (`known`):
 * for a proven tab the one after awareness's, never its own; for a tab not proven here its own
 * if awareness would take it, else the one after awareness's, so that nothing written first
 * under its id keeps it out.
 */
export function clockFor(state: HeldState, known: { clock: number } | undefined, proven: boolean): number {
  const next = (known?.clock ?? 0) + 1
  return proven ? next : Math.max(state.entry.clock, next)
}

/**
 * `state` (awareness's presence state) with the held states of tabs not proven here and absent
 * from it, one per tab: a first state being checked is shown as such (named nowhere), as when
 * awareness held it. Returns `state` itself when there are none.
 */
export function withHeldFirstStates(state: PresenceState<MemberMeta>, held: HeldStates, proven: ProvenTabs): PresenceState<MemberMeta> {
  let shown: PresenceState<MemberMeta> | undefined
  // Read once: per held tab, it made settling n held states cost n³ (a flood of made-up tabs).
  let present: Set<string> | undefined
  for (const [client, states] of held) {
    if (proven.has(client)) continue
    present ??= shownClients(state)
    if (present.has(String(client))) continue
    const newest = states.reduce((a, b) => (b.meta.counter > a.meta.counter ? b : a))
    shown ??= new Map([...state].map(([key, presence]) => [key, { metas: [...presence.metas] }]))
    const presence = shown.get(newest.key)
    if (presence === undefined) shown.set(newest.key, { metas: [newest.meta] })
    else presence.metas.push(newest.meta)
  }
  return shown ?? state
}

/** The clients with a meta in a presence state. */
function shownClients(state: PresenceState<MemberMeta>): Set<string> {
  const clients = new Set<string>()
  for (const { metas } of state.values()) for (const meta of metas) clients.add(clientOfRef(meta.ref))
  return clients
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
