// A large update cut into slices: each slice holds at most the records asked, and documents fed
// the same updates in different slices, or in a different order, end the same.
import * as decoding from 'lib0/decoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { RECORDS_PER_SLICE, SLICE_ABOVE_BYTES, sliceSyncMessage, sliceUpdate } from '../../src/transport/update-slices.js'
import { seededRandom } from '../support/seeded-random.js'
import { syncMessage } from '../support/sync-message.js'

/** Records (clock units of array values; one for anything else) an update holds. */
function recordsIn(update: Uint8Array): number {
  return Y.decodeUpdate(update).structs.reduce(
    (sum, struct) => sum + (struct instanceof Y.Item && struct.content instanceof Y.ContentAny ? struct.length : 1),
    0,
  )
}

/** What a room's document holds that a reader sees: its arrays and map as JSON. */
function contents(doc: Y.Doc): unknown {
  return { messages: doc.getArray('messages').toJSON(), keys: doc.getArray('keys').toJSON(), notes: doc.getMap('notes').toJSON() }
}

/**
 * A document written by three peers, each syncing with the others now and then: records appended
 * one by one and in runs (merged into one struct), binary records, map entries overwritten, and
 * deletions (a delete set), interleaved so that origins cross clients.
 */
function writtenDocument(seed: number): Y.Doc {
  const random = seededRandom(seed)
  const peers = [new Y.Doc(), new Y.Doc(), new Y.Doc()]
  for (let round = 0; round < 40; round++) {
    const peer = peers[Math.floor(random() * peers.length)]
    const messages = peer.getArray<unknown>('messages')
    const run = 1 + Math.floor(random() * 30)
    peer.transact(() => {
      for (let k = 0; k < run; k++) messages.push([{ id: `${round}-${k}`, text: `text ${round} ${k}` }])
    })
    if (random() < 0.3) messages.push([Uint8Array.of(round, 1, 2, 3)])
    if (random() < 0.2) peer.getArray<string>('keys').push([`key-${round}`])
    if (random() < 0.3) peer.getMap<number>('notes').set(`n${round % 5}`, round)
    if (random() < 0.15 && messages.length > 3) messages.delete(Math.floor(random() * (messages.length - 2)), 2)
    if (random() < 0.4) {
      const other = peers[Math.floor(random() * peers.length)]
      Y.applyUpdate(other, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(other)))
    }
  }
  const doc = new Y.Doc()
  for (const peer of peers) Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer))
  return doc
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const result = [...items]
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[result[i], result[j]] = [result[j], result[i]]
  }
  return result
}

/** Dozens of documents written and fed slice by slice: seconds on a loaded machine, not vitest's default 5 s. */
const SLICING_TEST_TIMEOUT_MS = 30_000

