// Which shared files are previewed: only an allowed image type whose first bytes are that format;
// an SVG, a mislabelled file or one claiming a type it is not stays a download.
import { describe, expect, it } from 'vitest'
import { isPreviewType, previewTypeOf } from '../../src/components/verified-blob-url.js'

const bytes = (...values: number[]) => new Uint8Array([...values, 0, 0, 0, 0])
const PNG = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)
const JPEG = bytes(0xff, 0xd8, 0xff, 0xe0)
const GIF = bytes(...Buffer.from('GIF89a'))
const WEBP = bytes(...Buffer.from('RIFF'), 1, 2, 3, 4, ...Buffer.from('WEBPVP8 '))

describe('previewTypeOf', () => {
  it('previews png, jpeg, gif and webp whose bytes are that format', () => {
    expect(previewTypeOf('image/png', PNG)).toBe('image/png')
    expect(previewTypeOf('image/jpeg', JPEG)).toBe('image/jpeg')
    expect(previewTypeOf('image/gif', GIF)).toBe('image/gif')
    expect(previewTypeOf('image/webp', WEBP)).toBe('image/webp')
  })

  it('does not preview svg, other types, or bytes that are not the claimed format', () => {
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    expect(isPreviewType('image/svg+xml')).toBe(false)
    expect(previewTypeOf('image/svg+xml', svg)).toBeNull()
    expect(previewTypeOf('image/png', svg)).toBeNull()
    expect(previewTypeOf('text/html', PNG)).toBeNull()
    expect(previewTypeOf('image/jpeg', PNG)).toBeNull()
    expect(previewTypeOf('image/webp', bytes(...Buffer.from('RIFF'), 1, 2, 3, 4, ...Buffer.from('WAVE')))).toBeNull()
    expect(previewTypeOf('constructor', PNG)).toBeNull()
  })
})
