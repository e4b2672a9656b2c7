// Keeps each room's document in this browser's IndexedDB, so the history is there after a
// reload with nobody online, and what was written alone reaches peers later.
// Layout: one database per room, one object store `updates` of Yjs updates (Uint8Array, auto
// keys). A load applies them in order, about STORED_PART_BYTES a task (a 100,000-message history
// applied in one task froze the page for 2 s); when it found COMPACT_AFTER_UPDATES or more, or one
// over COMPACT_ABOVE_BYTES, they are replaced by the document's state once the page is quiet,
// encoded a few records an idle callback (a 100,000-message state is seconds of CPU in one go) as
// parts of about STORED_PART_BYTES cut along the messages' order (each integrates as it is
// applied: updates/array-parts.ts), and swapped in one transaction.
// A history a link brought is stored as received, in one write as it arrives (`keepHistory`):
// the parts in which the room passes it on later, paced for the peers (deferred-updates.ts),
// would take seconds to reach the disk, and a tab closed meanwhile kept only some of it.
import * as Y from 'yjs'
import { nextTask, whenIdle } from '../tasks/index.js'
import {
  boundedPartSteps,
  changedDocument,
  clientClocks,
  clocksAddedSince,
  isEmptyUpdate,
  StepBudget,
  type ClockRange,
  updateClockRanges,
} from '../updates/index.js'
import { RECORDS_PER_BATCH, type DeferredUpdates } from './deferred-updates.js'
import { messagesOf } from './schema.js'

/** Prefix of the IndexedDB database of each room; the room's name (its hashed topic) follows it. */
export const ROOM_DATABASE_PREFIX = 'parley-room:'
/** Object store holding the updates. */
const STORE = 'updates'
/** Stored updates from which a load merges them into one. */
export const COMPACT_AFTER_UPDATES = 500
/**
 * A stored update over this many bytes makes a load merge the stored updates too: applying it is
 * one task (a history a link brought is stored as received: a 100,000-message join leaves one of
 * 25 MB; a merge before this session wrote the whole state as one update).
 */
export const COMPACT_ABOVE_BYTES = 1024 * 1024
/**
 * Bytes a part of the merged state holds, about (a record more): 1,800 of the benchmarks'
 * messages, about 40 ms to apply on a quiet machine.
 */
export const STORED_PART_BYTES = 512 * 1024
/** How long the document must have been unchanged before the merge starts (and again after a change stopped it), in ms. */
export const COMPACT_QUIET_MS = 2_000
/** Another step of the merge runs in the same idle moment while more than this is left of it, in ms. */
const IDLE_STEP_MARGIN_MS = 8
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
  /**
   * Up to which clock the records of `client` from `from` on are stored already as a history
   * (loaded, or stored as received), as the parts passing it on may still be under way; `from` when not.
   */
  heldUntil(client: number, from: number): number
  /** Stops storing (the data stays). */
  destroy(): void
}

