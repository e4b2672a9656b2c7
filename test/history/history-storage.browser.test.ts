// A room's storage in real IndexedDB (Chromium), fed as the room feeds it: the document's batches
// from DeferredUpdates, and each history a link brings as the transport hands it on (a sync step 2
// applied by y-webrtc, then told with what it added: src/transport/received-histories.ts).
import { afterEach, describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { DeferredUpdates, persistRoom, roomDatabaseName, type RoomStore } from '../../src/history/index.js'
import { MAX_HISTORY_BYTES_PER_RECORD } from '../../src/history/persistence.js'
import { RECORDS_PER_BATCH } from '../../src/history/deferred-updates.js'
import { dispatchNotingHistory } from '../../src/transport/received-histories.js'

/** Records in the history: many batches' worth (25 parts). */
const HISTORY_RECORDS = 25 * RECORDS_PER_BATCH

const rooms: string[] = []
afterEach(async () => {
  await Promise.all(
    rooms.splice(0).map(
      (room) =>
        new Promise<void>((resolve) => {
          const deleting = indexedDB.deleteDatabase(roomDatabaseName(room))
          deleting.onsuccess = deleting.onerror = deleting.onblocked = () => resolve()
        }),
    ),
  )
})

/** A room name no other test uses. */
function newRoom(): string {
  const room = `persistence-${crypto.randomUUID()}`
  rooms.push(room)
  return room
}

/** A peer's document of `count` records, as one history (its whole state). */
function history(count: number): Uint8Array {
  const peer = new Y.Doc()
  peer.getArray<string>('messages').push(Array.from({ length: count }, (_, index) => `record ${index}`))
  return Y.encodeStateAsUpdate(peer)
}

/** Hands `update` to `doc` as the transport hands on a sync step 2 (y-webrtc applies it), telling `store`. */
function receiveHistory(doc: Y.Doc, store: RoomStore, update: Uint8Array): void {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0) // y-webrtc's sync message
  encoding.writeVarUint(encoder, 1) // sync step 2
  encoding.writeVarUint8Array(encoder, update)
  const message = encoding.toUint8Array(encoder)
  dispatchNotingHistory(doc, message, () => Y.applyUpdate(doc, update, 'link'), store.keepHistory)
}

/** What the room's database holds: its updates, the document they make, and their bytes. */
async function stored(room: string): Promise<{ updates: number; records: number; bytes: number }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open(roomDatabaseName(room))
    opening.onsuccess = () => resolve(opening.result)
    opening.onerror = () => reject(opening.error)
  })
  try {
    const updates = await new Promise<unknown[]>((resolve, reject) => {
      const reading = db.transaction('updates').objectStore('updates').getAll()
      reading.onsuccess = () => resolve(reading.result)
      reading.onerror = () => reject(reading.error)
    })
    const doc = new Y.Doc()
    for (const update of updates) Y.applyUpdate(doc, update as Uint8Array)
    return {
      updates: updates.length,
      records: doc.getArray('messages').length,
      bytes: updates.reduce<number>((sum, update) => sum + (update as Uint8Array).byteLength, 0),
    }
  } finally {
    db.close()
  }
}

/**
 * A room's store as the room opens it, loaded, with the document and its batches; `passed` sees
 * each batch first (the relay's place), and says with `wants` whether it wants a part (absent: every part).
 */
async function openStore(
  passed: (more: boolean) => void = () => {},
  now?: () => number,
  wants?: () => boolean,
): Promise<{ room: string; doc: Y.Doc; store: RoomStore; close(): void }> {
  const room = newRoom()
  const doc = new Y.Doc()
  const changes = new DeferredUpdates(doc, now)
  changes.on((_update, _origins, more) => passed(more), wants === undefined ? {} : { wants })
  const store = persistRoom(room, doc, changes)
  if (store === null) throw new Error('IndexedDB is missing')
  await store.whenLoaded
  await store.whenStored()
  return {
    room,
    doc,
    store,
    close() {
      store.destroy()
      changes.destroy()
    },
  }
}

