// A room kept in this browser's IndexedDB (real, in Chromium), opened again as a page load opens
// it: what the tab going away (`pagehide`) writes while the loaded history is still relayed.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { type MessageRecord, messagesOf, roomDatabaseName } from '../../src/history/index.js'
import { Room } from '../../src/room/index.js'

/** Messages in the history: fifteen of the relay's batches (200 records), paced 20 ms apart at least. */
const COUNT = 3_000

const opened: Room[] = []
const databases: string[] = []
afterEach(() => {
  for (const room of opened.splice(0)) room.close()
  for (const name of databases.splice(0)) indexedDB.deleteDatabase(name)
})

const record = (n: number): MessageRecord => ({
  id: `m${n}`,
  authorId: `u-${n % 5}`,
  authorName: `Writer ${n % 5}`,
  text: `message ${n} of the stored history`,
  sentAt: 1_000_000 + n * 60_000,
})

/** A room that talks to nobody, kept in IndexedDB. */
function openRoom(name: string, doc?: Y.Doc): Room {
  const room = new Room({ name, signalingUrls: [], doc })
  opened.push(room)
  databases.push(roomDatabaseName(room.topic))
  return room
}

/** Bytes of the updates stored for `room` (a transaction requested after the room's writes sees them). */
async function storedBytes(room: Room): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open(roomDatabaseName(room.topic))
    opening.onsuccess = () => resolve(opening.result)
    opening.onerror = () => reject(opening.error)
  })
  try {
    if (!db.objectStoreNames.contains('updates')) return 0
    const all = await new Promise<unknown[]>((resolve, reject) => {
      const reading = db.transaction('updates').objectStore('updates').getAll()
      reading.onsuccess = () => resolve(reading.result)
      reading.onerror = () => reject(reading.error)
    })
    return all.reduce<number>((sum, each) => sum + (each as Uint8Array).byteLength, 0)
  } finally {
    db.close()
  }
}

describe('Room storage', () => {
  it('does not write the loaded history again when the tab goes while its parts are relayed, and a reload shows it all', async () => {
    const name = `pagehide-${crypto.randomUUID()}`
    const doc = new Y.Doc()
    messagesOf(doc).push(Array.from({ length: COUNT }, (_, n) => record(n)))
    const first = openRoom(name, doc)
    await vi.waitFor(async () => expect(await storedBytes(first)).toBeGreaterThan(0), { timeout: 10_000 })
    first.close()
    const history = await storedBytes(first)

    // A reload: the history comes from storage, and the relay passes it on in paced parts.
    const reloaded = openRoom(name)
    await vi.waitFor(() => expect(reloaded.messages.length).toBe(COUNT), { timeout: 10_000, interval: 5 })
    // A message sent meanwhile joins the parts' origins (stored with the next part).
    await reloaded.send({ name: 'Reader', userId: 'u-reader', signer: null }, 'sent during the parts')
    // The tab goes before the parts are done (fifteen batches take 300 ms at the least).
    window.dispatchEvent(new Event('pagehide'))
    // Before: the whole rest of the parts was encoded and stored again (most of the history).
    expect(await storedBytes(reloaded)).toBeLessThan(history * 1.1)
    reloaded.close()

    const again = openRoom(name)
    await vi.waitFor(() => expect(again.messages.length).toBe(COUNT + 1), { timeout: 10_000 })
  })

  it('appends a message sent while the stored history loads after all of it', async () => {
    const name = `sent-while-opening-${crypto.randomUUID()}`
    const doc = new Y.Doc()
    messagesOf(doc).push(Array.from({ length: COUNT }, (_, n) => record(n)))
    const first = openRoom(name, doc)
    await vi.waitFor(async () => expect(await storedBytes(first)).toBeGreaterThan(0), { timeout: 10_000 })
    first.close()
    // The lowest client id: appended before the history, Yjs would sort it before the first record.
    const opening = new Y.Doc()
    opening.clientID = 1
    const reloaded = openRoom(name, opening)
    await reloaded.send({ name: 'Reader', userId: 'u-reader', signer: null }, 'sent while opening')
    await vi.waitFor(() => expect(reloaded.messages.length).toBe(COUNT + 1), { timeout: 10_000 })
    // Before: first of all, for every peer.
    expect(reloaded.messages.at(-1)?.text).toBe('sent while opening')
  })
})
