// A Yjs update's records and clock ranges read from its meta at most once, whoever asks for which
// first: the relay counts a batch for its budget and, for one left to the digests, notes its ranges.
import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { transactionUpdate, updateClockRanges, updateClocks } from '../../src/updates/index.js'

/** Reads of an update's meta (Yjs's reader, wrapped to count its calls; what it returns is Yjs's own). */
const reads = vi.hoisted(() => ({ count: 0 }))

vi.mock('yjs', async (original) => {
  const yjs = await original<typeof import('yjs')>()
  return {
    ...yjs,
    parseUpdateMeta: (update: Uint8Array) => {
      reads.count++
      return yjs.parseUpdateMeta(update)
    },
  }
})

describe('updateClocks', () => {
  it('reads an update once for its records and its ranges, and a send not at all', () => {
    const writer = new Y.Doc()
    writer.getArray('messages').push(['a', 'b', 'c'])
    const update = Y.encodeStateAsUpdate(writer)
    const expected = updateClockRanges(update)
    reads.count = 0
    const clocks = updateClocks(update)
    expect(reads.count).toBe(0) // nothing read until asked
    expect(clocks.records).toBe(3)
    expect(clocks.ranges()).toEqual(expected)
    expect(clocks.records).toBe(3)
    expect(reads.count).toBe(1) // main's relay: 2 for a batch left to the digests (updateRecords, then updateClockRanges)

    // A send: its records and ranges are known as its transaction wrote them, never read.
    const sends: Uint8Array[] = []
    writer.on('beforeObserverCalls', (transaction: Y.Transaction) => sends.push(transactionUpdate(transaction)))
    writer.getArray('messages').push(['d', 'e'])
    reads.count = 0
    const sent = updateClocks(sends[0] ?? new Uint8Array())
    expect(sent.records).toBe(2)
    expect(sent.ranges()).toEqual([{ client: writer.clientID, from: 3, to: 5 }])
    expect(reads.count).toBe(0)

    // Not an update: no records, no ranges, one read.
    reads.count = 0
    const junk = updateClocks(new Uint8Array([1, 2, 3]))
    expect([junk.records, junk.ranges(), reads.count]).toEqual([0, null, 1])
  })
})
