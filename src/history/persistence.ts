// Keeps each room's document in this browser's IndexedDB, so the history is there after a
// reload with nobody online, and what was written alone reaches peers later.
// Layout: one database per room, one object store `updates` of Yjs updates (Uint8Array, auto
// keys); when a load finds COMPACT_AFTER_UPDATES or more, they are merged into one, atomically.
import * as Y from 'yjs'
import type { DeferredUpdates } from './deferred-updates.js'

/** Prefix of the IndexedDB database of each room; the room's name (its hashed topic) follows it. */
export const ROOM_DATABASE_PREFIX = 'parley-room:'
/** Object store holding the updates. */
const STORE = 'updates'
/** Stored updates from which a load merges them into one. */
const COMPACT_AFTER_UPDATES = 500

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
   * the room works unstored then). A change made before the load is covered by the load's
   * write of the whole state.
   */
  whenStored(): Promise<void>
  /** Stops storing (the data stays). */
  destroy(): void
}

/**
 * Loads the room's stored history into `doc` and stores every later change (as `changes`
 * gathers them); null without IndexedDB (Node). Once loaded, the whole state is stored once
 * (it covers changes made while the database opened), replacing the stored records when
 * there are many of them.
 */
export function persistRoom(room: string, doc: Y.Doc, changes: DeferredUpdates): RoomStore | null {
  if (typeof indexedDB === 'undefined') return null
  const origin = Symbol('parley-store')
  let db: IDBDatabase | null = null
  /** The latest write's commit; IndexedDB commits a store's read-write transactions in order. */
  let lastWrite: Promise<void> = Promise.resolve()
  // Last: a change made here goes to the peers first, then to the disk once the page has drawn.
  const stopStoring = changes.on(
    (update, origins) => {
      const onlyLoaded = origins.size === 1 && origins.has(origin)
      if (onlyLoaded || db === null) return
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
      if (doc.isDestroyed) return opened.close()
      const updates = await request(opened.transaction(STORE).objectStore(STORE).getAll())
      // Not local (the last argument): like a peer's history, it is relayed after the page drew it.
      Y.transact(
        doc,
        () => {
          for (const update of updates) if (update instanceof Uint8Array) Y.applyUpdate(doc, update, origin)
        },
        origin,
        false,
      )
      const transaction = opened.transaction(STORE, 'readwrite')
      const store = transaction.objectStore(STORE)
      if (updates.length >= COMPACT_AFTER_UPDATES) store.clear()
      store.add(Y.encodeStateAsUpdate(doc))
      lastWrite = committed(transaction)
      db = opened
    })
    .catch(() => {
      // No storage here (private mode, quota, a blocked upgrade): the room works, unstored.
      stopStoring()
    })
  return {
    whenLoaded,
    // The store gets a batch once the page has drawn (deferred-updates.ts): wait for it first.
    whenStored: () => whenLoaded.then(() => changes.whenPassed()).then(() => lastWrite),
    destroy() {
      stopStoring()
      db?.close()
      db = null
    },
  }
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
