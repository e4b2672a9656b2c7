// changedDocument: the transport follows inserts and deletions, not transactions that wrote nothing.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { changedDocument } from '../../src/updates/index.js'

function changesOf(doc: Y.Doc, write: () => void): boolean[] {
  const seen: boolean[] = []
  const listener = (transaction: Y.Transaction): void => {
    seen.push(changedDocument(transaction))
  }
  doc.on('afterTransaction', listener)
  doc.transact(write)
  doc.off('afterTransaction', listener)
  return seen
}

describe('changedDocument', () => {
  it('is true for an insert and for a deletion, false for a transaction that wrote nothing', () => {
    const doc = new Y.Doc()
    const texts = doc.getArray<string>('texts')
    expect(changesOf(doc, () => texts.push(['a']))).toEqual([true])
    expect(changesOf(doc, () => {})).toEqual([false])
    expect(changesOf(doc, () => texts.delete(0, 1))).toEqual([true])
  })
})
