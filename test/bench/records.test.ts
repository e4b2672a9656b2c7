// The records bench's counts: what the design guarantees about record sizes, asserted on a small
// run (bytes, not times, so they hold on any machine).
import { describe, expect, it } from 'vitest'
import { runRecordsBench } from '../../bench/records.js'

describe('runRecordsBench', () => {
  it('finds compact records far smaller than full ones, and above stock by about a signature', async () => {
    const figures = await runRecordsBench({ count: 200, authors: [1, 3] })
    for (const authors of [1, 3]) {
      const of = (format: string) => figures.find((f) => f.format === format && f.authors === authors)
      const [full, compact, stock] = [of('v1 signed (before)'), of('v2 signed (after)'), of('stock unsigned')]
      if (full === undefined || compact === undefined || stock === undefined) throw new Error(`missing figures for ${authors} authors`)
      // The key (43 characters) and base64url's third over the signature and ids are gone.
      expect(full.docBytesPerRecord - compact.docBytesPerRecord).toBeGreaterThan(100)
      expect(full.updateBytesMedian - compact.updateBytesMedian).toBeGreaterThan(100)
      // What is left over stock is the 64-byte signature with its field name.
      expect(compact.docBytesPerRecord - stock.docBytesPerRecord).toBeGreaterThanOrEqual(64)
      expect(compact.docBytesPerRecord - stock.docBytesPerRecord).toBeLessThan(80)
      // An author's first send carries its 32-byte key once.
      expect(compact.firstUpdateBytes - compact.updateBytesMedian).toBeGreaterThanOrEqual(32)
    }
  })
})
