// Author ids and names read from raw bytes are converted once and found again by their bytes:
// the text is always the bytes' base64url or UTF-8, whatever was remembered before.
import { describe, expect, it } from 'vitest'
import { base64url } from '../../src/address/index.js'
import { idString, nameString } from '../../src/history/compact-fields.js'

describe('idString', () => {
  it("returns each id's base64url, the same string for the same bytes in another array", () => {
    const ids = Array.from({ length: 50 }, () => crypto.getRandomValues(new Uint8Array(16)))
    for (const id of ids) expect(idString(id)).toBe(base64url(id))
    for (const id of ids) expect(idString(Uint8Array.from(id))).toBe(base64url(id))
  })

  it('tells apart ids that differ in one byte or in length', () => {
    const id = crypto.getRandomValues(new Uint8Array(16))
    const oneByteOff = id.map((byte, index) => (index === 15 ? byte ^ 1 : byte))
    expect(idString(id)).toBe(base64url(id))
    expect(idString(oneByteOff)).toBe(base64url(oneByteOff))
    expect(idString(id.subarray(0, 15))).toBe(base64url(id.subarray(0, 15)))
  })

  it('stays right past the number of ids it remembers', () => {
    const ids = Array.from({ length: 3000 }, () => crypto.getRandomValues(new Uint8Array(16)))
    for (const id of ids) idString(id)
    for (const id of ids) expect(idString(id)).toBe(base64url(id))
  })
})

describe('nameString', () => {
  it('decodes UTF-8 from a range of the bytes, the same for the same bytes elsewhere', () => {
    const utf8 = new TextEncoder()
    for (const name of ['Alice', 'Zoë', '👩‍💻 Bob', 'Alicf']) {
      const bytes = Uint8Array.of(9, 9, ...utf8.encode(name), 9)
      expect(nameString(bytes, 2, bytes.length - 1)).toBe(name)
      expect(nameString(utf8.encode(name))).toBe(name)
    }
  })

  it('reads malformed UTF-8 as U+FFFD, as Yjs reads its strings', () => {
    expect(nameString(Uint8Array.of(0x41, 0xff, 0x42))).toBe('A\uFFFDB')
  })
})

describe('idString over a range', () => {
  it('encodes the range alone, and tells it apart from the same bytes one shorter', () => {
    const bytes = crypto.getRandomValues(new Uint8Array(20))
    expect(idString(bytes, 2, 18)).toBe(base64url(bytes.subarray(2, 18)))
    expect(idString(bytes, 2, 17)).toBe(base64url(bytes.subarray(2, 17)))
    expect(idString(bytes.slice(2, 18))).toBe(base64url(bytes.subarray(2, 18)))
  })
})
