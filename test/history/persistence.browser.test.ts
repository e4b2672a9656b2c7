// A room's document in IndexedDB across reloads (real IndexedDB, in Chromium): what a load costs
// and what it leaves behind.
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type CompactOptions, DeferredUpdates, messagesOf, persistRoom, roomDatabaseName } from '../../src/history/index.js'

const rooms: string[] = []

afterEach(async () => {
  for (const room of rooms.splice(0)) indexedDB.deleteDatabase(roomDatabaseName(room))
})

/** The stored updates of `room`, in key order. */
async function storedUpdates(room: string): Promise<Uint8Array[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open(roomDatabaseName(room))
    opening.onsuccess = () => resolve(opening.result)
    opening.onerror = () => reject(opening.error)
  })
  const all = await new Promise<unknown[]>((resolve, reject) => {
    const req = db.transaction('updates').objectStore('updates').getAll()
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
  db.close()
  return all as Uint8Array[]
}

/** The stored updates of `room`: how many, and their bytes in all. */
async function stored(room: string): Promise<{ updates: number; bytes: number }> {
  const all = await storedUpdates(room)
  return { updates: all.length, bytes: all.reduce<number>((sum, each) => sum + each.byteLength, 0) }
}

/** Opens `room` as a page load does: a fresh document, loaded from storage and stored from then on. */
async function load(room: string, write?: (doc: Y.Doc) => void, options?: CompactOptions): Promise<Y.Doc> {
  const doc = new Y.Doc()
  const store = persistRoom(room, doc, new DeferredUpdates(doc), options)
  if (store === null) throw new Error('no IndexedDB')
  write?.(doc)
  await store.whenLoaded
  await store.whenStored()
  store.destroy()
  return doc
}

/** Records (clock units) a transaction added to its document. */
function recordsAdded(transaction: Y.Transaction): number {
  let records = 0
  for (const [client, clock] of transaction.afterState) records += clock - (transaction.beforeState.get(client) ?? 0)
  return records
}

/** A history as a link brings it: one update of `count` messages, written by several clients taking turns. */
function receivedHistory(count: number, writers = 3): Uint8Array {
  const docs = Array.from({ length: writers }, () => new Y.Doc())
  for (let i = 0; i < count; i++) {
    const writer = docs[i % writers]
    messagesOf(writer).push([{ id: `h${i}`, text: `message ${i}` }])
    const next = docs[(i + 1) % writers]
    Y.applyUpdate(next, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(next)))
  }
  return Y.encodeStateAsUpdate(docs[(count - 1) % writers])
}

function history(count: number): Array<{ id: string; text: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: `m${i}`, text: `message ${i}` }))
}

describe('persistRoom', () => {
  it('keeps one copy of a history however often the room is opened again', async () => {
    const room = `reloads-${Math.random()}`
    rooms.push(room)
    await load(room, (doc) => messagesOf(doc).push(history(2000)))
    const first = await stored(room)
    for (let i = 0; i < 5; i++) expect(messagesOf(await load(room)).length).toBe(2000)
    const after = await stored(room)
    // Each open used to add the whole state again: six copies after five reloads.
    expect(after.bytes).toBeLessThan(first.bytes * 1.5)
  })

  it('stores what a document held before it was tied to storage, and what was written while the database opened', async () => {
    const room = `given-${Math.random()}`
    rooms.push(room)
    const doc = new Y.Doc()
    messagesOf(doc).push(history(3))
    const store = persistRoom(room, doc, new DeferredUpdates(doc))
    messagesOf(doc).push([{ id: 'early', text: 'while opening' }])
    await store?.whenLoaded
    await store?.whenStored()
    store?.destroy()
    expect(
      messagesOf(await load(room))
        .toJSON()
        .map((m: { id: string }) => m.id),
    ).toEqual(['m0', 'm1', 'm2', 'early'])
  })

  it('merges many stored updates into one once the page is quiet, a step an idle callback, keeping what was written meanwhile', async () => {
    const room = `compact-${Math.random()}`
    rooms.push(room)
    // 40 updates of 20 messages, as 40 batches of a session would leave them: 800 records, past
    // three steps of RECORDS_PER_STEP.
    const source = new Y.Doc()
    const updates: Uint8Array[] = []
    source.on('update', (update: Uint8Array) => updates.push(update))
    const ids = (i: number) => Array.from({ length: 20 }, (_, j) => `s${i}-${j}`)
    for (let i = 0; i < 40; i++) messagesOf(source).push(ids(i).map((id) => ({ id, text: id })))
    await load(room) // creates the database
    await addStored(room, updates)
    expect((await stored(room)).updates).toBe(40)
    const doc = new Y.Doc()
    const store = persistRoom(room, doc, new DeferredUpdates(doc), { compactAfterUpdates: 20, quietMs: 50 })
    await store?.whenLoaded
    // Written after the load, before the merge: stored on its own, and kept by the merge.
    messagesOf(doc).push([{ id: 'after', text: 'after the load' }])
    await store?.whenStored()
    const idle = globalThis.requestIdleCallback
    let idleCallbacks = 0
    // Idle moments with no time left: a step each.
    globalThis.requestIdleCallback = (callback, options) => {
      idleCallbacks++
      return idle(() => callback({ didTimeout: false, timeRemaining: () => 0 }), options)
    }
    try {
      await store?.whenCompacted()
    } finally {
      globalThis.requestIdleCallback = idle
    }
    store?.destroy()
    // Not in one task: a step of RECORDS_PER_STEP records an idle callback (more while the idle moment lasts).
    expect(idleCallbacks).toBeGreaterThanOrEqual(3)
    const after = await stored(room)
    // The merged state (it holds 'after', and the merge replaces what this page wrote once its key
    // is known) and at most the batch holding 'after' and the loaded history's last part, always
    // written (it carries the deletions). Its other parts, relayed with 'after' among their
    // origins, are not stored again (they were: 5 updates).
    expect(after.updates).toBeGreaterThanOrEqual(1)
    expect(after.updates).toBeLessThanOrEqual(3)
    const loaded = messagesOf(await load(room))
      .toJSON()
      .map((m: { id: string }) => m.id)
    expect(loaded).toEqual([...Array.from({ length: 40 }, (_, i) => ids(i)).flat(), 'after'])
  })
})

