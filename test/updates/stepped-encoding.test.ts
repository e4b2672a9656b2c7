// A document's state encoded in steps: what `Y.encodeStateAsUpdate` gives, a few records a step,
// with a large item of values written in pieces; applied, the same document.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  changesUpdate,
  isEmptyUpdate,
  rangesUpdateSteps,
  runSteps,
  StepBudget,
  stateUpdateSteps,
  transactionUpdate,
  updateClockRanges,
  updateRecords,
} from '../../src/updates/index.js'
import { writers } from '../support/writers.js'

/** Three writers taking turns: runs merged into one struct, map overwrites, strings, binary records, deletions. */
function busyRoom(): Y.Doc[] {
  const { docs, sync } = writers([1, 2, 3])
  for (let round = 0; round < 4; round++) {
    docs.forEach((doc, index) => {
      const messages = doc.getArray<unknown>('messages')
      // A writer that pushes one record a transaction, as a flooder does: Yjs merges the run into one struct.
      for (let line = 0; line < (index === 0 ? 300 : 20); line++) messages.push([{ id: `${index}-${round}-${line}`, text: `line ${line}` }])
      doc.getMap('meta').set('topic', `round ${round} by ${index}`)
      doc.getText('notes').insert(0, `note ${round} `)
      doc.getArray<unknown>('files').push([new Uint8Array([round, index])])
      if (round % 2 === 1) messages.delete(round * 7, 5 + index)
    })
    sync()
  }
  return docs
}

function sameDocument(a: Y.Doc, b: Y.Doc): void {
  expect(b.getArray('messages').toJSON()).toEqual(a.getArray('messages').toJSON())
  expect(b.getMap('meta').toJSON()).toEqual(a.getMap('meta').toJSON())
  expect(b.getText('notes').toString()).toBe(a.getText('notes').toString())
  expect(b.getArray('files').toJSON()).toEqual(a.getArray('files').toJSON())
  expect(Buffer.compare(Y.encodeStateVector(b), Y.encodeStateVector(a))).toBe(0)
  expect(Buffer.compare(Y.encodeStateAsUpdate(b), Y.encodeStateAsUpdate(a))).toBe(0)
}

