// The rooms this browser opened lately, newest first, for the site's room switcher: a pure
// list (remember, forget) and its JSON form in a key-value store, read as untrusted input.
//
// Stored under RECENT_ROOMS_KEY as `[{"name":…,"secret":…|null,"visitedAt":<ms>}, …]`. A private
// room's secret is kept because its link is the only way back in; it goes nowhere but that link.
import { type RoomAddress, roomFragment } from './room-address.js'
import { readRoomLink } from './room-link.js'

/** One room in the list, with when this browser last opened it (ms since the epoch). */
export interface RecentRoom {
  address: RoomAddress
  visitedAt: number
}

/** The part of the Web Storage API the list needs. */
export interface RecentRoomsStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** Most rooms the list keeps. */
export const MAX_RECENT_ROOMS = 8
/** Where the list is kept in the store. */
export const RECENT_ROOMS_KEY = 'parley:recent-rooms'

/** The list with `address` moved (or added) to the front, visited at `now`; at most MAX_RECENT_ROOMS long. */
export function rememberRoom(rooms: readonly RecentRoom[], address: RoomAddress, now: number): RecentRoom[] {
  const entry = { address: { name: address.name, secret: address.secret }, visitedAt: now }
  return [entry, ...rooms.filter((room) => !sameAddress(room.address, address))].slice(0, MAX_RECENT_ROOMS)
}

/** The list without `address`. */
export function forgetRoom(rooms: readonly RecentRoom[], address: RoomAddress): RecentRoom[] {
  return rooms.filter((room) => !sameAddress(room.address, address))
}

/** Whether two addresses name the same room (same name, same secret or both public). */
export function sameAddress(a: RoomAddress, b: RoomAddress): boolean {
  return a.name === b.name && a.secret === b.secret
}

/**
 * The list from its stored JSON; entries that are not rooms a link could open (damaged, edited
 * by hand, from another version) are dropped, and so are repeats and any past the limit.
 */
export function parseRecentRooms(json: string | null): RecentRoom[] {
  let value: unknown
  try {
    value = JSON.parse(json ?? '[]')
  } catch {
    return [] // damaged storage: start a new list rather than fail the page
  }
  if (!Array.isArray(value)) return []
  const rooms: RecentRoom[] = []
  for (const item of value) {
    const room = parseEntry(item)
    if (room !== null && !rooms.some((kept) => sameAddress(kept.address, room.address))) rooms.push(room)
  }
  return rooms.slice(0, MAX_RECENT_ROOMS)
}

/** Reads the list from a store. */
export function loadRecentRooms(store: RecentRoomsStore): RecentRoom[] {
  return parseRecentRooms(store.getItem(RECENT_ROOMS_KEY))
}

/** Writes the list to a store. */
export function saveRecentRooms(store: RecentRoomsStore, rooms: readonly RecentRoom[]): void {
  const entries = rooms.map((room) => ({ name: room.address.name, secret: room.address.secret, visitedAt: room.visitedAt }))
  store.setItem(RECENT_ROOMS_KEY, JSON.stringify(entries))
}

function parseEntry(item: unknown): RecentRoom | null {
  if (typeof item !== 'object' || item === null) return null
  const { name, secret, visitedAt } = item as Record<string, unknown>
  if (typeof name !== 'string' || (secret !== null && typeof secret !== 'string')) return null
  if (typeof visitedAt !== 'number' || !Number.isFinite(visitedAt)) return null
  // The room its link would open must be this very room: the same rules as a link in the address bar.
  const link = readRoomLink(roomFragment({ name, secret }))
  if (!link.ok || !sameAddress(link.address, { name, secret })) return null
  return { address: link.address, visitedAt }
}
