// A room's presence, derived from y-protocols awareness: track this tab, observe everyone.
// Thin shell: each awareness update diffs a full snapshot (awareness-snapshot) into a PresenceStore.

import type { Awareness } from 'y-protocols/awareness'
import { equalityDeep } from 'lib0/function'
import { presenceStateFromAwareness } from './awareness-snapshot.js'
import {
  anyObjectMeta,
  isPlainObject,
  parsePresenceField,
  presenceRef,
  PRESENCE_FIELD,
  type MetaGuard,
  type PresenceField,
} from './presence-field.js'
import {
  diffStates,
  isEmptyDiff,
  type Chooser,
  type OnJoin,
  type OnLeave,
  type Presence,
  type PresenceState,
  type UserMeta,
} from './presence-state.js'
import { PresenceStore, type OnDiff, type OnSync, type Unsubscribe } from './presence-store.js'

/**
 * Origins of a removal of this tab's own awareness state that mean "leave": presence does not
 * re-assert after them. 'local' is `setLocalState(null)`; the others are y-webrtc's.
 */
export const DEFAULT_LEAVE_ORIGINS: readonly unknown[] = ['local', 'window unload', 'disconnect']

/** Options of a presence. */
export type PresenceOptions<M extends object> = {
  /** Validates every meta, local and remote. */
  parseMeta: MetaGuard<M>
  /** Removal origins that mean "this tab left" (default DEFAULT_LEAVE_ORIGINS). */
  leaveOrigins?: Iterable<unknown>
}

/** A new meta, or a function of the previous meta whose result is merged into it. */
export type MetaUpdate<M extends object> = M | ((prev: M) => Partial<M>)

function isUpdater<M extends object>(update: MetaUpdate<M>): update is (prev: M) => Partial<M> {
  return typeof update === 'function'
}

/** The JSON round trip awareness applies on the wire, applied locally too, so every peer sees the same meta. */
function wireCopy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown
}

function removedClients(change: unknown): readonly unknown[] {
  return isPlainObject(change) && Array.isArray(change.removed) ? change.removed : []
}

/** How far above this tab's version another writer's version may be for this tab to take a version above it. */
const MAX_OUTRANKED_LEAD = 8

/** One room's presence over one awareness instance (one awareness client = one tab = one meta). */
export class AwarenessPresence<M extends object = UserMeta> {
  readonly #awareness: Awareness
  readonly #parseMeta: MetaGuard<M>
  readonly #leaveOrigins: ReadonlySet<unknown>
  readonly #store = new PresenceStore<M>()
  #local: PresenceField<M> | undefined
  #version = 0
  #malformed = 0
  #destroyed = false

