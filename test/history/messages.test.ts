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
