// The file channel's wire format and chunk arithmetic: every frame kind round-trips, anything
// malformed or over the limits parses to null, and a chunk is checked against its listed hash.
import { describe, expect, it } from 'vitest'
import {
  CHUNK_BYTES,
  DATA_HEADER_BYTES,
  HASHES_PER_PART,
  HASH_BYTES,
  chunkCount,
  chunkLength,
  dataFits,
  encodeControlFrame,
  encodeDataFrame,
  parseControlFrame,
  parseDataFrame,
  partCount,
  partLength,
  type FileControlFrame,
} from '../../src/transport/file-protocol.js'
import { chunkMatches, hashFile, sha256 } from '../../src/transport/file-hash.js'

const HASH = 'A'.repeat(43)

describe('control frames', () => {
  it('round-trip every kind', () => {
    const frames: FileControlFrame[] = [
      { t: 'want', q: 1, h: HASH, r: `${'b'.repeat(42)}_` },
      { t: 'have', q: 2 },
      { t: 'none', q: 3 },
      { t: 'cancel', q: 4 },
      { t: 'get', q: 5, i: 0 },
      { t: 'get', q: 6, i: 7, l: 1 },
    ]
    for (const frame of frames) expect(parseControlFrame(encodeControlFrame(frame))).toEqual(frame)
  })

  it('refuse malformed, unknown or over-long frames', () => {
    const bad: unknown[] = [
      '{"t":"want","q":1,"h":"short","r":"short"}',
      `{"t":"want","q":1,"h":"${HASH}"}`,
      `{"t":"want","q":1,"h":"${'+'.repeat(43)}","r":"${HASH}"}`,
      '{"t":"get","q":1}',
      '{"t":"get","q":1,"i":-1}',
      '{"t":"get","q":1,"i":1.5}',
      '{"t":"get","q":1,"i":4294967296}',
      '{"t":"get","q":1,"i":2,"l":2}',
      '{"t":"have"}',
      '{"t":"have","q":"1"}',
      '{"t":"steal","q":1}',
      `{"t":"have","q":1,"x":"${'x'.repeat(300)}"}`,
      'not json',
      new Uint8Array([123, 125]),
      null,
    ]
    for (const data of bad) expect(parseControlFrame(data), String(data)).toBeNull()
  })
})

describe('data frames', () => {
  it('round-trip a chunk and a list part, from an ArrayBuffer as channels deliver them', () => {
    const payload = new Uint8Array([1, 2, 3])
    for (const kind of ['chunk', 'part'] as const) {
      const wire = encodeDataFrame({ kind, q: 4_000_000_000, index: 12, payload })
      const parsed = parseDataFrame(wire.buffer.slice(0))
      expect(parsed).toEqual({ kind, q: 4_000_000_000, index: 12, payload })
    }
  })

  it('refuse text, unknown kinds, short headers and payloads over CHUNK_BYTES', () => {
    const tooLong = encodeDataFrame({ kind: 'chunk', q: 1, index: 0, payload: new Uint8Array(CHUNK_BYTES + 1) })
    const unknownKind = encodeDataFrame({ kind: 'chunk', q: 1, index: 0, payload: new Uint8Array(1) })
    unknownKind[0] = 9
    for (const data of ['chunk', new Uint8Array(DATA_HEADER_BYTES - 1), tooLong, unknownKind]) expect(parseDataFrame(data)).toBeNull()
    expect(parseDataFrame(encodeDataFrame({ kind: 'chunk', q: 1, index: 0, payload: new Uint8Array(CHUNK_BYTES) }))).not.toBeNull()
  })

  it('fit only the length their kind and index call for', () => {
    const size = CHUNK_BYTES * 2 + 5
    const chunk = (index: number, length: number) => ({ kind: 'chunk' as const, q: 1, index, payload: new Uint8Array(length) })
    expect(dataFits(chunk(0, CHUNK_BYTES), size)).toBe(true)
    expect(dataFits(chunk(2, 5), size)).toBe(true)
    expect(dataFits(chunk(2, 6), size)).toBe(false)
    expect(dataFits(chunk(3, 0), size)).toBe(false)
    expect(dataFits({ kind: 'part', q: 1, index: 0, payload: new Uint8Array(3 * HASH_BYTES) }, size)).toBe(true)
    expect(dataFits({ kind: 'part', q: 1, index: 1, payload: new Uint8Array(0) }, size)).toBe(false)
  })
})

describe('chunk arithmetic', () => {
  it('cuts files into CHUNK_BYTES chunks and the hash list into parts of HASHES_PER_PART', () => {
    expect([chunkCount(0), chunkCount(1), chunkCount(CHUNK_BYTES), chunkCount(CHUNK_BYTES + 1)]).toEqual([1, 1, 1, 2])
    expect(chunkLength(CHUNK_BYTES + 1, 1)).toBe(1)
    expect(chunkLength(CHUNK_BYTES + 1, 2)).toBe(-1)
    const size = 25 * 1024 * 1024
    expect(chunkCount(size)).toBe(1600)
    expect(partCount(size)).toBe(Math.ceil(1600 / HASHES_PER_PART))
    expect(partLength(size, 3)).toBe((1600 - 3 * HASHES_PER_PART) * HASH_BYTES)
  })
})

describe('hashes', () => {
  it('name a file by its SHA-256 and the root of its chunk-hash list, and catch a changed chunk', async () => {
    const bytes = new Uint8Array(CHUNK_BYTES * 2 + 100).map((_, index) => index % 251)
    const held = await hashFile(bytes)
    const whole = Buffer.from(await sha256(bytes)).toString('base64url')
    expect(held.ref).toEqual({ sha256: whole, root: Buffer.from(await sha256(held.list)).toString('base64url'), size: bytes.length })
    expect(held.list.length).toBe(3 * HASH_BYTES)
    const second = bytes.slice(CHUNK_BYTES, 2 * CHUNK_BYTES)
    expect(await chunkMatches(held.list, 1, second)).toBe(true)
    second[7] ^= 1
    expect(await chunkMatches(held.list, 1, second)).toBe(false)
    expect(await chunkMatches(held.list, 0, bytes.slice(CHUNK_BYTES, 2 * CHUNK_BYTES))).toBe(false)
  })
})