/** When storage's merge runs and what it writes: when a load merges, the quiet it waits for, the parts' size (tests shorten them). */
export interface CompactOptions {
  compactAfterUpdates?: number
  /** A stored update over this many bytes makes a load merge (COMPACT_ABOVE_BYTES). */
  compactAboveBytes?: number
  quietMs?: number
  /** Bytes a part of the merged state holds, about, and a load's step at most (STORED_PART_BYTES). */
  partBytes?: number
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
  /**
   * What the store holds of histories stored as received and of what it loaded, for as long as it
   * is open (nothing deletes a stored record: a merge writes it again): the parts passing them on
   * are not written again. Never cleared: a run's end reaches the store after the page drew, and
   * clearing there wiped what a history that came meanwhile had noted, so the parts passing that
   * one on were all written again (a 50,000-message join: 12 of its 14 MB stored twice).
   */
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
    const adding = transaction.objectStore(STORE).add(update)
    adding.onsuccess = () => written.push(adding.result)
    lastWrite = committed(transaction)
    transaction.commit?.() // not in browsers before 2021: they commit once the request is done
  }
  /** The keys of the updates this page wrote (their records are in the document): a merge may delete them. */
  const written: IDBValidKey[] = []
  /** The last key the load applied, once loaded (undefined: nothing was stored). */
  let lastLoaded: IDBValidKey | undefined
  let merging = false
  /** Merges what this page loaded and wrote into parts, once quiet (at most one merge at a time). */
  const compact = (): void => {
    if (merging) return
    merging = true
    const merged = (): Merged => ({ lastLoaded, written: written.splice(0), added: (key) => written.push(key) })
    compacted = compactWhenQuiet(doc, options.quietMs ?? COMPACT_QUIET_MS, () => db, merged, partBytes).then(() => {
      merging = false
    })
  }
  const partBytes = options.partBytes ?? STORED_PART_BYTES
  const compactAboveBytes = options.compactAboveBytes ?? COMPACT_ABOVE_BYTES
  // Last: a change made here goes to the peers first, then to the disk once the page has drawn.
  const stopStoring = changes.on(
    (update, origins, more) => {
      const onlyLoaded = origins.size === 1 && origins.has(origin)
      // A part of a history stored as received (a part has no deletions: they go with the last).
      const keptAlready = more && kept.holds(update)
      // A batch of nothing: a run whose parts nobody wanted (the store held them, no link lacked
      // them) ends with one; stored, it was a row that every later load read and applied.
      if (!onlyLoaded && !keptAlready && !isEmptyUpdate(update)) write(update)
    },
    // A part of a history stored as received is not encoded for the store (deferred-updates.ts).
    { last: true, wants: (ranges) => !kept.holdsRanges(ranges) },
  )
  const opening = indexedDB.open(roomDatabaseName(room))
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { autoIncrement: true })
  const whenLoaded = request(opening)
    .then(async (opened) => {
      if (doc.isDestroyed || destroyed) return opened.close()
      const reading = opened.transaction(STORE).objectStore(STORE)
      const [updates, keys] = await Promise.all([request(reading.getAll()), request(reading.getAllKeys())])
      // From here on, changes are written as they come: what is stored is never deleted but by a
      // merge, so a tab closed while the load's steps run keeps it all.
      db = opened
      if (early.length > 0) {
        const transaction = opened.transaction(STORE, 'readwrite')
        for (const update of early.splice(0)) transaction.objectStore(STORE).add(update)
        lastWrite = committed(transaction)
        transaction.commit?.()
      }
      let largest = 0
      for (let next = 0; next < updates.length; ) {
        if (next > 0) await new Promise<void>((resolve) => nextTask(resolve))
        if (doc.isDestroyed || destroyed) return
        // A step: stored updates in order, a part's bytes at most (one update at least), in one transaction. Not local
        // (the last argument): like a peer's history, it is relayed after the page drew it.
        const before = clientClocks(doc)
        let bytes = 0
        Y.transact(
          doc,
          () => {
            for (; next < updates.length; next++) {
              const update = updates[next]
              if (!(update instanceof Uint8Array)) continue
              if (bytes > 0 && bytes + update.byteLength > partBytes) break
              bytes += update.byteLength
              largest = Math.max(largest, update.byteLength)
              Y.applyUpdate(doc, update, origin)
            }
          },
          origin,
          false,
        )
        // Relayed in paced parts; a change made meanwhile joins their origins, and the parts must
        // still not be stored again (as a history stored as received).
        kept.add(clocksAddedSince(doc, before))
      }
      lastLoaded = keys[keys.length - 1]
      if (updates.length >= (options.compactAfterUpdates ?? COMPACT_AFTER_UPDATES) || largest > compactAboveBytes) compact()
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
    heldUntil: (client, from) => kept.until(client, from),
    keepHistory(update, added) {
      if (destroyed) return
      let records = 0
      for (const [from, to] of added.values()) records += to - from
      if (records <= RECORDS_PER_BATCH || update.byteLength > records * MAX_HISTORY_BYTES_PER_RECORD) return
      // A view into the message it came in is stored with that message's whole buffer: only its bytes.
      write(update.byteLength === update.buffer.byteLength ? update : update.slice())
      kept.add(added)
      // A load would apply it in one task: merged into parts once the page is quiet.
      if (update.byteLength > compactAboveBytes) compact()
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
 * Replaces the stored updates this page loaded and wrote (`merged()` says which, when the merge
 * is about to write: their records are all in the document) by the document's state: once `doc`
 * has been unchanged for `quietMs`, encoded a few steps an idle moment, started over after a
 * change, as updates of about `partBytes` cut along the messages' order, which a load applies
 * one a task, each integrating as it comes; then the old updates deleted and the parts added in
 * order in one transaction, so a tab closed at any moment leaves either the old updates or the
 * merged state. Updates another tab wrote stay. Resolves when committed, or when `database()` is
 * gone (the room closed: the next load tries again).
 */
function compactWhenQuiet(
  doc: Y.Doc,
  quietMs: number,
  database: () => IDBDatabase | null,
  merged: () => Merged,
  partBytes: number,
): Promise<void> {
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
      const steps = boundedPartSteps(doc, messagesOf(doc), partBytes, new StepBudget())
      const step = (timeLeft: () => number): void => {
        const db = database()
        if (db === null || doc.isDestroyed) {
          stop()
          return
        }
        if (changes !== at) return // a change: its quiet starts the merge over
        let next = steps.next()
        while (next.done !== true && timeLeft() > IDLE_STEP_MARGIN_MS) next = steps.next()
        if (next.done !== true) {
          whenIdle(step, COMPACT_IDLE_TIMEOUT_MS)
          return
        }
        const { lastLoaded, written, added } = merged()
        const transaction = db.transaction(STORE, 'readwrite')
        const store = transaction.objectStore(STORE)
        if (lastLoaded !== undefined) store.delete(IDBKeyRange.upperBound(lastLoaded))
        for (const key of written) store.delete(key)
        for (const part of next.value) {
          const adding = store.add(part)
          adding.onsuccess = () => added(adding.result)
        }
        void committed(transaction).then(stop)
      }
      step(() => 0)
    }
    doc.on('afterTransaction', onTransaction)
    waitForQuiet()
  })
}

