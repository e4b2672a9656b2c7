import { describe, expect, it } from 'vitest'
import { PRIVATE_KEY_CHARS, newPrivateRoom, roomFragment, topicFor } from '../../src/address/room-address.js'
import { parseRoomFragment } from '../../src/address/room-link.js'

describe('roomFragment', () => {
  it('round-trips through parseRoomFragment, public and private', () => {
    for (const address of [
      { name: 'lobby', secret: null },
      { name: 'a b&c', secret: null },
      { name: 'room=x&key=y', secret: null },
      newPrivateRoom(),
    ]) {
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
    expect(PRIVATE_KEY_CHARS).toBe(22)
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