// Three writers' documents are built afresh in each test: seconds on a loaded machine.
describe('stepped encoding', { timeout: 60_000 }, () => {
  it('gives Yjs’s own bytes when a step holds everything, whole or past a state vector', () => {
    const [doc, other] = busyRoom()
    const whole = runSteps(stateUpdateSteps(doc, new Map(), new StepBudget(Number.POSITIVE_INFINITY)))
    expect(Buffer.compare(whole, Y.encodeStateAsUpdate(doc))).toBe(0)
    const known = new Map([...Y.decodeStateVector(Y.encodeStateVector(other))].map(([client, clock]) => [client, Math.floor(clock / 2)]))
    const since = runSteps(stateUpdateSteps(doc, known, new StepBudget(Number.POSITIVE_INFINITY)))
    expect(Buffer.compare(since, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(known)))).toBe(0)
  })

  it('takes a step per budget of records, writing a large run in pieces, and gives the same document', () => {
    const [doc] = busyRoom()
    for (const perStep of [3, 64, 256]) {
      const steps = stateUpdateSteps(doc, new Map(), new StepBudget(perStep))
      let taken = 0
      let next = steps.next()
      while (next.done !== true) {
        taken++
        next = steps.next()
      }
      const update = next.value
      // A step ends each time the budget fills: there are about as many as records and structs over the budget.
      expect(taken).toBeGreaterThanOrEqual(Math.floor(doc.getArray('messages').length / perStep))
      // No piece of values holds more than a step's budget.
      for (const struct of Y.decodeUpdate(update).structs) {
        if (struct instanceof Y.Item && struct.content instanceof Y.ContentAny) expect(struct.length).toBeLessThanOrEqual(perStep)
      }
      const joiner = new Y.Doc()
      Y.applyUpdate(joiner, update)
      sameDocument(doc, joiner)
    }
  })

  it('gives what changed past a state vector, in pieces, which brings a peer that had the rest up to date', () => {
    const [doc] = busyRoom()
    const peer = new Y.Doc()
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
    const messages = doc.getArray<unknown>('messages')
    for (let line = 0; line < 500; line++) messages.push([{ id: `late-${line}` }])
    messages.delete(3, 40)
    const known = Y.decodeStateVector(Y.encodeStateVector(peer))
    Y.applyUpdate(peer, runSteps(stateUpdateSteps(doc, known, new StepBudget(32))))
    sameDocument(doc, peer)
  })

  it('encodes a document holding changes Yjs cannot integrate yet as Yjs does, pending ones merged in', () => {
    const writer = new Y.Doc()
    writer.getArray<string>('messages').push(['first'])
    const before = Y.encodeStateVector(writer)
    writer.getArray<string>('messages').push(['second'])
    // The reader gets the second record only: it waits, pending, for the first.
    const reader = new Y.Doc()
    reader.getArray<string>('messages').push(['own'])
    Y.applyUpdate(reader, Y.encodeStateAsUpdate(writer, before))
    expect(reader.store.pendingStructs).not.toBeNull()
    const stepped = runSteps(stateUpdateSteps(reader, new Map(), new StepBudget(1)))
    expect(Buffer.compare(stepped, Y.encodeStateAsUpdate(reader))).toBe(0)
    // A peer that applies it and then the first record holds all three.
    const peer = new Y.Doc()
    Y.applyUpdate(peer, stepped)
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(writer))
    expect(peer.getArray<string>('messages').toArray().sort()).toEqual(['first', 'own', 'second'])
  })

  it("gives a transaction's change as Yjs's 'update' event does, byte for byte, from before its observers run", () => {
    const [doc] = busyRoom()
    const ours: Uint8Array[] = []
    const yjs: Uint8Array[] = []
    doc.on('beforeObserverCalls', (transaction: Y.Transaction) => ours.push(transactionUpdate(transaction)))
    doc.on('update', (update: Uint8Array) => yjs.push(update))
    const messages = doc.getArray<unknown>('messages')
    messages.push([{ id: 'appended', text: 'after a run' }]) // merged into the run before it once the transaction ends
    messages.push([{ id: 'again' }, new Uint8Array([1, 2, 3])])
    messages.insert(10, ['in the middle'])
    messages.delete(3, 4)
    doc.transact(() => {
      messages.delete(20, 2)
      messages.push(['and one more'])
      doc.getText('notes').insert(5, 'typed ')
      doc.getMap('meta').set('topic', 'changed')
    })
    expect(yjs).toHaveLength(5)
    expect(ours.map((update) => Buffer.from(update).toString('hex'))).toEqual(yjs.map((update) => Buffer.from(update).toString('hex')))
  })

  it("knows the records of a transaction's change as it wrote them, and reads any other update's", () => {
    const [doc] = busyRoom()
    const ours: Uint8Array[] = []
    doc.on('beforeObserverCalls', (transaction: Y.Transaction) => ours.push(transactionUpdate(transaction)))
    const messages = doc.getArray<unknown>('messages')
    messages.push([{ id: 'one' }])
    doc.transact(() => {
      messages.push([{ id: 'two' }, { id: 'three' }])
      doc.getText('notes').insert(0, 'abc')
      messages.delete(0, 2)
    })
    const copies = ours.map((update) => update.slice())
    // The relay counts a send's records before it goes: what was written is not read again.
    for (const update of ours) update.fill(0)
    expect(ours.map(updateRecords)).toEqual([1, 5])
    expect(copies.map(updateRecords)).toEqual([1, 5])
    expect(updateRecords(new Uint8Array([1, 2, 3]))).toBe(0)
  })
  it("knows the clocks of a relay's batch cut in ranges as it wrote them, the same Yjs reads back", () => {
    const [doc] = busyRoom()
    const clients = [...doc.store.clients.keys()]
    // Ranges that start and end inside structs (a long run cut in pieces), as the relay's batches are.
    const ranges = clients.map((client, index) => ({ client, from: 7 + index, to: Y.getState(doc.store, client) - 3 }))
    const batches = [true, false].map((deletions) => runSteps(rangesUpdateSteps(doc, ranges, new StepBudget(50), deletions)))
    const read = (update: Uint8Array) => {
      const { from, to } = Y.parseUpdateMeta(update)
      return [...to].map(([client, end]) => ({ client, from: from.get(client), to: end }))
    }
    const expected = batches.map(read)
    // What Yjs reads back is what was asked, deletions or not, the highest client first (as Yjs
    // writes them, and as Y.mergeUpdates needs them).
    const asked = [...ranges].sort((a, b) => b.client - a.client)
    expect(expected).toEqual([asked, asked])
    // The relay's budget and storage's kept history ask for them, each read the batch whole: now neither does.
    for (const update of batches) update.fill(0)
    expect(batches.map((update) => updateClockRanges(update))).toEqual(expected)
    expect(batches.map(updateRecords)).toEqual(expected.map((spans) => spans.reduce((sum, { from = 0, to }) => sum + to - from, 0)))
  })

  it('tells an update of nothing from one holding a record or a deletion', () => {
    const [doc] = busyRoom()
    const everything = Y.encodeStateVector(doc)
    const fresh = new Y.Doc()
    // Nothing: the empty batch a run of unwanted parts ends with, and writers listed with no record.
    expect(isEmptyUpdate(new Uint8Array([0, 0]))).toBe(true)
    expect(isEmptyUpdate(Y.encodeStateAsUpdate(fresh))).toBe(true)
    expect(isEmptyUpdate(changesUpdate(doc, [], Y.createDeleteSet()))).toBe(true)
    expect(isEmptyUpdate(new Uint8Array([1, 0, 5, 9, 0]))).toBe(true)
    // Deletions only (the document's delete set past everything it holds), records, or not an update at all.
    expect(isEmptyUpdate(Y.encodeStateAsUpdate(doc, everything))).toBe(false)
    expect(isEmptyUpdate(Y.encodeStateAsUpdate(doc))).toBe(false)
    expect(isEmptyUpdate(new Uint8Array([0, 0, 7]))).toBe(false)
    expect(isEmptyUpdate(new Uint8Array([3]))).toBe(false)
  })
})
