// Reading room links: valid public and private links open what they did before; every broken
// shape of a private link is named, and none of them opens a room (public or private) instead.
import { describe, expect, it } from 'vitest'
import { DEFAULT_ROOM, MAX_ROOM_CHARS } from '../../src/address/config.js'
import { newPrivateRoom, roomFragment } from '../../src/address/room-address.js'
import { parseRoomFragment, readRoomLink, type RoomLinkProblem } from '../../src/address/room-link.js'

/** A key as newPrivateRoom makes them: 22 characters of URL-safe base64. */
const KEY = 'AbCdEfGhIjKlMnOpQr-_09'
const ID = 'Xy3_-9aBcDeF'

describe('readRoomLink: links that open a room', () => {
  it('reads a public room name, as before', () => {
    expect(readRoomLink('#lobby')).toEqual({ ok: true, address: { name: 'lobby', secret: null } })
    expect(readRoomLink('lobby')).toEqual({ ok: true, address: { name: 'lobby', secret: null } })
    expect(readRoomLink('#team%20chat')).toEqual({ ok: true, address: { name: 'team chat', secret: null } })
    expect(readRoomLink('#%E0%A4%A')).toEqual({ ok: true, address: { name: '%E0%A4%A', secret: null } })
    expect(readRoomLink('#  padded  ')).toEqual({ ok: true, address: { name: 'padded', secret: null } })
    // A public room may be called "room" or "key", and a name may hold a `=` that is not a parameter.
    expect(readRoomLink('#room')).toEqual({ ok: true, address: { name: 'room', secret: null } })
    expect(readRoomLink('#key')).toEqual({ ok: true, address: { name: 'key', secret: null } })
    expect(readRoomLink('#a=b')).toEqual({ ok: true, address: { name: 'a=b', secret: null } })
    expect(readRoomLink('#room%3Dx%26key%3Dy')).toEqual({ ok: true, address: { name: 'room=x&key=y', secret: null } })
  })

  it('caps a long public name and falls back to the default room, as before', () => {
    expect(readRoomLink(`#${'n'.repeat(MAX_ROOM_CHARS + 5)}`)).toEqual({
      ok: true,
      address: { name: 'n'.repeat(MAX_ROOM_CHARS), secret: null },
    })
    expect(readRoomLink('')).toEqual({ ok: true, address: { name: DEFAULT_ROOM, secret: null } })
    expect(readRoomLink('#')).toEqual({ ok: true, address: { name: DEFAULT_ROOM, secret: null } })
    expect(readRoomLink('#%20')).toEqual({ ok: true, address: { name: DEFAULT_ROOM, secret: null } })
  })

  it('reads a whole private link, in either order and with other parameters beside it', () => {
    const address = { name: ID, secret: KEY }
    expect(readRoomLink(`#room=${ID}&key=${KEY}`)).toEqual({ ok: true, address })
    expect(readRoomLink(`room=${ID}&key=${KEY}`)).toEqual({ ok: true, address })
    expect(readRoomLink(`#key=${KEY}&room=${ID}`)).toEqual({ ok: true, address })
    expect(readRoomLink(`#room=${ID}&key=${KEY}&utm_source=mail`)).toEqual({ ok: true, address })
    expect(readRoomLink(`#room=team%20one&key=${KEY}`)).toEqual({ ok: true, address: { name: 'team one', secret: KEY } })
  })

  it('opens every private room newPrivateRoom makes, through roomFragment', () => {
    for (let i = 0; i < 200; i++) {
      const address = newPrivateRoom()
      expect(readRoomLink(roomFragment(address))).toEqual({ ok: true, address })
    }
  })
})

