// A document's state as parts of bounded size cut along an array's order (storage's merge): applied
// in order to an empty document, each integrates as it comes, and together they make the same document.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { boundedPartSteps, runSteps, StepBudget } from '../../src/updates/index.js'
import { writers } from '../support/writers.js'

/** Three writers taking turns, synced after each turn; one pushes its records in one transaction (one struct); deletions. */
function room(): Y.Doc {
  const { docs, sync } = writers([7, 3, 5])
  for (let round = 0; round < 6; round++) {
    docs.forEach((doc, index) => {
      const messages = doc.getArray<unknown>('messages')
      if (index === 0)
        messages.push(Array.from({ length: 200 }, (_, line) => ({ id: `${round}-${line}`, text: `record ${line} of a run` })))
      else for (let line = 0; line < 30; line++) messages.push([{ id: `${index}-${round}-${line}`, text: `line ${line}` }])
      doc.getArray<unknown>('keys').push([`key ${index} ${round}`])
      if (round === 3) messages.delete(round * 11, 4)
    })
    sync()
  }
  return docs[0]
}

describe('boundedPartSteps', () => {
  it('cuts a state into parts of about the bytes asked, each integrating as it is applied, together the same document', () => {
    const doc = room()
    const whole = Y.encodeStateAsUpdate(doc)
    const parts = runSteps(boundedPartSteps(doc, doc.getArray('messages'), 4096, new StepBudget(64)))
    expect(parts.length).toBeGreaterThanOrEqual(whole.byteLength / 4096 - 1)
    const replay = new Y.Doc()
    for (const part of parts) {
      // A part and a record more, about; the last also carries the delete set.
      expect(part.byteLength).toBeLessThan(2 * 4096)
      Y.applyUpdate(replay, part)
      expect(replay.store.pendingStructs).toBeNull()
    }
    expect(replay.store.pendingDs).toBeNull()
    expect(replay.getArray('messages').toJSON()).toEqual(doc.getArray('messages').toJSON())
    expect(replay.getArray('keys').toJSON()).toEqual(doc.getArray('keys').toJSON())
    expect(Y.encodeStateVector(replay)).toEqual(Y.encodeStateVector(doc))
    expect(Y.equalDeleteSets(Y.createDeleteSetFromStructStore(replay.store), Y.createDeleteSetFromStructStore(doc.store))).toBe(true)
  })

  it('gives the whole state as one part when it fits', () => {
    const doc = room()
    const parts = runSteps(boundedPartSteps(doc, doc.getArray('messages'), 10 * 1024 * 1024))
    expect(parts).toHaveLength(1)
    const replay = new Y.Doc()
    Y.applyUpdate(replay, parts[0])
    expect(replay.getArray('messages').toJSON()).toEqual(doc.getArray('messages').toJSON())
  })
})
