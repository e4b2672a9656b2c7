// Keeps each room's document in this browser's IndexedDB, so the history is there after a
// reload with nobody online, and what was written alone reaches peers later.
// Layout: one database per room, one object store `updates` of Yjs updates (Uint8Array, auto
// keys); when a load finds COMPACT_AFTER_UPDATES or more, they are merged into one, atomically.
// A history a link brought is stored as received, in one write as it arrives (`keepHistory`):
// the parts in which the room passes it on later, paced for the peers (deferred-updates.ts),
// would take seconds to reach the disk, and a tab closed meanwhile kept only some of it.
import * as Y from 'yjs'
import { RECORDS_PER_BATCH, type DeferredUpdates } from './deferred-updates.js'
import { MAX_MESSAGE_CHARS } from './schema.js'

/** Prefix of the IndexedDB database of each room; the room's name (its hashed topic) follows it. */
export const ROOM_DATABASE_PREFIX = 'parley-room:'
/** Object store holding the updates. */
const STORE = 'updates'
/** Stored updates from which a load merges them into one. */
const COMPACT_AFTER_UPDATES = 500
/**
 * Bytes a received history may take per record it added, to be stored as received: an honest one
 * takes far fewer (172 in the benchmarks' history, a message in a thousand at MAX_MESSAGE_CHARS).
 * A history of copies (what the document held) with a few new records would fill the disk with the
 * copies; past this, its new records are stored in the parts, as any change is.
 */
const MAX_HISTORY_BYTES_PER_RECORD = MAX_MESSAGE_CHARS

/** Per Yjs client, the clocks a received history added to the document: from (inclusive) to (exclusive). */
export type HistoryRecords = ReadonlyMap<number, readonly [from: number, to: number]>

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
  /**
   * Stores a history a link brought (`update`, as received and applied, which added `added`) at
   * once and whole, when it is more than one batch of changes holds; the parts of it passed on
   * later are not stored again. A smaller one is stored with the next batch, as any change is.
   */
  keepHistory(update: Uint8Array, added: HistoryRecords): void
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
  /** What histories stored as received hold, while the parts passing them on are under way. */
  const kept = new KeptRecords()
  /** Writes `update` in a transaction of its own, committed at once (it may be the last before the tab goes). */
  const write = (update: Uint8Array): void => {
    if (db === null) return
    const transaction = db.transaction(STORE, 'readwrite')
    transaction.objectStore(STORE).add(update)
    lastWrite = committed(transaction)
    transaction.commit?.() // not in browsers before 2021: they commit once the request is done
  }
  // Last: a change made here goes to the peers first, then to the disk once the page has drawn.
  const stopStoring = changes.on(
    (update, origins, more) => {
      const onlyLoaded = origins.size === 1 && origins.has(origin)
      // A part of a history stored as received (a part has no deletions: they go with the last).
      const keptAlready = more && kept.holds(update)
      // The run of parts ends here: what comes later is stored in its own batches.
      if (!more) kept.clear()
      if (!onlyLoaded && !keptAlready) write(update)
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
    keepHistory(update, added) {
      // Before the load, the load's write of the whole state covers it.
      if (db === null) return
      let records = 0
      for (const [from, to] of added.values()) records += to - from
      if (records <= RECORDS_PER_BATCH || update.byteLength > records * MAX_HISTORY_BYTES_PER_RECORD) return
      // A view into the message it came in is stored with that message's whole buffer: only its bytes.
      write(update.byteLength === update.buffer.byteLength ? update : update.slice())
      kept.add(added)
    },
    destroy() {
      stopStoring()
      db?.close()
      db = null
    },
  }
}

/** Per Yjs client, the clock ranges that histories stored as received hold. */
class KeptRecords {
  readonly #ranges = new Map<number, [from: number, to: number][]>()

  /** Adds each client's range, joined with those it meets (a history comes in parts, one after another). */
  add(added: HistoryRecords): void {
    for (const [client, [from, to]] of added) {
      let joined: [number, number] = [from, to]
      const apart: [number, number][] = []
      for (const range of this.#ranges.get(client) ?? []) {
        if (range[1] < joined[0] || joined[1] < range[0]) apart.push(range)
        else joined = [Math.min(range[0], joined[0]), Math.max(range[1], joined[1])]
      }
      this.#ranges.set(client, [...apart, joined])
    }
  }

  /** Whether every record of `update` is in a history stored as received. */
  holds(update: Uint8Array): boolean {
    if (this.#ranges.size === 0) return false
    const { from, to } = Y.parseUpdateMeta(update)
    for (const [client, end] of to) {
      const start = from.get(client) ?? 0
      const ranges = this.#ranges.get(client) ?? []
      if (!ranges.some(([keptFrom, keptTo]) => keptFrom <= start && end <= keptTo)) return false
    }
    return true
  }

  clear(): void {
    this.#ranges.clear()
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
