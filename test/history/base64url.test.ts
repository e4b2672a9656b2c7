// The table-driven base64url that compact records are parsed with writes what the btoa-based
// encoder writes, at every length.
import { describe, expect, it } from 'vitest'
import { decodeCanonicalBase64url, encodeBase64url } from '../../src/history/base64url.js'
import { base64url } from '../../src/address/index.js'
import { fromBase64url } from '../../src/identity/index.js'

describe('encodeBase64url', () => {
  it('writes the same text as the btoa-based encoder, at every length and past one chunk', () => {
    for (const length of [0, 1, 2, 3, 4, 5, 16, 32, 64, 94, 95, 96, 97, 3 * 1024, 3 * 1024 + 1, 10_000, 16, 64]) {
      const bytes = crypto.getRandomValues(new Uint8Array(length))
      expect(encodeBase64url(bytes)).toBe(base64url(bytes))
    }
    expect(encodeBase64url(Uint8Array.from([0xfb, 0xff]))).toBe('-_8')
  })

  it('encodes a range of the bytes as it would the range alone, at every length and past one chunk', () => {
    for (const length of [0, 1, 2, 3, 16, 64, 97, 3 * 1024 + 1, 10_000]) {
      const bytes = crypto.getRandomValues(new Uint8Array(length + 10))
      for (const start of [0, 1, 2, 5])
        expect(encodeBase64url(bytes, start, start + length)).toBe(base64url(bytes.subarray(start, start + length)))
    }
  })
})

describe('decodeCanonicalBase64url', () => {
  /** What compact records did before: decode with atob, keep the bytes only if they encode back to the text. */
  const decodedAndCompared = (text: string): Uint8Array | null => {
    const bytes = fromBase64url(text)
    return bytes.length > 0 && encodeBase64url(bytes) === text ? bytes : null
  }

  it('gives the bytes of canonical texts, and null wherever decoding and comparing did', () => {
    const texts: string[] = ['', 'A', 'AA', 'AB', 'AAA', 'AAB', 'AAAA', '-_8', '-_9', '+/8', 'AA==', 'AAA=', ' AAA', 'AA AA', 'é', 'AAAAA']
    for (const length of [1, 2, 3, 15, 16, 17, 32, 64]) {
      const text = base64url(crypto.getRandomValues(new Uint8Array(length)))
      texts.push(text, `${text}=`, `${text}A`, text.replace(/.$/, 'B'), text.replace(/.$/, '_'), `${text.slice(0, -1)}+`)
    }
    for (const text of texts) expect([text, decodeCanonicalBase64url(text)]).toEqual([text, decodedAndCompared(text)])
  })
})
