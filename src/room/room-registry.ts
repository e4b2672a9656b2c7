// One open Room per room (name and secret) in this page, shared by everyone who asks.
// y-webrtc allows a single provider per room name per JavaScript realm, so two chat
// elements showing the same room must share it; the last release closes it.
import { topicFor } from '../address/index.js'
import { Room, type RoomOptions } from './room.js'

interface Entry {
  room: Room
  holders: number
}

const openRooms = new Map<string, Entry>()

/** A held room; call `release()` exactly once when done with it. */
export interface RoomLease {
  room: Room
  release(): void
}

/** Opens the room, or shares the one already open with the same name. */
export function acquireRoom(options: RoomOptions): RoomLease {
  const id = topicFor({ name: options.name, secret: options.secret ?? null })
  let entry = openRooms.get(id)
  if (entry === undefined) {
    entry = { room: new Room(options), holders: 0 }
    openRooms.set(id, entry)
  }
  entry.holders++
  const held = entry
  let released = false
  return {
    room: held.room,
    release() {
      if (released) return
      released = true
      held.holders--
      if (held.holders === 0) {
        openRooms.delete(id)
        held.room.close()
      }
    },
  }
}
