import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { MAX_REFUSED_WRITERS, RefusedWriting } from '../../src/transport/refused-writing.js'

/** The update of `count` messages `writer` appends now (named `name`). */
function write(writer: Y.Doc, count: number, name = 'Flooder'): Uint8Array {
  const before = Y.encodeStateVector(writer)
  writer.getArray('messages').push(Array.from({ length: count }, (_, n) => ({ authorName: name, text: `flood ${n}` })))
  return Y.encodeStateAsUpdate(writer, before)
}

describe('RefusedWriting', () => {
  it('counts by writer the records refused updates brought that the document lacks, once each', () => {
    const ours = new Y.Doc()
    const refused = new RefusedWriting(ours)
    const flooder = new Y.Doc()
    const first = write(flooder, 9)
    const second = write(flooder, 9)
    expect(refused.note(second)).toBe(true)
    // The same records refused again (by another link), or fewer: nothing new.
    expect(refused.note(second)).toBe(false)
    expect(refused.note(first)).toBe(false)
    // The refused update starts after the first nine: those are lacking too.
    expect(refused.writers().get(flooder.clientID)?.records).toBe(18)
    expect(refused.writers().get(flooder.clientID)?.samples[0]).toEqual({ authorName: 'Flooder', text: 'flood 0' })
    // Brought later by another link (a relay, a repair): no longer counted.
    Y.applyUpdate(ours, first)
    expect(refused.writers().get(flooder.clientID)?.records).toBe(9)
    Y.applyUpdate(ours, second)
    expect(refused.writers().size).toBe(0)
  })

  it('counts nothing of this page’s own writing, of malformed updates, nor of writers past its cap', () => {
    const ours = new Y.Doc()
    const refused = new RefusedWriting(ours)
    expect(refused.note(write(ours, 3))).toBe(false)
    expect(refused.note(new Uint8Array([1, 2, 3]))).toBe(false)
    for (let n = 0; n < MAX_REFUSED_WRITERS + 5; n++) refused.note(write(new Y.Doc(), 1))
    expect(refused.writers().size).toBe(MAX_REFUSED_WRITERS)
  })
})
