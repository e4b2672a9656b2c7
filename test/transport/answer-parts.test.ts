// A document's state in parts: applied in order they make the same document as the whole update,
// each part integrates as it comes (nothing left pending) when records were appended, and the
// parts after the first two stay within what older joiners take.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { documentParts, estimatedBytes } from '../../src/transport/answer-parts.js'

/** A record the size of a signed one: random bytes (an id and a signature) and a text. */
function record(author: number, index: number): { r: Uint8Array; text: string } {
  return { r: crypto.getRandomValues(new Uint8Array(90)), text: `message ${index} by ${author}: a line of about the usual length` }
}

/** A room of `count` messages appended one transaction each by `authors` clients taking turns (`run` in a row each). */
function room(count: number, authors = 1, run = 1): Y.Doc {
  const docs = Array.from({ length: authors }, () => new Y.Doc())
  // Every client hears every change at once, as in a live room.
  for (const doc of docs)
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'peer') return
      for (const other of docs) if (other !== doc) Y.applyUpdate(other, update, 'peer')
    })
  for (let index = 0; index < count; index++) {
    const author = Math.floor(index / run) % authors
    const doc = docs[author]
    doc.getArray('messages').push([record(author, index)])
    if (index % 50 === 0) doc.getArray('annotations').push([{ target: index, kind: 'reaction' }])
  }
  return docs[0]
}

/** Applies `parts` to a fresh document one by one; returns it and how many parts left something pending. */
function joined(parts: Uint8Array[]): { doc: Y.Doc; pendingAfter: number; lengths: number[] } {
  const doc = new Y.Doc()
  let pendingAfter = 0
  const lengths: number[] = []
  for (const part of parts) {
    Y.applyUpdate(doc, part)
    if (doc.store.pendingStructs !== null) pendingAfter++
    lengths.push(doc.getArray('messages').length)
  }
  return { doc, pendingAfter, lengths }
}

function sameDocument(a: Y.Doc, b: Y.Doc): void {
  expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b))
  expect(a.getArray('messages').toJSON()).toEqual(b.getArray('messages').toJSON())
  expect(a.getArray('annotations').toJSON()).toEqual(b.getArray('annotations').toJSON())
  expect(Y.equalDeleteSets(Y.createDeleteSetFromStructStore(a.store), Y.createDeleteSetFromStructStore(b.store))).toBe(true)
}

const SMALL = { partBytes: 16 * 1024, partedMaxBytes: 1024 * 1024 }

