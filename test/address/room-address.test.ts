import { describe, expect, it } from 'vitest'
import { DEFAULT_ROOM } from '../../src/address/config.js'
import { newPrivateRoom, parseRoomFragment, roomFragment, topicFor } from '../../src/address/room-address.js'

describe('parseRoomFragment', () => {
  it('reads a public room name', () => {
    expect(parseRoomFragment('#lobby')).toEqual({ name: 'lobby', secret: null })
    expect(parseRoomFragment('#team%20chat')).toEqual({ name: 'team chat', secret: null })
    expect(parseRoomFragment('#%E0%A4%A')).toEqual({ name: '%E0%A4%A', secret: null })
  })
  it('falls back to the default room', () => {
    expect(parseRoomFragment('')).toEqual({ name: DEFAULT_ROOM, secret: null })
    expect(parseRoomFragment('#')).toEqual({ name: DEFAULT_ROOM, secret: null })
  })
  it('reads a private room, and refuses a guessable secret', () => {
    expect(parseRoomFragment('#room=abc&key=0123456789abcdefXYZ')).toEqual({ name: 'abc', secret: '0123456789abcdefXYZ' })
    expect(parseRoomFragment('#room=abc&key=short').secret).toBeNull()
  })
  it('round-trips through roomFragment', () => {
    for (const address of [{ name: 'lobby', secret: null }, { name: 'a b&c', secret: null }, newPrivateRoom()]) {
      expect(parseRoomFragment(roomFragment(address))).toEqual(address)
    }
  })
})

describe('newPrivateRoom', () => {
  it('makes a random id and a 128-bit secret', () => {
    const a = newPrivateRoom()
    const b = newPrivateRoom()
    expect(a.name).not.toBe(b.name)
    expect(a.secret).toMatch(/^[A-Za-z0-9_-]{22}$/)
  })
})

describe('topicFor', () => {
  it('hides the name and depends on the secret', () => {
    const topic = topicFor({ name: 'lobby', secret: null })
    expect(topic).toMatch(/^parley-v1-[0-9a-f]{64}$/)
    expect(topic).not.toContain('lobby')
    expect(topicFor({ name: 'lobby', secret: null })).toBe(topic)
    expect(topicFor({ name: 'lobby', secret: 'x'.repeat(16) })).not.toBe(topic)
    expect(topicFor({ name: 'lobby2', secret: null })).not.toBe(topic)
  })
})
