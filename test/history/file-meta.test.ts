// What a message says about its file: the record round-trips, and a peer's name, type, size or
// hashes outside the limits make the whole description invalid rather than half-trusted.
import { describe, expect, it } from 'vitest'
import { MAX_FILE_BYTES, cleanFileName, cleanFileType, encodeFileMeta, parseFileMeta, type FileMeta } from '../../src/history/index.js'

const meta: FileMeta = {
  name: 'holiday photo.jpeg',
  type: 'image/jpeg',
  size: 1234,
  sha256: `${'A'.repeat(42)}_`,
  root: `${'b'.repeat(42)}-`,
}

describe('file descriptions', () => {
  it('round-trip through the annotation content', () => {
    expect(parseFileMeta(encodeFileMeta(meta))).toEqual(meta)
    expect(parseFileMeta(encodeFileMeta({ ...meta, type: '', size: MAX_FILE_BYTES }))).toEqual({ ...meta, type: '', size: MAX_FILE_BYTES })
  })

  it.each([
    ['not JSON', 'holiday.jpeg'],
    ['an array', '[]'],
    ['an empty name', encodeFileMeta({ ...meta, name: '  ' })],
    ['a name too long', encodeFileMeta({ ...meta, name: 'x'.repeat(256) })],
    ['a type that is no media type', encodeFileMeta({ ...meta, type: 'text/html; charset=utf-8' })],
    ['an upper-case type', encodeFileMeta({ ...meta, type: 'Image/PNG' })],
    ['a size over the limit', encodeFileMeta({ ...meta, size: MAX_FILE_BYTES + 1 })],
    ['a fractional size', encodeFileMeta({ ...meta, size: 1.5 })],
    ['a negative size', encodeFileMeta({ ...meta, size: -1 })],
    ['a short hash', encodeFileMeta({ ...meta, sha256: 'abc' })],
    ['a hash in plain base64', encodeFileMeta({ ...meta, root: `${'a'.repeat(42)}+` })],
    ['a missing field', JSON.stringify({ n: 'a', t: '', s: 1, h: meta.sha256 })],
  ])('refuse %s', (_, content) => {
    expect(parseFileMeta(content)).toBeNull()
  })

  it('clean what the browser reports before it is signed', () => {
    expect(cleanFileName('  a\u0000b\nc.txt ')).toBe('abc.txt')
    expect(cleanFileName('\u0007')).toBe('file')
    expect(cleanFileName('y'.repeat(300))).toHaveLength(255)
    expect(cleanFileType('Image/PNG')).toBe('image/png')
    expect(cleanFileType('text/plain; charset=utf-8')).toBe('text/plain')
    expect(cleanFileType('not a type')).toBe('')
  })
})
