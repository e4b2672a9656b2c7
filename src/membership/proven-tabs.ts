// The tabs that proved their claim to a user, each with the newest state it signed, so that no
// other peer can replace, play back over, rename or remove them. Pure: RoomPresence keeps the ledger.
//
// A tab is proven once one of its signed states verified. From then on, for that tab:
// - an awareness entry from the network is let through only if it is a claim of the same user
//   and key with a higher counter (a newer state: held back from awareness until its signature
//   verifies, then applied with this peer's own next clock, see held-states.ts), or the same
//   signed state again (a renewal; never with a clock far ahead); a removal (null), an empty
//   state or anything else is refused (`admitEntry`), so departure is left to the tab's own
//   word or this peer's own evidence: liveness (bye, silence) and awareness's outdated timeout
//   remove states locally;
// - its own word is its signed goodbye: a state marked `left`, signed like any other with a
//   counter above every state the tab showed (the tab signs it in advance, with each state, and
//   publishes it as the page hides or the room closes). It travels as awareness does, relays
//   included, so it reaches peers that know the tab only through another tab: once verified it
//   is the tab's newest proven state, and the tab is shown no more (`shownState`), its removal
//   is let through, and nothing older can be played back over it while its state is kept.
//   Nobody else can forge it (the signature) or replay it (the counter must be higher than any
//   seen). A tab that crashes says no goodbye: liveness removes it where it was linked, and
//   by rumor where it was not if it signed that it answers rumors (RoomPresence.refutesRumors);
//   awareness's timeout (30 s) elsewhere;
// - while its current awareness state is not a verified one at least as new, peers are shown
//   its newest verified state instead (`shownState`);
// - it is forgotten when its awareness state is gone (`recordProven`).
import { clientOfRef, readAwarenessEntry, type Meta, type PresenceState } from '../presence/index.js'
import { parseMemberMeta, type MemberMeta, type MetaVerdict } from './members.js'

/** A proven tab: its user, and the newest of its states that verified (with its ref). */
export interface ProvenTab {
  key: string
  meta: Meta<MemberMeta> & { counter: number }
}

/** Proven tabs by awareness client ID. */
export type ProvenTabs = ReadonlyMap<number, ProvenTab>

/** One entry of an awareness update from another peer, as the transport read it. */
export interface AwarenessUpdateEntry {
  client: number
  clock: number
  /** The state as parsed from JSON; null removes the client. */
  state: unknown
}

/** The client ID of a meta's ref, or NaN. */
function clientOf(meta: Meta<MemberMeta>): number {
  return Number(clientOfRef(meta.ref))
}

/**
 * The ledger after a presence change: each verified state newer than the one on record is
 * recorded; tabs whose awareness state is gone (`present` false) are forgotten.
 * Returns `proven` itself when nothing changed.
 */
export function recordProven(
  proven: ProvenTabs,
  state: PresenceState<MemberMeta>,
  verdictOf: MetaVerdict,
  present: (client: number) => boolean,
): ProvenTabs {
  let next: Map<number, ProvenTab> | undefined
  for (const [key, { metas }] of state) {
    for (const meta of metas) {
      const { counter } = meta
      const client = clientOf(meta)
      if (counter === undefined || !Number.isSafeInteger(client) || verdictOf(key, meta) !== 'verified') continue
      const tab = proven.get(client)
      if (tab !== undefined && (tab.key !== key || tab.meta.counter >= counter)) continue
      next ??= new Map(proven)
      next.set(client, { key, meta: { ...meta, counter } })
    }
  }
  for (const client of proven.keys()) {
    if (present(client)) continue
    next ??= new Map(proven)
    next.delete(client)
  }
  return next ?? proven
}

/**
 * The presence state as shown: each proven tab as its current state when that verified and is
 * at least as new as the one on record, else as the one on record (a newer state still being
 * checked, a forged one, or one played back); proven tabs missing from `state` are added.
 * A goodbye is never shown: a tab whose shown state would be one has left.
 */
export function shownState(state: PresenceState<MemberMeta>, proven: ProvenTabs, verdictOf: MetaVerdict): PresenceState<MemberMeta> {
  const shown: PresenceState<MemberMeta> = new Map()
  const add = (key: string, meta: Meta<MemberMeta>): void => {
    if (meta.left === true) return
    const presence = shown.get(key)
    if (presence === undefined) shown.set(key, { metas: [meta] })
    else presence.metas.push(meta)
  }
  const seen = new Set<number>()
  for (const [key, { metas }] of state) {
    for (const meta of metas) {
      const client = clientOf(meta)
      seen.add(client)
      const tab = proven.get(client)
      const current =
        tab === undefined || (key === tab.key && (meta.counter ?? -1) >= tab.meta.counter && verdictOf(key, meta) === 'verified')
      if (current) add(key, meta)
      else add(tab.key, tab.meta)
    }
  }
  for (const [client, tab] of proven) if (!seen.has(client)) add(tab.key, tab.meta)
  return shown
}

/** Whether two signed states say the same thing with the same signature. */
export function sameSignedState(a: MemberMeta, b: MemberMeta): boolean {
  return (
    a.counter === b.counter &&
    a.signature === b.signature &&
    a.publicKey === b.publicKey &&
    a.name === b.name &&
    a.typing === b.typing &&
    a.since === b.since &&
    a.left === b.left
  )
}

/**
 * Whether an awareness entry from another peer may be applied, given what this peer's awareness
 * knows of the client (`known`: its clock) and its proven tab, if any. Entries awareness would
 * ignore anyway (an older clock) pass: a full state sent on connect holds many of them. A tab
 * whose verified goodbye is on record may be removed by anyone: it left.
 */
export function admitEntry(entry: AwarenessUpdateEntry, known: { clock: number } | undefined, tab: ProvenTab | undefined): boolean {
  if (tab === undefined) return true
  if (known !== undefined && (entry.clock < known.clock || (entry.clock === known.clock && entry.state !== null))) return true
  const read = readAwarenessEntry(entry.state, parseMemberMeta)
  // Removed, emptied or garbled: a removal, which needs the tab's own goodbye as proof.
  if (read.kind !== 'tracked') return tab.meta.left === true
  const { key, meta } = read
  if (key !== tab.key || meta.publicKey !== tab.meta.publicKey || meta.counter === undefined) return false
  return meta.counter > tab.meta.counter || sameSignedState(meta, tab.meta)
}