describe('a history stored as received', () => {
  it('is on disk whole once stored, though the parts that pass it on wait for a clock that stands still', async () => {
    const parts: boolean[] = []
    // The clock never moves: after the burst, no part of other peers' changes may pass on.
    const { room, doc, store, close } = await openStore(
      (more) => parts.push(more),
      () => 0,
    )
    receiveHistory(doc, store, history(HISTORY_RECORDS))
    expect(doc.getArray('messages').length).toBe(HISTORY_RECORDS)
    await store.whenStored()
    expect(await stored(room)).toMatchObject({ records: HISTORY_RECORDS })
    // Passed on so far: parts of it, with more to follow.
    expect(parts.every((more) => more)).toBe(true)
    close()
  })

  it('is not written again as the parts that pass it on reach the store; the last part is', async () => {
    let parts = 0
    let passedAll = (_parts: number): void => {}
    const allPassed = new Promise<number>((resolve) => {
      passedAll = resolve
    })
    const { room, doc, store, close } = await openStore((more) => {
      parts++
      if (!more) passedAll(parts)
    })
    const before = (await stored(room)).updates
    receiveHistory(doc, store, history(HISTORY_RECORDS))
    expect(await allPassed).toBe(HISTORY_RECORDS / RECORDS_PER_BATCH)
    await store.whenStored()
    // The history as received, and the last part (it carries the deletions).
    expect(await stored(room)).toMatchObject({ updates: before + 2, records: HISTORY_RECORDS })
    close()
  })

  it('leaves no empty update behind the parts nobody wanted', async () => {
    // No link lacks the parts (the relay's place wants none) and the store holds them: each is
    // passed over, and the run ends with a batch of nothing, which was stored as an update of
    // 2 bytes that every later load read and applied.
    let passedAll = (): void => {}
    const allPassed = new Promise<void>((resolve) => {
      passedAll = resolve
    })
    const { room, doc, store, close } = await openStore(
      (more) => {
        if (!more) passedAll()
      },
      undefined,
      () => false,
    )
    const before = await stored(room)
    const update = history(HISTORY_RECORDS)
    receiveHistory(doc, store, update)
    await allPassed
    await store.whenStored()
    expect(await stored(room)).toEqual({ updates: before.updates + 1, records: HISTORY_RECORDS, bytes: before.bytes + update.byteLength })
    close()
  })

  it('in parts is stored once, though a run passing on one part ends after the next came', async () => {
    // A late joiner's history comes in parts, each stored as received. The run passing on the
    // first part ends (its last batch cut) before the page draws, and reaches the store after the
    // draw; the next part came in between, and the store's note of what it holds was wiped at
    // that run's end, so the parts passing on the next one were written too (a 50,000-message
    // join: 12 of its 14 MB again). No link lacks any of it (the relay's place wants no part).
    const peer = new Y.Doc()
    const messages = peer.getArray<string>('messages')
    messages.push(Array.from({ length: HISTORY_RECORDS }, (_, index) => `record ${index}`))
    const first = Y.encodeStateAsUpdate(peer)
    const firstState = Y.encodeStateVector(peer)
    messages.push(Array.from({ length: HISTORY_RECORDS }, (_, index) => `record ${HISTORY_RECORDS + index}`))
    const next = Y.encodeStateAsUpdate(peer, firstState)
    let runs = 0
    let passedAll = (): void => {}
    const allPassed = new Promise<void>((resolve) => {
      passedAll = resolve
    })
    const { room, doc, store, close } = await openStore(
      (more) => {
        if (more) return
        runs++
        // The next part arrives as the first run's last batch is cut, before the page draws.
        if (runs === 1) queueMicrotask(() => receiveHistory(doc, store, next))
        else passedAll()
      },
      undefined,
      () => false,
    )
    const before = await stored(room)
    receiveHistory(doc, store, first)
    await allPassed
    await store.whenStored()
    const after = await stored(room)
    expect(after.records).toBe(2 * HISTORY_RECORDS)
    // The parts as received, and nothing of them again.
    expect(after.bytes - before.bytes).toBe(first.byteLength + next.byteLength)
    close()
  })

  it('that arrives while the stored one loads is written whole just after the load', async () => {
    const room = newRoom()
    const doc = new Y.Doc()
    // The clock never moves, as above: the parts cannot have passed it on.
    const changes = new DeferredUpdates(doc, () => 0)
    const store = persistRoom(room, doc, changes)
    if (store === null) throw new Error('IndexedDB is missing')
    receiveHistory(doc, store, history(HISTORY_RECORDS))
    await store.whenStored()
    expect(await stored(room)).toMatchObject({ records: HISTORY_RECORDS })
    store.destroy()
    changes.destroy()
  })

  it('mostly of copies is not stored as received: its few new records go in the parts, the copies nowhere', async () => {
    // A peer's whole state, not what this page lacks: 2,000 records this page holds (200
    // characters each), and a batch and one more that are new. As received it would put some
    // 2,000 bytes of copies on disk for each new record (on main it did: up to 4,000 were let through).
    const peer = new Y.Doc()
    const messages = peer.getArray<string>('messages')
    messages.push(Array.from({ length: 2000 }, (_, index) => `${index} ${'x'.repeat(200)}`))
    let passedAll = (): void => {}
    const { room, doc, store, close } = await openStore((more) => {
      if (!more) passedAll()
    })
    /** Resolves once the parts passing on what was received so far all passed, and are stored. */
    const partsStored = async (): Promise<void> => {
      await new Promise<void>((resolve) => {
        passedAll = resolve
      })
      await store.whenStored()
    }
    let storing = partsStored()
    receiveHistory(doc, store, Y.encodeStateAsUpdate(peer))
    await storing
    const before = await stored(room)
    const fresh = RECORDS_PER_BATCH + 1
    messages.push(Array.from({ length: fresh }, (_, index) => `new ${index}`))
    const padded = Y.encodeStateAsUpdate(peer)
    expect(padded.byteLength / fresh).toBeGreaterThan(MAX_HISTORY_BYTES_PER_RECORD)
    storing = partsStored()
    receiveHistory(doc, store, padded)
    await storing
    const after = await stored(room)
    expect(after.records).toBe(2000 + fresh)
    // The new records' own bytes, a few dozen each: the copies were not written.
    expect(after.bytes - before.bytes).toBeLessThan(fresh * 100)
    close()
  })

  it('of one batch or less is stored with that batch, as any change', async () => {
    const { room, doc, store, close } = await openStore()
    const before = (await stored(room)).updates
    receiveHistory(doc, store, history(RECORDS_PER_BATCH))
    await store.whenStored()
    expect(await stored(room)).toMatchObject({ updates: before + 1, records: RECORDS_PER_BATCH })
    close()
  })
})

