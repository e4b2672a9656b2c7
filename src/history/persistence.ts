// Keeps each room's document in this browser's IndexedDB, so the history is there after a
// reload with nobody online, and what was written alone reaches peers later.
// Layout: one database per room, one object store `updates` of Yjs updates (Uint8Array, auto
// keys). A load applies them all; when it found COMPACT_AFTER_UPDATES or more, they are replaced
// by the document's state once the page is quiet, encoded a few records an idle callback (a
// 100,000-message state is seconds of CPU in one go), and swapped in one transaction.
// A history a link brought is stored as received, in one write as it arrives (`keepHistory`):
// the parts in which the room passes it on later, paced for the peers (deferred-updates.ts),
// would take seconds to reach the disk, and a tab closed meanwhile kept only some of it.
import * as Y from 'yjs'
import { whenIdle } from '../tasks/index.js'
import { changedDocument, clientClocks, clocksAddedSince, StepBudget, stateUpdateSteps } from '../updates/index.js'
import { RECORDS_PER_BATCH, type DeferredUpdates } from './deferred-updates.js'

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
/**
 * Bytes a received history may take per record it added, to be stored as received: an honest one
 * takes far fewer (171 to 307 B a record in the benchmarks' histories, a message in a thousand at
 * MAX_MESSAGE_CHARS (schema.ts); a room whose messages average some 900 characters would pass it). A history
 * of copies (what the document held) with a few new records would put the copies on disk, until a
 * load merges the stored updates: up to this less a new record's own bytes, for each. Past it,
 * its new records are stored in the parts, as any change is, and the copies nowhere.
 */
export const MAX_HISTORY_BYTES_PER_RECORD = 1024

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
   * the room works unstored then). A change passed on before the load ended is written just
   * after it.
   */
  whenStored(): Promise<void>
  /** Resolves once the merge of the stored updates a load started is committed (at once if none was started). */
  whenCompacted(): Promise<void>
  /**
   * Stores a history a link brought (`update`, as received and applied, which added `added`) at
   * once and whole, when it is more than one batch of changes holds; the parts of it passed on
   * later are not stored again. A smaller one is stored with the next batch, as any change is.
   */
  keepHistory(update: Uint8Array, added: HistoryRecords): void
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
  /** What histories stored as received hold, while the parts passing them on are under way. */
  const kept = new KeptRecords()
  /**
   * Writes `update` in a transaction of its own, committed at once (it may be the last before the
   * tab goes); before the load, keeps it for the load to write.
   */
  const write = (update: Uint8Array): void => {
    if (db === null) {
      early.push(update)
      return
    }
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
      if (doc.isDestroyed || destroyed) return opened.close()
      const reading = opened.transaction(STORE).objectStore(STORE)
      const [updates, keys] = await Promise.all([request(reading.getAll()), request(reading.getAllKeys())])
      // Not local (the last argument): like a peer's history, it is relayed after the page drew it.
      const before = clientClocks(doc)
      Y.transact(
        doc,
        () => {
          for (const update of updates) if (update instanceof Uint8Array) Y.applyUpdate(doc, update, origin)
        },
        origin,
        false,
      )
      // Relayed in paced parts; a change made meanwhile joins their origins, and the parts must
      // still not be stored again (as a history stored as received).
      kept.add(clocksAddedSince(doc, before))
      if (early.length > 0) {
        const transaction = opened.transaction(STORE, 'readwrite')
        for (const update of early.splice(0)) transaction.objectStore(STORE).add(update)
        lastWrite = committed(transaction)
        transaction.commit?.()
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
    keepHistory(update, added) {
      if (destroyed) return
      let records = 0
      for (const [from, to] of added.values()) records += to - from
      if (records <= RECORDS_PER_BATCH || update.byteLength > records * MAX_HISTORY_BYTES_PER_RECORD) return
      // A view into the message it came in is stored with that message's whole buffer: only its bytes.
      write(update.byteLength === update.buffer.byteLength ? update : update.slice())
      kept.add(added)
    },
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
          whenIdle(step, COMPACT_IDLE_TIMEOUT_MS)
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