describe('persistRoom: opening a large history', () => {
  /** Small parts and thresholds, as the defaults are for 100,000 messages. */
  const SMALL: CompactOptions = { compactAboveBytes: 16 * 1024, partBytes: 8 * 1024, quietMs: 50 }
  const COUNT = 3_000

  it('stores a large history merged in parts of bounded size, and a load applies them a step a task, in order, nothing held pending', async () => {
    const room = `parts-${Math.random()}`
    rooms.push(room)
    await load(room) // creates the database
    // A history a link brought, stored as received: one update of 3,000 messages (about 80 KB).
    await addStored(room, [receivedHistory(COUNT)])
    // The first load applies it whole (it is one update) and merges it, as it is over the bound.
    const doc = new Y.Doc()
    const store = persistRoom(room, doc, new DeferredUpdates(doc), SMALL)
    await store?.whenLoaded
    await store?.whenCompacted()
    store?.destroy()
    const updates = await storedUpdates(room)
    // Before: one update of all 3,000 (no merge below 500 stored updates).
    expect(updates.length).toBeGreaterThanOrEqual(8)
    for (const update of updates) expect(update.byteLength).toBeLessThan(2 * (SMALL.partBytes ?? 0))
    // Each part, applied in order to an empty document, integrates as it comes.
    const replay = new Y.Doc()
    for (const update of updates) {
      Y.applyUpdate(replay, update)
      expect(replay.store.pendingStructs).toBeNull()
    }
    expect(messagesOf(replay).length).toBe(COUNT)

    // The next load: a step a task, each a share of the history, none held pending.
    const reloaded = new Y.Doc()
    const steps: number[] = []
    const pendingAfter: boolean[] = []
    const ticksAtStep: number[] = []
    reloaded.on('afterTransaction', (transaction: Y.Transaction) => {
      const records = recordsAdded(transaction)
      if (records === 0) return // the last part may hold only the delete set
      steps.push(records)
      pendingAfter.push(reloaded.store.pendingStructs !== null)
      ticksAtStep.push(ticks)
    })
    // A task of its own between two steps: this ticker's posted messages get a turn between them.
    let ticks = 0
    let ticking = true
    const ticker = new MessageChannel()
    ticker.port1.onmessage = () => {
      ticks++
      if (ticking) ticker.port2.postMessage(null)
    }
    ticker.port2.postMessage(null)
    const again = persistRoom(room, reloaded, new DeferredUpdates(reloaded), SMALL)
    await again?.whenLoaded
    ticking = false
    again?.destroy()
    expect(messagesOf(reloaded).length).toBe(COUNT)
    expect(steps.length).toBeGreaterThanOrEqual(8)
    // Each step about a part's share (3,000 records in 80 KB: about 300 records per 8 KB).
    expect(Math.max(...steps)).toBeLessThan(COUNT / 4)
    expect(pendingAfter.every((pending) => !pending)).toBe(true)
    for (let i = 1; i < ticksAtStep.length; i++) expect(ticksAtStep[i]).toBeGreaterThan(ticksAtStep[i - 1])
  })

  it('keeps everything when the tab goes while the load is under way', async () => {
    const room = `killed-${Math.random()}`
    rooms.push(room)
    await load(room)
    await addStored(room, [receivedHistory(COUNT)])
    // Merged into parts, once the load was quiet.
    const merging = new Y.Doc()
    const merged = persistRoom(room, merging, new DeferredUpdates(merging), SMALL)
    await merged?.whenCompacted()
    merged?.destroy()
    const doc = new Y.Doc()
    const store = persistRoom(room, doc, new DeferredUpdates(doc), SMALL)
    // After the load's second step, the tab goes: nothing of the page runs any more.
    let steps = 0
    const gone = new Promise<void>((resolve) => {
      doc.on('afterTransaction', () => {
        if (++steps !== 2) return
        store?.destroy()
        resolve()
      })
    })
    await gone
    expect(messagesOf(doc).length).toBeLessThan(COUNT)
    await store?.whenLoaded
    const reopened = await load(room)
    expect(messagesOf(reopened).length).toBe(COUNT)
  })
})

/** Adds `updates` to the stored ones of `room` (whose database exists). */
async function addStored(room: string, updates: readonly Uint8Array[]): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open(roomDatabaseName(room))
    opening.onsuccess = () => resolve(opening.result)
    opening.onerror = () => reject(opening.error)
  })
  const transaction = db.transaction('updates', 'readwrite')
  for (const update of updates) transaction.objectStore('updates').add(update)
  await new Promise<void>((resolve, reject) => {
    transaction.oncomplete = () => resolve()
    transaction.onerror = () => reject(transaction.error)
  })
  db.close()
}