describe('deletions a peer made (Parley makes none; a hostile peer may, and its records are put back as copies)', () => {
  it('are not stored again with each message that arrives after them: only the end of a run cut into parts carries them', async () => {
    // A history whose every other record was deleted: its delete set is 2,500 ranges, some 7 KB.
    const peer = new Y.Doc()
    const messages = peer.getArray<string>('messages')
    messages.push(Array.from({ length: HISTORY_RECORDS }, (_, index) => `record ${index}`))
    peer.transact(() => {
      for (let index = HISTORY_RECORDS - 1; index >= 0; index -= 2) messages.delete(index, 1)
    })
    const deleteSetBytes = Y.encodeStateAsUpdate(peer, Y.encodeStateVector(peer)).byteLength
    let passedAll = (): void => {}
    const { room, doc, store, close } = await openStore((more) => {
      if (!more) passedAll()
    })
    /** Resolves once a run's last batch passed, and is stored. */
    const runStored = async (): Promise<void> => {
      await new Promise<void>((resolve) => {
        passedAll = resolve
      })
      await store.whenStored()
    }
    let storing = runStored()
    receiveHistory(doc, store, Y.encodeStateAsUpdate(peer))
    await storing
    // Messages arriving one by one, each as its sender's transaction wrote it (no deletions).
    let arrival: Uint8Array = new Uint8Array()
    peer.on('update', (update: Uint8Array) => {
      arrival = update
    })
    for (let index = 0; index < 5; index++) {
      const before = await stored(room)
      messages.push([`arriving ${index}`])
      Y.applyUpdate(doc, arrival, 'link')
      await runStored()
      // A row of the message's own bytes: the room's delete set is not written again.
      expect(await stored(room)).toEqual({
        updates: before.updates + 1,
        records: before.records + 1,
        bytes: before.bytes + arrival.byteLength,
      })
    }
    // More than a batch at once: the run's parts, and its last batch with the whole delete set.
    const before = await stored(room)
    messages.push(Array.from({ length: RECORDS_PER_BATCH + 100 }, (_, index) => `burst ${index}`))
    storing = runStored()
    Y.applyUpdate(doc, arrival, 'link')
    await storing
    const after = await stored(room)
    expect(after.updates).toBe(before.updates + 2)
    expect(after.bytes - before.bytes).toBeGreaterThan(arrival.byteLength + deleteSetBytes - 100)
    close()
  })
})
