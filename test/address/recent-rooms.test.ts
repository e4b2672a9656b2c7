// The recent-rooms list: newest first, no repeats, at most eight, rooms removable, and its
// stored form read as untrusted input (damaged JSON, odd entries, broken links dropped).
import { describe, expect, it } from 'vitest'
import {
  MAX_RECENT_ROOMS,
  RECENT_ROOMS_KEY,
  forgetRoom,
  loadRecentRooms,
  parseRecentRooms,
  rememberRoom,
  saveRecentRooms,
  type RecentRoom,
  type RecentRoomsStore,
} from '../../src/address/recent-rooms.js'
import type { RoomAddress } from '../../src/address/room-address.js'

const KEY = 'AbCdEfGhIjKlMnOpQr-_09'
const pub = (name: string): RoomAddress => ({ name, secret: null })
const priv = (name: string): RoomAddress => ({ name, secret: KEY })

/** A Map-backed store, as identity's tests use. */
function memoryStore(): RecentRoomsStore & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return { map, getItem: (key) => map.get(key) ?? null, setItem: (key, value) => void map.set(key, value) }
}

/** The list after visiting `addresses` in order, at times 1, 2, 3… */
function visited(...addresses: RoomAddress[]): RecentRoom[] {
  return addresses.reduce<RecentRoom[]>((rooms, address, i) => rememberRoom(rooms, address, i + 1), [])
}

describe('rememberRoom', () => {
  it('puts the newest visit first and moves a room visited again to the front', () => {
    const rooms = visited(pub('a'), pub('b'), pub('c'), pub('a'))
    expect(rooms).toEqual([
      { address: pub('a'), visitedAt: 4 },
      { address: pub('c'), visitedAt: 3 },
      { address: pub('b'), visitedAt: 2 },
    ])
  })

  it('tells a private room from a public room of the same name', () => {
    expect(visited(pub('x'), priv('x')).map((room) => room.address)).toEqual([priv('x'), pub('x')])
  })

  it('keeps at most MAX_RECENT_ROOMS, dropping the oldest', () => {
    const names = Array.from({ length: MAX_RECENT_ROOMS + 3 }, (_, i) => `room-${i}`)
    const rooms = visited(...names.map(pub))
    expect(MAX_RECENT_ROOMS).toBe(8)
    expect(rooms.map((room) => room.address.name)).toEqual(names.slice(-MAX_RECENT_ROOMS).reverse())
  })

  it('does not change the list it is given', () => {
    const rooms = visited(pub('a'), pub('b'))
    const before = structuredClone(rooms)
    rememberRoom(rooms, pub('c'), 9)
    forgetRoom(rooms, pub('a'))
    expect(rooms).toEqual(before)
  })
})

describe('forgetRoom', () => {
  it('removes only that room', () => {
    const rooms = visited(pub('a'), priv('a'), pub('b'))
    expect(forgetRoom(rooms, pub('a')).map((room) => room.address)).toEqual([pub('b'), priv('a')])
    expect(forgetRoom(rooms, pub('zzz'))).toEqual(rooms)
  })
})

describe('stored form', () => {
  it('round-trips through a store', () => {
    const store = memoryStore()
    const rooms = visited(pub('team chat'), priv('Xy3_-9aBcDeF'))
    saveRecentRooms(store, rooms)
    expect(store.map.has(RECENT_ROOMS_KEY)).toBe(true)
    expect(loadRecentRooms(store)).toEqual(rooms)
    expect(loadRecentRooms(memoryStore())).toEqual([])
  })

  it('reads damaged or foreign storage as an empty list', () => {
    for (const json of [null, '', 'not json', '{"name":"a"}', '42', 'null']) expect(parseRecentRooms(json)).toEqual([])
  })

  it('drops entries that are not rooms a link would open, and repeats', () => {
    const good = { name: 'a', secret: null, visitedAt: 5 }
    const json = JSON.stringify([
      good,
      null,
      'a',
      { name: 'b', secret: null },
      { name: 'b', secret: null, visitedAt: 'yesterday' },
      { name: 7, secret: null, visitedAt: 1 },
      { name: 'c', secret: 12, visitedAt: 1 },
      { name: 'd', secret: 'cut-off', visitedAt: 1 },
      { name: '', secret: KEY, visitedAt: 1 },
      { name: '  padded  ', secret: null, visitedAt: 1 },
      { ...good, visitedAt: 6 },
      { name: 'e', secret: KEY, visitedAt: 2 },
    ])
    expect(parseRecentRooms(json)).toEqual([
      { address: pub('a'), visitedAt: 5 },
      { address: priv('e'), visitedAt: 2 },
    ])
  })

  it('keeps no more than MAX_RECENT_ROOMS from storage', () => {
    const json = JSON.stringify(Array.from({ length: 20 }, (_, i) => ({ name: `r${i}`, secret: null, visitedAt: i })))
    expect(parseRecentRooms(json)).toHaveLength(MAX_RECENT_ROOMS)
  })
})
