// Phoenix's presence state, kept exactly: sync a full state or a diff of joins and leaves.
// Pure functions over Map-based data (keys like `__proto__` are safe); inputs are never mutated.

/** The fields every meta carries: `ref` names one version of one tab's meta, `refPrev` the version it replaced. */
export type MetaRefs = { ref: string; refPrev?: string }

/** The default user meta type: any JSON-like object. */
export type UserMeta = Record<string, unknown>

/** One tab or device of a key: the user's meta plus its refs. */
export type Meta<M extends object = UserMeta> = M & MetaRefs

/** Every tab or device of one key (one user). */
export type Presence<M extends object = UserMeta> = { metas: Meta<M>[] }

/** Every key's presence, in the order the keys first joined. Treat it as immutable: results share unchanged presences with their inputs. */
export type PresenceState<M extends object = UserMeta> = Map<string, Presence<M>>

/** The joins and leaves that lead from one state to another. */
export type PresenceDiff<M extends object = UserMeta> = {
  joins: PresenceState<M>
  leaves: PresenceState<M>
}

/** Called once per joined key: the key's presence before the join (if any) and the joined metas only. */
export type OnJoin<M extends object = UserMeta> = (key: string, current: Presence<M> | undefined, joined: Presence<M>) => void

/** Called once per left known key: the key's presence after removal (possibly empty) and the left metas only. */
export type OnLeave<M extends object = UserMeta> = (key: string, current: Presence<M>, left: Presence<M>) => void

/** Maps one key and its presence to a list entry. */
export type Chooser<M extends object, T> = (key: string, presence: Presence<M>) => T

function copyPresence<M extends object>(presence: Presence<M>): Presence<M> {
  return { metas: [...presence.metas] }
}

function refsOf<M extends object>(presence: Presence<M>): Set<string> {
  return new Set(presence.metas.map((meta) => meta.ref))
}

/** An empty state. */
export function emptyState<M extends object = UserMeta>(): PresenceState<M> {
  return new Map()
}

/** The joins and leaves between two states, by ref-set difference per key (Phoenix's syncState, first half). */
export function diffStates<M extends object>(current: PresenceState<M>, next: PresenceState<M>): PresenceDiff<M> {
  const joins: PresenceState<M> = new Map()
  const leaves: PresenceState<M> = new Map()
  for (const [key, presence] of current) {
    if (!next.has(key)) leaves.set(key, copyPresence(presence))
  }
  for (const [key, nextPresence] of next) {
    const currentPresence = current.get(key)
    if (currentPresence === undefined) {
      joins.set(key, copyPresence(nextPresence))
      continue
    }
    const nextRefs = refsOf(nextPresence)
    const currentRefs = refsOf(currentPresence)
    const joined = nextPresence.metas.filter((meta) => !currentRefs.has(meta.ref))
    const left = currentPresence.metas.filter((meta) => !nextRefs.has(meta.ref))
    if (joined.length > 0) joins.set(key, { metas: joined })
    if (left.length > 0) leaves.set(key, { metas: left })
  }
  return { joins, leaves }
}

/** True when a diff has neither joins nor leaves. */
export function isEmptyDiff<M extends object>(diff: PresenceDiff<M>): boolean {
  return diff.joins.size === 0 && diff.leaves.size === 0
}

/** Syncs `current` to `next`: computes the joins and leaves, then applies them with syncDiff. */
export function syncState<M extends object>(
  current: PresenceState<M>,
  next: PresenceState<M>,
  onJoin?: OnJoin<M>,
  onLeave?: OnLeave<M>,
): PresenceState<M> {
  return syncDiff(current, diffStates(current, next), onJoin, onLeave)
}

/** Applies a diff: all joins first (existing metas first, same ref replaced), then all leaves (unknown keys ignored). */
export function syncDiff<M extends object>(
  state: PresenceState<M>,
  diff: PresenceDiff<M>,
  onJoin?: OnJoin<M>,
  onLeave?: OnLeave<M>,
): PresenceState<M> {
  const result: PresenceState<M> = new Map(state)
  for (const [key, joined] of diff.joins) {
    const current = result.get(key)
    const joinedRefs = refsOf(joined)
    const kept = current === undefined ? [] : current.metas.filter((meta) => !joinedRefs.has(meta.ref))
    result.set(key, { metas: [...kept, ...joined.metas] })
    onJoin?.(key, current === undefined ? undefined : copyPresence(current), copyPresence(joined))
  }
  for (const [key, left] of diff.leaves) {
    const current = result.get(key)
    if (current === undefined) continue
    const leftRefs = refsOf(left)
    const remaining: Presence<M> = { metas: current.metas.filter((meta) => !leftRefs.has(meta.ref)) }
    if (remaining.metas.length === 0) result.delete(key)
    else result.set(key, remaining)
    onLeave?.(key, copyPresence(remaining), copyPresence(left))
  }
  return result
}

/** Every presence in first-join order. */
export function list<M extends object>(state: PresenceState<M>): Presence<M>[]
/** Every presence mapped through `chooser`, in first-join order. */
export function list<M extends object, T>(state: PresenceState<M>, chooser: Chooser<M, T>): T[]
export function list<M extends object, T>(state: PresenceState<M>, chooser?: Chooser<M, T>): (T | Presence<M>)[] {
  const entries: (T | Presence<M>)[] = []
  for (const [key, presence] of state) entries.push(chooser === undefined ? presence : chooser(key, presence))
  return entries
}
