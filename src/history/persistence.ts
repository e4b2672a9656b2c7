// Keeps each room's document in this browser's IndexedDB, so the history is there after a
// reload with nobody online, and what was written alone reaches peers later.
// Layout: one database per room, one object store `updates` of Yjs updates (Uint8Array, auto
// keys). A load applies them all; when it found COMPACT_AFTER_UPDATES or more, they are replaced
// by the document's state once the page is quiet, encoded a few records an idle callback (a
// 100,000-message state is seconds of CPU in one go), and swapped in one transaction.
import * as Y from 'yjs'
import { changedDocument, StepBudget, stateUpdateSteps } from '../updates/index.js'
import type { DeferredUpdates } from './deferred-updates.js'

/** Prefix of the IndexedDB database of each room; the room's name (its hashed topic) follows it. */
export const ROOM_DATABASE_PREFIX = 'parley-room:'
/** Object store holding the updates. */
const STORE = 'updates'
/** Stored updates from which a load merges them into one. */
export const COMPACT_AFTER_UPDATES = 500
/** How long the document must have been unchanged before the merge starts (and again after a change stopped it), in ms. */
export const COMPACT_QUIET_MS = 2_000
/** How long a step of the merge may wait for an idle moment, in ms. */
const COMPACT_IDLE_TIMEOUT_MS = 1_000

/** The IndexedDB database name holding a room's document. */
export function roomDatabaseName(room: string): string {
  return ROOM_DATABASE_PREFIX + room
}

/** A room's document tied to its database. */
export interface RoomStore {
  /** Resolves once the stored history has been loaded into the document (or storage turned out to be unavailable). */
  readonly whenLoaded: Promise<void>
  /**
   * Resolves once every change passed on so far is committed to IndexedDB (or failed to be:
   * the room works unstored then). A change passed on before the load ended is written just
   * after it.
   */
  whenStored(): Promise<void>
  /** Resolves once the merge of the stored updates a load started is committed (at once if none was started). */
  whenCompacted(): Promise<void>
  /** Stops storing (the data stays). */
  destroy(): void
}

/** When storage's merge runs: stored updates from which a load merges them, and the quiet it waits for (tests shorten it). */
export interface CompactOptions {
  compactAfterUpdates?: number
  quietMs?: number
}

/**
 * Loads the room's stored history into `doc` and stores every later change (as `changes`
 * gathers them); null without IndexedDB (Node). Changes passed on while the database opens are
 * written once it is loaded; nothing stored is written again (each load used to add the whole
 * state once more: six copies of a history after five reloads, each applied on every load).
 */