describe('sliceUpdate', { timeout: SLICING_TEST_TIMEOUT_MS }, () => {
  it('cuts a large update into slices of at most the records asked, each applicable in turn, which together make the document', () => {
    for (const seed of [1, 2, 3]) {
      const source = writtenDocument(seed)
      const update = Y.encodeStateAsUpdate(source)
      for (const perSlice of [2, 7, 50]) {
        const slices = sliceUpdate(update, perSlice)
        expect(slices).not.toBeNull()
        for (const slice of slices ?? []) expect(recordsIn(slice)).toBeLessThanOrEqual(perSlice)
        const doc = new Y.Doc()
        for (const slice of slices ?? []) {
          Y.applyUpdate(doc, slice)
          // In the order cut, nothing waits for a later slice: what a struct names came before it.
          expect(doc.store.pendingStructs).toBeNull()
        }
        expect(contents(doc)).toEqual(contents(source))
        expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(source))
      }
    }
  })

  it('converges whatever the slicing and the order the slices come in', () => {
    for (const seed of [11, 12, 13]) {
      const random = seededRandom(seed)
      const source = writtenDocument(seed)
      // Updates as a peer relays them: what changed since some earlier state, overlapping.
      const midway = Y.encodeStateVector(writtenDocument(seed + 100))
      const updates = [Y.encodeStateAsUpdate(source, midway), Y.encodeStateAsUpdate(source)]
      const docs = [3, 29, 200].map((perSlice) => {
        const doc = new Y.Doc()
        const pieces = updates.flatMap((update) => sliceUpdate(update, perSlice) ?? [update])
        for (const piece of perSlice === 29 ? shuffled(pieces, random) : pieces) Y.applyUpdate(doc, piece)
        return doc
      })
      const whole = new Y.Doc()
      for (const update of updates) Y.applyUpdate(whole, update)
      for (const doc of docs) {
        expect(contents(doc)).toEqual(contents(whole))
        expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(whole))
        expect(doc.store.pendingStructs).toBeNull()
      }
      expect(contents(whole)).toEqual(contents(source))
    }
  })

  it('keeps one writer’s records in the order written', () => {
    const writer = new Y.Doc()
    const messages = writer.getArray<string>('messages')
    for (let k = 0; k < 1000; k++) messages.push([`m${k}`])
    const doc = new Y.Doc()
    const seen: number[] = []
    doc.getArray('messages').observe((event) => seen.push(event.changes.delta.reduce((sum, part) => sum + (part.insert?.length ?? 0), 0)))
    for (const slice of sliceUpdate(Y.encodeStateAsUpdate(writer), 64) ?? []) Y.applyUpdate(doc, slice)
    expect(doc.getArray('messages').toJSON()).toEqual(messages.toJSON())
    expect(Math.max(...seen)).toBeLessThanOrEqual(64)
    expect(seen.length).toBe(Math.ceil(1000 / 64))
  })

  it('leaves an update of no more than a slice whole', () => {
    const doc = new Y.Doc()
    doc.getArray('messages').push(Array.from({ length: 10 }, (_, k) => k))
    expect(sliceUpdate(Y.encodeStateAsUpdate(doc), 10)).toBeNull()
  })
})

describe('sliceSyncMessage', () => {
  const large = (): Uint8Array => {
    const doc = new Y.Doc()
    const messages = doc.getArray<string>('messages')
    for (let k = 0; k < RECORDS_PER_SLICE * 3 + 5; k++) messages.push([`a record of some length, number ${k}`.padEnd(120, '.')])
    return Y.encodeStateAsUpdate(doc)
  }

  it('cuts a large sync update into sync updates, and a step 2 that is no joiner’s history into steps 2', () => {
    const update = large()
    expect(update.byteLength).toBeGreaterThan(SLICE_ABOVE_BYTES)
    for (const kind of [2, 1]) {
      const parts = sliceSyncMessage(syncMessage(kind, update), { step2: true })
      expect(parts?.length).toBe(4)
      const doc = new Y.Doc()
      for (const written of parts ?? []) {
        const part = written()
        expect([...part.subarray(0, 2)]).toEqual([0, kind])
        Y.applyUpdate(doc, payloadOf(part))
      }
      expect(doc.getArray('messages').length).toBe(RECORDS_PER_SLICE * 3 + 5)
    }
  })

  it('hands on whole what it does not cut: small messages, requests, a joiner’s history, other kinds, garbage', () => {
    const update = large()
    const small = new Y.Doc()
    small.getArray('messages').push(['one'])
    expect(sliceSyncMessage(syncMessage(2, Y.encodeStateAsUpdate(small)))).toBeNull()
    expect(sliceSyncMessage(syncMessage(0, update), { step2: true })).toBeNull()
    expect(sliceSyncMessage(syncMessage(1, update))).toBeNull()
    expect(sliceSyncMessage(Uint8Array.of(1, ...update))).toBeNull()
    expect(sliceSyncMessage(Uint8Array.of(0, 2, 5, ...update))).toBeNull()
    expect(sliceSyncMessage('text')).toBeNull()
  })
})

/** The update a sync message carries. */
function payloadOf(message: Uint8Array): Uint8Array {
  const decoder = decoding.createDecoder(message)
  decoding.readVarUint(decoder)
  decoding.readVarUint(decoder)
  return decoding.readVarUint8Array(decoder)
}
