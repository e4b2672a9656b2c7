// Keeps each room's document in this browser's IndexedDB (through y-indexeddb), so the history
// is there after a reload with nobody online, and what was written alone reaches peers later.
import type * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'

/** Prefix of the IndexedDB database of each room; the room's name follows it. */
export const ROOM_DATABASE_PREFIX = 'parley-room:'

/** The IndexedDB database name holding a room's document. */
export function roomDatabaseName (room: string): string {
  return ROOM_DATABASE_PREFIX + room
}

/** A room's document tied to its database. */
export interface RoomStore {
  /** Resolves once the stored history has been loaded into the document. */
  readonly whenLoaded: Promise<void>
  /** Stops storing (the data stays); resolves when the database is closed. */
  destroy (): Promise<void>
}

/** Loads the room's stored history into `doc` and stores every later change; null without IndexedDB (Node). */
export function persistRoom (room: string, doc: Y.Doc): RoomStore | null {
  if (typeof globalThis.indexedDB === 'undefined') return null
  const persistence = new IndexeddbPersistence(roomDatabaseName(room), doc)
  return {
    whenLoaded: persistence.whenSynced.then(() => undefined),
    destroy: () => persistence.destroy(),
  }
}
