// The guard every remote presence field passes, and the refs built from it.
// Inputs are what JSON.parse can hand over from an untrusted peer.

import { describe, expect, it } from 'vitest'
import {
  clientOfRef,
  isPlainObject,
  MAX_PRESENCE_KEY_CHARS,
  parsePresenceField,
  presenceRef,
  type MetaGuard,
} from '../../src/presence/presence-field.js'

const parseNamed: MetaGuard<{ name: string }> = (value) =>
  isPlainObject(value) && typeof value.name === 'string' ? { name: value.name } : undefined

describe('parsePresenceField', () => {
  it('accepts a well-formed field and returns what the meta guard returns', () => {
    const wire = JSON.parse('{"key":"alice","meta":{"name":"Alice","extra":1},"version":0}') as unknown

    expect(parsePresenceField(wire)).toEqual({ key: 'alice', meta: { name: 'Alice', extra: 1 }, version: 0 })
    expect(parsePresenceField(wire, parseNamed)).toEqual({ key: 'alice', meta: { name: 'Alice' }, version: 0 })
  })

  it.each([
    ['null', null],
    ['a number', 5],
    ['a string', 'alice'],
    ['an array', [{ key: 'a', meta: {}, version: 1 }]],
    ['no key', { meta: {}, version: 1 }],
    ['an empty key', { key: '', meta: {}, version: 1 }],
    ['a key too long', { key: 'k'.repeat(MAX_PRESENCE_KEY_CHARS + 1), meta: {}, version: 1 }],
    ['a numeric key', { key: 7, meta: {}, version: 1 }],
    ['no version', { key: 'a', meta: {} }],
    ['a negative version', { key: 'a', meta: {}, version: -1 }],
    ['a fractional version', { key: 'a', meta: {}, version: 0.5 }],
    ['an unsafe version', { key: 'a', meta: {}, version: 2 ** 60 }],
    ['a string version', { key: 'a', meta: {}, version: '1' }],
    ['a null meta', { key: 'a', meta: null, version: 1 }],
    ['an array meta', { key: 'a', meta: [], version: 1 }],
    ['a meta with ref', { key: 'a', meta: { ref: 'x' }, version: 1 }],
    ['a meta with refPrev', { key: 'a', meta: { refPrev: 'x' }, version: 1 }],
  ])('rejects %s', (_name, value) => {
    expect(parsePresenceField(value)).toBeUndefined()
  })

  it('rejects a meta its guard rejects', () => {
    expect(parsePresenceField({ key: 'a', meta: { name: 1 }, version: 1 }, parseNamed)).toBeUndefined()
  })

  it('accepts a key of exactly MAX_PRESENCE_KEY_CHARS and keys named like Object.prototype members', () => {
    for (const key of ['k'.repeat(MAX_PRESENCE_KEY_CHARS), '__proto__', 'constructor']) {
      expect(parsePresenceField({ key, meta: {}, version: 1 })?.key).toBe(key)
    }
  })
})

describe('refs', () => {
  it('are clientID:version, and the client part can be read back', () => {
    expect(presenceRef(123, 4)).toBe('123:4')
    expect(clientOfRef(presenceRef(123, 4))).toBe('123')
    expect(clientOfRef('no-colon')).toBe('no-colon')
  })
})