  constructor(awareness: Awareness, options: PresenceOptions<M>) {
    this.#awareness = awareness
    this.#parseMeta = options.parseMeta
    this.#leaveOrigins = new Set(options.leaveOrigins ?? DEFAULT_LEAVE_ORIGINS)
    // 'update' fires for every change and every heartbeat; snapshots make heartbeats diff to nothing.
    awareness.on('update', this.#onUpdate)
    awareness.on('destroy', this.#onDestroy)
    this.#sync()
  }

  /** This tab's awareness client ID. */
  get clientID(): number {
    return this.#awareness.clientID
  }

  /** The key this tab tracks, if any. */
  get key(): string | undefined {
    return this.#local?.key
  }

  /** This tab's current ref, if tracked. */
  get ref(): string | undefined {
    return this.#local === undefined ? undefined : presenceRef(this.clientID, this.#local.version)
  }

  /** This tab's current meta (without refs), if tracked. */
  get meta(): M | undefined {
    return this.#local?.meta
  }

  /** How many awareness states the last snapshot skipped as malformed. */
  get malformed(): number {
    return this.#malformed
  }

  /** The current presence state (immutable: each change replaces it). */
  get state(): PresenceState<M> {
    return this.#store.state
  }

  /** Joins (or re-keys) this tab with `meta`; returns its ref. Throws if key or meta is invalid. */
  track(key: string, meta: M): string {
    if (this.#destroyed) throw new Error('presence: track() after destroy()')
    const checked = parsePresenceField({ key, meta: wireCopy(meta), version: this.#version }, this.#parseMeta)
    if (checked === undefined) throw new TypeError('presence: invalid key or meta')
    const local = this.#local
    if (local === undefined || local.key !== checked.key || !equalityDeep(local.meta, checked.meta)) {
      this.#version += 1
      this.#local = { key: checked.key, meta: checked.meta, version: this.#version }
    }
    this.reassert()
    return presenceRef(this.clientID, this.#version)
  }

  /** Replaces this tab's meta, or merges the result of `update(prev)` into it; returns the (new) ref. */
  update(update: MetaUpdate<M>): string {
    const local = this.#local
    if (local === undefined) throw new Error('presence: update() before track()')
    const meta: M = isUpdater(update) ? { ...local.meta, ...update(local.meta) } : update
    return this.track(local.key, meta)
  }

  /** Leaves explicitly: clears this tab's presence field, so every peer sees one leave. */
  untrack(): void {
    if (this.#local === undefined) return
    this.#local = undefined
    const state = this.#awareness.getLocalState()
    const field: unknown = state?.[PRESENCE_FIELD]
    if (state !== null && field !== undefined && field !== null) {
      this.#awareness.setLocalState({ ...state, [PRESENCE_FIELD]: null })
    }
  }

  /** Writes the tracked field into the local awareness state if it is missing (e.g. after y-webrtc connect()); idempotent. */
  reassert(): boolean {
    const local = this.#local
    if (local === undefined || this.#destroyed) return false
    const state = this.#awareness.getLocalState()
    if (state !== null && equalityDeep(state[PRESENCE_FIELD], local)) return false
    this.#awareness.setLocalState({ ...(state ?? {}), [PRESENCE_FIELD]: local })
    return true
  }

  /** Every presence (or its `chooser` result) in first-join order. */
  list(): Presence<M>[]
  list<T>(chooser: Chooser<M, T>): T[]
  list<T>(chooser?: Chooser<M, T>): (T | Presence<M>)[] {
    return chooser === undefined ? this.#store.list() : this.#store.list(chooser)
  }

  /** The presence of one key, if it has any metas. */
  getByKey(key: string): Presence<M> | undefined {
    return this.#store.getByKey(key)
  }

  /** Listens for joins (an update is a leave plus a join); returns the unsubscribe function. */
  onJoin(listener: OnJoin<M>): Unsubscribe {
    return this.#store.onJoin(listener)
  }

  /** Listens for leaves; returns the unsubscribe function. */
  onLeave(listener: OnLeave<M>): Unsubscribe {
    return this.#store.onLeave(listener)
  }

  /** Listens for every change of the presence state; returns the unsubscribe function. */
  onSync(listener: OnSync): Unsubscribe {
    return this.#store.onSync(listener)
  }

  /** Listens for every diff (joins and leaves together); returns the unsubscribe function. */
  onDiff(listener: OnDiff<M>): Unsubscribe {
    return this.#store.onDiff(listener)
  }

  /** Leaves (untrack), stops observing awareness and drops every listener. */
  destroy(): void {
    if (this.#destroyed) return
    this.untrack()
    this.#detach()
  }

  readonly #onUpdate = (change: unknown, origin: unknown): void => {
    if (this.#mustReassert(change, origin)) {
      this.#outrank()
      this.reassert()
    }
    this.#sync()
  }

  /**
   * Another writer put a field of its own for this tab, at this tab's version or above (a sibling
   * tab publishing this tab's goodbye, see src/room/sibling-goodbyes.ts): the field re-asserted,
   * and every one after it, gets a version above that one. With the same ref, peers would keep
   * the other writer's meta, as a ref names one meta. Only a little above: versions are not
   * signed, and a peer that wrote a huge one would otherwise run this tab's out of safe integers.
   */
  #outrank(): void {
    const local = this.#local
    const field: unknown = this.#awareness.getLocalState()?.[PRESENCE_FIELD]
    if (local === undefined || !isPlainObject(field)) return
    const { version } = field
    if (typeof version !== 'number' || version < local.version || version > local.version + MAX_OUTRANKED_LEAD) return
    this.#version = Math.max(this.#version, version) + 1
    this.#local = { ...local, version: this.#version }
  }

  readonly #onDestroy = (): void => {
    // The awareness is going away (its doc was destroyed): stop without writing to it.
    this.#local = undefined
    this.#detach()
  }

  /** A tracked tab re-asserts when its field was overwritten, or its state removed by anything but a leave. */
  #mustReassert(change: unknown, origin: unknown): boolean {
    const local = this.#local
    if (local === undefined) return false
    const state = this.#awareness.getLocalState()
    if (state !== null) return !equalityDeep(state[PRESENCE_FIELD], local)
    return removedClients(change).includes(this.clientID) && !this.#leaveOrigins.has(origin)
  }

  #sync(): void {
    const current = this.#store.state
    const snapshot = presenceStateFromAwareness(this.#awareness.getStates(), this.#parseMeta, current)
    this.#malformed = snapshot.malformed
    const diff = diffStates(current, snapshot.state)
    if (!isEmptyDiff(diff)) this.#store.applyDiff(diff)
  }

  #detach(): void {
    this.#destroyed = true
    this.#awareness.off('update', this.#onUpdate)
    this.#awareness.off('destroy', this.#onDestroy)
    this.#store.clearListeners()
  }
}

/** A presence over `awareness` whose metas are any plain objects. */
export function createPresence(awareness: Awareness, options?: Partial<PresenceOptions<UserMeta>>): AwarenessPresence<UserMeta>
/** A presence over `awareness` whose metas pass `options.parseMeta`. */
export function createPresence<M extends object>(awareness: Awareness, options: PresenceOptions<M>): AwarenessPresence<M>
export function createPresence<M extends object>(
  awareness: Awareness,
  options?: Partial<PresenceOptions<M>>,
): AwarenessPresence<M> | AwarenessPresence<UserMeta> {
  if (options?.parseMeta !== undefined) return new AwarenessPresence<M>(awareness, { ...options, parseMeta: options.parseMeta })
  return new AwarenessPresence<UserMeta>(awareness, { ...options, parseMeta: anyObjectMeta })
}