export function persistRoom(room: string, doc: Y.Doc, changes: DeferredUpdates, options: CompactOptions = {}): RoomStore | null {
  if (typeof indexedDB === 'undefined') return null
  const origin = Symbol('parley-store')
  let db: IDBDatabase | null = null
  let destroyed = false
  /** Changes passed on before the database was loaded: written after the load. A document given with content has that first. */
  const early: Uint8Array[] = doc.store.clients.size > 0 ? [Y.encodeStateAsUpdate(doc)] : []
  /** The latest write's commit; IndexedDB commits a store's read-write transactions in order. */
  let lastWrite: Promise<void> = Promise.resolve()
  let compacted: Promise<void> = Promise.resolve()
  // Last: a change made here goes to the peers first, then to the disk once the page has drawn.
  const stopStoring = changes.on(
    (update, origins) => {
      const onlyLoaded = origins.size === 1 && origins.has(origin)
      if (onlyLoaded) return
      if (db === null) {
        early.push(update)
        return
      }
      const transaction = db.transaction(STORE, 'readwrite')
      transaction.objectStore(STORE).add(update)
      lastWrite = committed(transaction)
    },
    { last: true },
  )
  const opening = indexedDB.open(roomDatabaseName(room))
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { autoIncrement: true })
  const whenLoaded = request(opening)
    .then(async (opened) => {
      if (doc.isDestroyed || destroyed) return opened.close()
      const reading = opened.transaction(STORE).objectStore(STORE)
      const [updates, keys] = await Promise.all([request(reading.getAll()), request(reading.getAllKeys())])
      // Not local (the last argument): like a peer's history, it is relayed after the page drew it.
      Y.transact(
        doc,
        () => {
          for (const update of updates) if (update instanceof Uint8Array) Y.applyUpdate(doc, update, origin)
        },
        origin,
        false,
      )
      if (early.length > 0) {
        const transaction = opened.transaction(STORE, 'readwrite')
        for (const update of early.splice(0)) transaction.objectStore(STORE).add(update)
        lastWrite = committed(transaction)
      }
      db = opened
      const lastLoaded = keys[keys.length - 1]
      if (updates.length >= (options.compactAfterUpdates ?? COMPACT_AFTER_UPDATES) && lastLoaded !== undefined)
        compacted = compactWhenQuiet(doc, options.quietMs ?? COMPACT_QUIET_MS, () => db, lastLoaded)
    })
    .catch(() => {
      // No storage here (private mode, quota, a blocked upgrade): the room works, unstored.
      stopStoring()
    })
  return {
    whenLoaded,
    // The store gets a batch once the page has drawn (deferred-updates.ts): wait for it first.
    whenStored: () => whenLoaded.then(() => changes.whenPassed()).then(() => lastWrite),
    whenCompacted: () => whenLoaded.then(() => compacted),
    destroy() {
      destroyed = true
      stopStoring()
      db?.close()
      db = null
    },
  }
}

/**
 * Replaces the stored updates up to key `lastLoaded` (all a load applied) by the document's
 * state: once `doc` has been unchanged for `quietMs`, encoded a step an idle callback, started
 * over after a change; then the old updates deleted and the state added in one transaction, so a
 * tab closed at any moment leaves either the old updates or the merged state. Updates stored
 * since the load have later keys and stay. Resolves when committed, or when `database()` is gone
 * (the room closed: the next load tries again).
 */
function compactWhenQuiet(doc: Y.Doc, quietMs: number, database: () => IDBDatabase | null, lastLoaded: IDBValidKey): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | null = null
    /** Bumped by every change: a merge under way gives up when it moved. */
    let changes = 0
    const stop = (): void => {
      if (timer !== null) clearTimeout(timer)
      doc.off('afterTransaction', onTransaction)
      resolve()
    }
    const waitForQuiet = (): void => {
      if (timer !== null) clearTimeout(timer)
      timer = setTimeout(merge, quietMs)
    }
    const onTransaction = (transaction: Y.Transaction): void => {
      if (!changedDocument(transaction)) return
      changes++
      waitForQuiet()
    }
    const merge = (): void => {
      timer = null
      if (database() === null || doc.isDestroyed) {
        stop()
        return
      }
      const at = changes
      const steps = stateUpdateSteps(doc, new Map(), new StepBudget())
      const step = (): void => {
        const db = database()
        if (db === null || doc.isDestroyed) {
          stop()
          return
        }
        if (changes !== at) return // a change: its quiet starts the merge over
        const next = steps.next()
        if (next.done !== true) {
          whenIdle(step)
          return
        }
        const transaction = db.transaction(STORE, 'readwrite')
        const store = transaction.objectStore(STORE)
        store.delete(IDBKeyRange.upperBound(lastLoaded))
        store.add(next.value)
        void committed(transaction).then(stop)
      }
      step()
    }
    doc.on('afterTransaction', onTransaction)
    waitForQuiet()
  })
}

/** Runs `task` in an idle moment of the page, or after COMPACT_IDLE_TIMEOUT_MS at the latest. */
function whenIdle(task: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => task(), { timeout: COMPACT_IDLE_TIMEOUT_MS })
  else setTimeout(task, 0)
}

/** Resolves when `transaction` commits, and also when it fails (the room then works unstored). */
function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve) => {
    transaction.oncomplete = () => resolve()
    transaction.onerror = () => resolve()
    transaction.onabort = () => resolve()
  })
}

/** An IDBRequest as a promise. */
function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}
