// A presence state plus its listeners: the thin emitter shell around presence-state.
// Like Phoenix's client Presence, but every callback may have many listeners, each removable.

import {
  diffStates,
  emptyState,
  isEmptyDiff,
  list,
  syncDiff,
  type Chooser,
  type OnJoin,
  type OnLeave,
  type Presence,
  type PresenceDiff,
  type PresenceState,
  type UserMeta,
} from './presence-state.js'

/** Called after every applied state or diff. */
export type OnSync = () => void

/** Called with every applied diff that has joins or leaves. */
export type OnDiff<M extends object = UserMeta> = (diff: PresenceDiff<M>) => void

/** Removes the listener it was returned for; calling it twice is harmless. */
export type Unsubscribe = () => void

type Entry<F> = { readonly listener: F }

function subscribe<F>(entries: Set<Entry<F>>, listener: F): Unsubscribe {
  // One entry per subscription, so the same function may be added twice and removed once per call.
  const entry: Entry<F> = { listener }
  entries.add(entry)
  return () => {
    entries.delete(entry)
  }
}

function dispatch<A extends unknown[]>(entries: ReadonlySet<Entry<(...args: A) => void>>, ...args: A): void {
  for (const { listener } of [...entries]) {
    try {
      listener(...args)
    } catch (error) {
      // Rethrown asynchronously: one failing listener must not starve the others or break the caller.
      queueMicrotask(() => {
        throw error
      })
    }
  }
}

/** Holds one presence state, applies states and diffs to it, and notifies listeners after each change. */
export class PresenceStore<M extends object = UserMeta> {
  #state: PresenceState<M> = emptyState()
  readonly #joinListeners = new Set<Entry<OnJoin<M>>>()
  readonly #leaveListeners = new Set<Entry<OnLeave<M>>>()
  readonly #syncListeners = new Set<Entry<OnSync>>()
  readonly #diffListeners = new Set<Entry<OnDiff<M>>>()

  /** The current state (immutable: each change replaces it). */
  get state(): PresenceState<M> {
    return this.#state
  }

  /** Replaces the state with `next`, firing joins and leaves for the difference; returns the diff. */
  applyState(next: PresenceState<M>): PresenceDiff<M> {
    const diff = diffStates(this.#state, next)
    this.applyDiff(diff)
    return diff
  }

  /** Applies a diff, then fires onJoin/onLeave per key, onDiff (if not empty) and onSync, in that order. */
  applyDiff(diff: PresenceDiff<M>): void {
    const events: (() => void)[] = []
    // The state is committed before any listener runs, so a throwing listener cannot leave it half-applied.
    this.#state = syncDiff(
      this.#state,
      diff,
      (key, current, joined) => events.push(() => dispatch(this.#joinListeners, key, current, joined)),
      (key, current, left) => events.push(() => dispatch(this.#leaveListeners, key, current, left)),
    )
    for (const event of events) event()
    if (!isEmptyDiff(diff)) dispatch(this.#diffListeners, diff)
    dispatch(this.#syncListeners)
  }

  /** Every presence (or its `chooser` result) in first-join order. */
  list(): Presence<M>[]
  list<T>(chooser: Chooser<M, T>): T[]
  list<T>(chooser?: Chooser<M, T>): (T | Presence<M>)[] {
    return chooser === undefined ? list(this.#state) : list(this.#state, chooser)
  }

  /** The presence of one key, if it has any metas. */
  getByKey(key: string): Presence<M> | undefined {
    return this.#state.get(key)
  }

  /** Listens for joins; returns the unsubscribe function. */
  onJoin(listener: OnJoin<M>): Unsubscribe {
    return subscribe(this.#joinListeners, listener)
  }

  /** Listens for leaves; returns the unsubscribe function. */
  onLeave(listener: OnLeave<M>): Unsubscribe {
    return subscribe(this.#leaveListeners, listener)
  }

  /** Listens for every applied state or diff; returns the unsubscribe function. */
  onSync(listener: OnSync): Unsubscribe {
    return subscribe(this.#syncListeners, listener)
  }

  /** Listens for every non-empty applied diff; returns the unsubscribe function. */
  onDiff(listener: OnDiff<M>): Unsubscribe {
    return subscribe(this.#diffListeners, listener)
  }

  /** Removes every listener. */
  clearListeners(): void {
    this.#joinListeners.clear()
    this.#leaveListeners.clear()
    this.#syncListeners.clear()
    this.#diffListeners.clear()
  }
}