/** What a merge replaces: the updates up to the last a load applied, and those this page wrote; `added` notes each part it writes (a later merge replaces them too). */
interface Merged {
  lastLoaded: IDBValidKey | undefined
  written: readonly IDBValidKey[]
  added: (key: IDBValidKey) => void
}

/**
 * Per Yjs client, the clock ranges that histories stored as received and loads hold: a range or a
 * few per writer, joined as they meet (the document's state vector, about).
 */
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

  /** Whether every record of `update` is in a history stored (as received, or loaded). */
  holds(update: Uint8Array): boolean {
    // Known without reading the update when the relay's batch wrote it (updates/ `updateClockRanges`).
    const written = updateClockRanges(update)
    return written !== null && this.holdsRanges(written)
  }

  /** Whether every record of `ranges` is in a history stored (as received, or loaded). */
  holdsRanges(ranges: readonly ClockRange[]): boolean {
    if (this.#ranges.size === 0) return false
    for (const { client, from: start, to: end } of ranges) {
      const ranges = this.#ranges.get(client) ?? []
      if (!ranges.some(([keptFrom, keptTo]) => keptFrom <= start && end <= keptTo)) return false
    }
    return true
  }

  /** Up to which clock the records of `client` from `from` on are held (`from`: none). */
  until(client: number, from: number): number {
    for (const [keptFrom, keptTo] of this.#ranges.get(client) ?? []) if (keptFrom <= from && from < keptTo) return keptTo
    return from
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
