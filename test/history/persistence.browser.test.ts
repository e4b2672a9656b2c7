// A room's document in IndexedDB across reloads (real IndexedDB, in Chromium): what a load costs
// and what it leaves behind.
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DeferredUpdates, messagesOf, persistRoom, roomDatabaseName } from '../../src/history/index.js'

const rooms: string[] = []

afterEach(async () => {
  for (const room of rooms.splice(0)) indexedDB.deleteDatabase(roomDatabaseName(room))
})

/** The stored updates of `room`: how many, and their bytes in all. */
async function stored(room: string): Promise<{ updates: number; bytes: number }> {
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
  return { updates: all.length, bytes: all.reduce<number>((sum, each) => sum + (each as Uint8Array).byteLength, 0) }
}

/** Opens `room` as a page load does: a fresh document, loaded from storage and stored from then on. */
async function load(room: string, write?: (doc: Y.Doc) => void): Promise<Y.Doc> {
  const doc = new Y.Doc()
  const store = persistRoom(room, doc, new DeferredUpdates(doc))
  if (store === null) throw new Error('no IndexedDB')
  write?.(doc)
  await store.whenLoaded
  await store.whenStored()
  store.destroy()
  return doc
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
    globalThis.requestIdleCallback = (callback, options) => {
      idleCallbacks++
      return idle(callback, options)
    }
    try {
      await store?.whenCompacted()
    } finally {
      globalThis.requestIdleCallback = idle
    }
    store?.destroy()
    // Not in one task: a step of RECORDS_PER_STEP records an idle callback.
    expect(idleCallbacks).toBeGreaterThanOrEqual(3)
    const after = await stored(room)
    // The merged state and the batch holding 'after'; at most one more: the loaded history's last
    // part, always written (it carries the deletions). Its other parts, relayed with 'after' among
    // their origins, are not stored again (they were: 5 updates).
    expect(after.updates).toBeGreaterThanOrEqual(2)
    expect(after.updates).toBeLessThanOrEqual(3)
    const loaded = messagesOf(await load(room))
      .toJSON()
      .map((m: { id: string }) => m.id)
    expect(loaded).toEqual([...Array.from({ length: 40 }, (_, i) => ids(i)).flat(), 'after'])
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