describe('readRoomLink: broken private links', () => {
  const cases: Array<[string, string, RoomLinkProblem]> = [
    ['cut after key=', `#room=${ID}&key=`, 'missing-key'],
    ['cut inside "key"', `#room=${ID}&ke`, 'missing-key'],
    ['cut after the &', `#room=${ID}&`, 'missing-key'],
    ['cut after the id', `#room=${ID}`, 'missing-key'],
    ['cut inside the id', '#room=Xy3', 'missing-key'],
    ['cut right after room=', '#room=', 'missing-room'],
    ['key= with no value marker', `#room=${ID}&key`, 'missing-key'],
    ['cut one character short', `#room=${ID}&key=${KEY.slice(0, -1)}`, 'short-key'],
    ['cut to half the key', `#room=${ID}&key=${KEY.slice(0, 11)}`, 'short-key'],
    ['cut to one character', `#room=${ID}&key=A`, 'short-key'],
    ['a full stop pasted after it', `#room=${ID}&key=${KEY}.`, 'long-key'],
    ['a bracket pasted after it', `#room=${ID}&key=${KEY})`, 'long-key'],
    ['a character too many', `#room=${ID}&key=${KEY}A`, 'long-key'],
    ['a space inside the key', `#room=${ID}&key=${KEY.slice(0, 10)}%20${KEY.slice(11)}`, 'bad-key'],
    ['a plus (read as a space)', `#room=${ID}&key=${KEY.slice(0, 10)}+${KEY.slice(11)}`, 'bad-key'],
    ['standard base64 characters', `#room=${ID}&key=${KEY.slice(0, 20)}+/`, 'bad-key'],
    ['an escaped slash', `#room=${ID}&key=${KEY.slice(0, 19)}%2F`, 'bad-key'],
    ['a stray percent', `#room=${ID}&key=${KEY.slice(0, 19)}%zz`, 'bad-key'],
    ['non-ASCII characters', `#room=${ID}&key=${KEY.slice(0, 20)}%C3%A9`, 'bad-key'],
    ['padding', `#room=${ID}&key=${KEY.slice(0, 20)}==`, 'bad-key'],
    ['a short key with bad characters', `#room=${ID}&key=ab.c`, 'bad-key'],
    ['no room id', `#key=${KEY}`, 'missing-room'],
    ['an empty room id', `#room=&key=${KEY}`, 'missing-room'],
    ['a blank room id', `#room=%20%20&key=${KEY}`, 'missing-room'],
    ['an id longer than any room name', `#room=${'r'.repeat(MAX_ROOM_CHARS + 1)}&key=${KEY}`, 'long-room'],
    ['two keys', `#room=${ID}&key=${KEY}&key=${KEY}`, 'repeated'],
    ['two rooms', `#room=${ID}&room=other&key=${KEY}`, 'repeated'],
    ['upper-case parameter names', `#Room=${ID}&KEY=${KEY}`, 'missing-room'],
    ['a leading & before the parameters', `#&room=${ID}&key=`, 'missing-key'],
  ]
  for (const [shape, fragment, problem] of cases) {
    it(`names ${shape} as ${problem}`, () => {
      expect(readRoomLink(fragment)).toEqual({ ok: false, problem })
    })
  }

  it('refuses every truncation of a private link that keeps "room=", and opens no public room for any', () => {
    const link = roomFragment({ name: ID, secret: KEY })
    const whole = link.length
    for (let end = '#room='.length; end < whole; end++) {
      const result = readRoomLink(link.slice(0, end))
      expect(result.ok, link.slice(0, end)).toBe(false)
    }
    expect(readRoomLink(link).ok).toBe(true)
  })
})

describe('parseRoomFragment', () => {
  it('returns the room of a valid link', () => {
    expect(parseRoomFragment('#lobby')).toEqual({ name: 'lobby', secret: null })
    expect(parseRoomFragment(`#room=${ID}&key=${KEY}`)).toEqual({ name: ID, secret: KEY })
  })

  it('throws on a broken private link instead of opening another room', () => {
    expect(() => parseRoomFragment(`#room=${ID}&key=${KEY.slice(0, 5)}`)).toThrow('short-key')
  })
})
