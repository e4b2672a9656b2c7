// Author ids read from raw bytes are encoded once and found again by their bytes: the text is
// always the bytes' base64url, whatever was remembered before.
import { describe, expect, it } from 'vitest'
import { base64url } from '../../src/address/index.js'
import { idString } from '../../src/history/compact-fields.js'

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
