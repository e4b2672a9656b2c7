import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { appendMessage, lostRecords, readMessages, restoreRecords, withoutCopies } from '../../src/history/messages.js'
import { messagesOf, type MessageRecord } from '../../src/history/schema.js'

const record = (n: number, extra: Partial<MessageRecord> = {}): MessageRecord => ({
  id: `m${n}`,
  authorId: 'u1',
  authorName: 'Alice',
  text: `message ${n}`,
  sentAt: 1000 + n,
  ...extra,
})

/** Peers that exchange every update. */
function mesh(count: number): Y.Doc[] {
  const docs = Array.from({ length: count }, () => new Y.Doc())
  for (const doc of docs) {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      for (const other of docs) if (other !== doc && origin !== other) Y.applyUpdate(other, update, doc)
    })
  }
  return docs
}

describe('withoutCopies', () => {
  it('keeps the first of identical records, and keeps a different record that reuses an id', () => {
    const kept = new Map<string, MessageRecord[]>()
    const forged = record(1, { text: 'forged' })
    expect(withoutCopies([record(1), record(2), record(1), forged], kept)).toEqual([record(1), record(2), forged])
    expect(withoutCopies([record(2), record(3)], kept)).toEqual([record(3)])
  })
})

describe('lostRecords', () => {
  it('finds what vanished, with its old index', () => {
    expect(lostRecords([record(1), record(2), record(3)], [record(1), record(3)])).toEqual([{ index: 1, record: record(2) }])
    expect(lostRecords([record(1)], [record(1, { text: 'changed' })])).toEqual([{ index: 0, record: record(1) }])
    expect(lostRecords([record(1)], [record(0), record(1)])).toEqual([])
  })
})

describe('restoring a deletion', () => {
  it('brings the message back for everyone, once in the view even when every peer restores it', () => {
    const [mallory, alice, bob] = mesh(3)
    for (const n of [1, 2, 3]) appendMessage(alice, record(n))
    const shownByAlice = readMessages(alice).messages
    const shownByBob = readMessages(bob).messages

    messagesOf(mallory).delete(1, 1)
    expect(readMessages(alice).messages.map((m) => m.id)).toEqual(['m1', 'm3'])

    restoreRecords(alice, lostRecords(shownByAlice, readMessages(alice).messages), 'restore')
    restoreRecords(bob, lostRecords(shownByBob, readMessages(bob).messages), 'restore')
    for (const doc of [mallory, alice, bob]) {
      expect(withoutCopies(readMessages(doc).messages, new Map()).map((m) => m.id)).toEqual(['m1', 'm2', 'm3'])
    }
  })
})