// Building the rooms takes seconds on a loaded machine: a generous timeout, no timed assertion.
describe('documentParts', { timeout: 60_000 }, () => {
  it('cuts one writer’s history into parts that each integrate as they come', () => {
    const doc = room(2_000)
    const whole = Y.encodeStateAsUpdate(doc)
    const parts = documentParts(doc, doc.getArray('messages'), whole.byteLength, SMALL)
    expect(parts).not.toBeNull()
    expect(parts?.length).toBeGreaterThan(10)
    const { doc: joiner, pendingAfter, lengths } = joined(parts ?? [])
    expect(pendingAfter).toBe(0)
    // Each part brings more of the history, oldest first.
    for (let index = 1; index < lengths.length; index++) expect(lengths[index]).toBeGreaterThan(lengths[index - 1])
    sameDocument(joiner, doc)
    // About as many bytes as the whole.
    const total = (parts ?? []).reduce((sum, part) => sum + part.byteLength, 0)
    expect(total).toBeLessThan(whole.byteLength * 1.02)
  })

  it('follows the messages’ order when several writers take turns', () => {
    const doc = room(1_200, 3, 7)
    const whole = Y.encodeStateAsUpdate(doc)
    const parts = documentParts(doc, doc.getArray('messages'), whole.byteLength, SMALL) ?? []
    expect(parts.length).toBeGreaterThan(5)
    const { doc: joiner, pendingAfter } = joined(parts)
    expect(pendingAfter).toBe(0)
    sameDocument(joiner, doc)
  })

  it('gives the same document with deletions, and in any order of parts', () => {
    const doc = room(1_500, 2, 3)
    doc.getArray('messages').delete(10, 40)
    doc.getArray('messages').delete(900, 5)
    const whole = Y.encodeStateAsUpdate(doc)
    const parts = documentParts(doc, doc.getArray('messages'), whole.byteLength, SMALL) ?? []
    expect(parts.length).toBeGreaterThan(5)
    sameDocument(joined(parts).doc, doc)
    // Out of order (a peer cannot reorder an ordered channel, but Yjs does not need it): the same document in the end.
    sameDocument(joined([...parts].reverse()).doc, doc)
  })

  it('keeps the parts after the first two within what older joiners take', () => {
    const doc = room(3_000)
    const whole = Y.encodeStateAsUpdate(doc)
    const limits = { partBytes: 16 * 1024, partedMaxBytes: 128 * 1024 }
    const parts = documentParts(doc, doc.getArray('messages'), whole.byteLength, limits) ?? []
    expect(parts.length).toBeGreaterThan(3)
    const after = parts.slice(2).reduce((sum, part) => sum + part.byteLength, 0)
    expect(after).toBeLessThanOrEqual(limits.partedMaxBytes)
    expect(parts[0].byteLength).toBeGreaterThan(whole.byteLength / 2)
    sameDocument(joined(parts).doc, doc)
  })

  it('merges leading parts into one that integrates, when later records are larger and several writers took turns', () => {
    // The cuts assume records of about equal bytes; large records late in the history make the
    // parts after the first two too large for older joiners, so the leading parts go as one
    // (Y.mergeUpdates). Yjs's merge reads each update's writers as Yjs writes them, highest
    // client id first: parts written in another order lost structs in the merge.
    const doc = room(1_500, 3, 5)
    const messages = doc.getArray('messages')
    doc.transact(() => {
      for (let index = 0; index < 300; index++) messages.push([{ ...record(0, index), text: 'a long line '.repeat(40) }])
    })
    const whole = Y.encodeStateAsUpdate(doc)
    const limits = { partBytes: 16 * 1024, partedMaxBytes: 128 * 1024 }
    const parts = documentParts(doc, messages, whole.byteLength, limits) ?? []
    expect(parts.slice(2).reduce((sum, part) => sum + part.byteLength, 0)).toBeLessThanOrEqual(limits.partedMaxBytes)
    const { doc: joiner, pendingAfter } = joined(parts)
    expect(pendingAfter).toBe(0)
    sameDocument(joiner, doc)
  })

  it('keeps a small document whole', () => {
    const doc = room(20)
    expect(documentParts(doc, doc.getArray('messages'), Y.encodeStateAsUpdate(doc).byteLength, SMALL)).toBeNull()
  })
})

describe('estimatedBytes', { timeout: 60_000 }, () => {
  it('tells about the bytes a whole encoding writes, without encoding: one writer, writers taking turns, deletions, a map', () => {
    const rooms = [room(2_000), room(1_200, 3, 7), room(1_500, 2, 3)]
    rooms[2].getArray('messages').delete(10, 40)
    rooms[2].getMap('names').set('someone', { name: 'Ünïcode név', since: 1_700_000_000_000 })
    for (const doc of rooms) {
      const whole = Y.encodeStateAsUpdate(doc).byteLength
      expect(estimatedBytes(doc)).toBeGreaterThan(whole * 0.9)
      expect(estimatedBytes(doc)).toBeLessThan(whole * 1.1)
    }
  })

  it('cuts from the estimate as from the size: parts that give the same document, the later ones within what older joiners take', () => {
    const doc = room(3_000)
    const limits = { partBytes: 16 * 1024, partedMaxBytes: 128 * 1024 }
    const parts = documentParts(doc, doc.getArray('messages'), estimatedBytes(doc), limits) ?? []
    expect(parts.length).toBeGreaterThan(3)
    expect(parts.slice(2).reduce((sum, part) => sum + part.byteLength, 0)).toBeLessThanOrEqual(limits.partedMaxBytes)
    const { doc: joiner, pendingAfter } = joined(parts)
    expect(pendingAfter).toBe(0)
    sameDocument(joiner, doc)
  })
})
