// From a snapshot of awareness states (clientID → untrusted state) to a presence state.
// Pure: the same states give the same refs, so a heartbeat renewal diffs to nothing.

import { isPlainObject, clientOfRef, parsePresenceField, presenceRef, PRESENCE_FIELD, type MetaGuard } from './presence-field.js'
import type { Meta, PresenceState } from './presence-state.js'

/** A presence state derived from awareness, and how many states were malformed and skipped. */
export type AwarenessSnapshot<M extends object> = { state: PresenceState<M>; malformed: number }

/** One awareness state read for presence: tracked, not tracking, or malformed. */
export type AwarenessEntry<M extends object> =
  | { kind: 'tracked'; key: string; meta: M; version: number }
  | { kind: 'untracked' }
  | { kind: 'malformed' }

/** Reads the presence field of one untrusted awareness state. */
export function readAwarenessEntry<M extends object>(state: unknown, parseMeta: MetaGuard<M>): AwarenessEntry<M> {
  if (!isPlainObject(state)) return { kind: 'malformed' }
  const field = Object.hasOwn(state, PRESENCE_FIELD) ? state[PRESENCE_FIELD] : undefined
  if (field === undefined || field === null) return { kind: 'untracked' }
  const parsed = parsePresenceField(field, parseMeta)
  return parsed === undefined ? { kind: 'malformed' } : { kind: 'tracked', ...parsed }
}

/** key → clientID → ref, for every meta of a state. */
function refsByClient<M extends object>(state: PresenceState<M>): Map<string, Map<string, string>> {
  const byKey = new Map<string, Map<string, string>>()
  for (const [key, presence] of state) {
    const byClient = new Map<string, string>()
    for (const { ref } of presence.metas) byClient.set(clientOfRef(ref), ref)
    byKey.set(key, byClient)
  }
  return byKey
}

/**
 * The presence state held in awareness `states` (e.g. `awareness.getStates()`), in snapshot order.
 * With `previous`, a meta whose client had another ref under the same key gets `refPrev` set to it.
 */
export function presenceStateFromAwareness<M extends object>(
  states: ReadonlyMap<number, unknown>,
  parseMeta: MetaGuard<M>,
  previous?: PresenceState<M>,
): AwarenessSnapshot<M> {
  const previousRefs = previous === undefined ? undefined : refsByClient(previous)
  const state: PresenceState<M> = new Map()
  let malformed = 0
  for (const [clientID, awarenessState] of states) {
    const entry = readAwarenessEntry(awarenessState, parseMeta)
    if (entry.kind === 'malformed') malformed += 1
    if (entry.kind !== 'tracked') continue
    const ref = presenceRef(clientID, entry.version)
    const refPrev = previousRefs?.get(entry.key)?.get(String(clientID))
    const meta: Meta<M> = refPrev === undefined || refPrev === ref ? { ...entry.meta, ref } : { ...entry.meta, ref, refPrev }
    const presence = state.get(entry.key)
    if (presence === undefined) state.set(entry.key, { metas: [meta] })
    else presence.metas.push(meta)
  }
  return { state, malformed }
}
