// The records bench's counts: what the design guarantees about record sizes, asserted on a small
// run (bytes, not times, so they hold on any machine).
import { describe, expect, it } from 'vitest'
import { runRecordsBench } from '../../bench/records.js'

describe('runRecordsBench', () => {
  it('finds compact and binary records far smaller than full ones, and above stock by about a signature', async () => {
    const figures = await runRecordsBench({ count: 200, authors: [1, 3] })
    for (const authors of [1, 3]) {
      const of = (format: string) => figures.find((f) => f.format === format && f.authors === authors)
      const [full, compact, binary, stock] = [of('v1 signed'), of('v2 signed'), of('v3 signed (now)'), of('stock unsigned')]
      if (full === undefined || compact === undefined || binary === undefined || stock === undefined)
        throw new Error(`missing figures for ${authors} authors`)
      // The key (43 characters) and base64url's third over the signature and ids are gone.
      expect(full.docBytesPerRecord - compact.docBytesPerRecord).toBeGreaterThan(100)
      expect(full.updateBytesMedian - compact.updateBytesMedian).toBeGreaterThan(100)
      // The binary format drops the field names but the text's, and their type tags.
      expect(binary.docBytesPerRecord).toBeLessThan(compact.docBytesPerRecord)
      expect(binary.updateBytesMedian).toBeLessThan(compact.updateBytesMedian)
      // What is left over stock is the 64-byte signature with its field name (length prefix in v3).
      for (const signed of [compact, binary]) {
        expect(signed.docBytesPerRecord - stock.docBytesPerRecord).toBeGreaterThanOrEqual(50)
        expect(signed.docBytesPerRecord - stock.docBytesPerRecord).toBeLessThan(80)
        // An author's first send carries its 32-byte key once.
        expect(signed.firstUpdateBytes - signed.updateBytesMedian).toBeGreaterThanOrEqual(32)
      }
    }
  })
})
