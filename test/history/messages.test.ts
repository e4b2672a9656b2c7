import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { appendMessage, draftProblem, observeMessages, readMessages, type MessagesChange } from '../../src/history/messages.js'
import { MAX_MESSAGE_CHARS, messagesOf, type MessageRecord } from '../../src/history/schema.js'

const record = (n: number): MessageRecord => ({ id: `m${n}`, authorId: 'u1', authorName: 'Alice', text: `message ${n}`, sentAt: 1000 + n })

/** Two documents that exchange every update, like two connected peers. */
function connectedPair(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc()
  const b = new Y.Doc()
  a.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== b) Y.applyUpdate(b, update, a)
  })
  b.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== a) Y.applyUpdate(a, update, b)
  })
  return [a, b]
}

describe('draftProblem', () => {
  it('rejects empty and whitespace-only drafts', () => {
    expect(draftProblem('')).toBe('empty')
    expect(draftProblem(' \n\t')).toBe('empty')
  })
  it('rejects drafts over the cap, and accepts one exactly at it', () => {
    expect(draftProblem('x'.repeat(MAX_MESSAGE_CHARS + 1))).toBe('too-long')
    expect(draftProblem('x'.repeat(MAX_MESSAGE_CHARS))).toBeNull()
  })
})

describe('messages in a document', () => {
  it('reaches the other peer in order', () => {
    const [a, b] = connectedPair()
    appendMessage(a, record(1))
    appendMessage(b, record(2))
    appendMessage(a, record(3))
    expect(readMessages(b).messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3'])
    expect(readMessages(a)).toEqual(readMessages(b))
  })

  it('skips and counts malformed records written by a hostile peer', () => {
    const [a, b] = connectedPair()
    appendMessage(a, record(1))
    messagesOf(b).push([{ id: 'evil' }, 'garbage', 42, null, ['x']])
    appendMessage(a, record(2))
    const batch = readMessages(a)
    expect(batch.messages.map((m) => m.id)).toEqual(['m1', 'm2'])
    expect(batch.skipped).toBe(5)
  })

  it('refuses to write an invalid record locally', () => {
    const doc = new Y.Doc()
    expect(() => appendMessage(doc, { ...record(1), text: '' })).toThrow(/invalid/)
    expect(messagesOf(doc).length).toBe(0)
  })

  it('reports appends as appends and anything else as a reset', () => {
    const [a, b] = connectedPair()
    const changes: MessagesChange[] = []
    observeMessages(b, (change) => changes.push(change))
    appendMessage(a, record(1))
    appendMessage(a, record(2))
    messagesOf(a).delete(0, 1)
    messagesOf(a).insert(0, [record(0)])
    expect(changes.map((c) => c.kind)).toEqual(['append', 'append', 'reset', 'reset'])
    expect(changes[1].batch.messages.map((m) => m.id)).toEqual(['m2'])
    expect(changes[3].batch.messages.map((m) => m.id)).toEqual(['m0', 'm2'])
  })

  it("reads a history's part appended at once in one walk, not a lookup per record, and a few new ones by lookup", () => {
    // Two writers interleaved, so the array is many items, not one merged run.
    const writers = [new Y.Doc(), new Y.Doc()]
    const doc = new Y.Doc()
    for (let n = 0; n < 40; n++) {
      appendMessage(writers[n % 2] as Y.Doc, record(n))
      for (const writer of writers) Y.applyUpdate(writer, Y.encodeStateAsUpdate(writers[(writers.indexOf(writer) + 1) % 2] as Y.Doc))
    }
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(writers[0] as Y.Doc))
    const changes: MessagesChange[] = []
    observeMessages(doc, (change) => changes.push(change))
    const messages = messagesOf(doc)
    let lookups = 0
    const get = messages.get.bind(messages)
    messages.get = (index: number) => {
      lookups++
      return get(index)
    }
    // The rest of a history: 1,000 records by both writers, in one update.
    const writer = writers[0] as Y.Doc
    for (let n = 40; n < 1040; n++) appendMessage(writers[n % 2] as Y.Doc, record(n))
    Y.applyUpdate(writer, Y.encodeStateAsUpdate(writers[1] as Y.Doc))
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(doc)))
    expect(changes.map((change) => change.kind)).toEqual(['append'])
    // The same records, in the document's order, as a whole read finds after the first 40.
    expect(changes[0]?.batch.messages).toEqual(readMessages(doc).messages.slice(40))
    expect(changes[0]?.batch.messages.length).toBe(1000)
    // The last record before it, and the one after the append (noted for the next change): not one per record.
    expect(lookups).toBeLessThanOrEqual(2)
    // A message or two: looked up from the end.
    lookups = 0
    appendMessage(writer, record(2000))
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(doc)))
    expect(changes.at(-1)?.batch.messages.map((message) => message.id)).toEqual(['m2000'])
    expect(lookups).toBe(3)
  })

  it('stops reporting after unsubscribe', () => {
    const doc = new Y.Doc()
    let calls = 0
    const stop = observeMessages(doc, () => calls++)
    appendMessage(doc, record(1))
    stop()
    appendMessage(doc, record(2))
    expect(calls).toBe(1)
  })
})
