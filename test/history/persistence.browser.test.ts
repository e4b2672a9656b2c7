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

  it('merges many stored updates into one once the page is quiet, keeping what was written meanwhile', async () => {
    const room = `compact-${Math.random()}`
    rooms.push(room)
    // 40 updates, as 40 batches of a session would leave them.
    const source = new Y.Doc()
    const updates: Uint8Array[] = []
    source.on('update', (update: Uint8Array) => updates.push(update))
    for (let i = 0; i < 40; i++) messagesOf(source).push(history(1).map((m) => ({ ...m, id: `s${i}` })))
    await load(room) // creates the database
    await addStored(room, updates)
    expect((await stored(room)).updates).toBe(40)
    const doc = new Y.Doc()
    const store = persistRoom(room, doc, new DeferredUpdates(doc), { compactAfterUpdates: 20, quietMs: 50 })
    await store?.whenLoaded
    // Written after the load, before the merge: stored on its own, and kept by the merge.
    messagesOf(doc).push([{ id: 'after', text: 'after the load' }])
    await store?.whenStored()
    await store?.whenCompacted()
    store?.destroy()
    const after = await stored(room)
    // The merged state, and the update written after the load.
    expect(after.updates).toBe(2)
    const ids = messagesOf(await load(room))
      .toJSON()
      .map((m: { id: string }) => m.id)
    expect(ids).toEqual([...Array.from({ length: 40 }, (_, i) => `s${i}`), 'after'])
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
