// Tests for entry-memo.ts: an annotation equal to the last one keeps the last object (the log
// skips that entry's redraw), and any change a reader could see gives the new one.
import { describe, expect, it } from 'vitest'
import { StableAnnotations, sameAnnotation } from '../../src/components/entry-memo.js'
import { unannotated, type AnnotatedMessage, type MessageRecord } from '../../src/room/index.js'

function record(text = 'hello'): MessageRecord {
  return { id: 'm1', authorId: 'u1', authorName: 'Ann', text, sentAt: 1_700_000_000_000 }
}

function withReaction(base: AnnotatedMessage, name: string): AnnotatedMessage {
  return { ...base, reactions: [{ emoji: '👍', reactors: [{ authorId: 'u2', authorName: name }] }] }
}

describe('sameAnnotation', () => {
  it('holds for equal content in new objects, and fails for each visible change', () => {
    const message = record()
    const base = unannotated(message)
    expect(sameAnnotation(base, unannotated(message))).toBe(true)
    expect(sameAnnotation(withReaction(base, 'Bo'), withReaction(base, 'Bo'))).toBe(true)
    expect(sameAnnotation(base, { ...base, text: 'edited', edited: true })).toBe(false)
    expect(sameAnnotation(base, { ...base, deleted: true, text: '' })).toBe(false)
    expect(sameAnnotation(base, { ...base, replyTo: 'm0' })).toBe(false)
    expect(sameAnnotation(base, { ...base, refused: 1 })).toBe(false)
    expect(sameAnnotation(base, { ...base, pending: true })).toBe(false)
    expect(sameAnnotation(base, withReaction(base, 'Bo'))).toBe(false)
    expect(sameAnnotation(withReaction(base, 'Bo'), withReaction(base, 'Cy'))).toBe(false)
    const file = { name: 'a.txt', type: 'text/plain', size: 3, sha256: 'x', root: 'y' }
    expect(sameAnnotation({ ...base, file }, { ...base, file: { ...file } })).toBe(true)
    expect(sameAnnotation({ ...base, file }, { ...base, file: { ...file, size: 4 } })).toBe(false)
  })
})

describe('StableAnnotations', () => {
  it('hands back the first object while the content stays, and the new one once it changes', () => {
    const stable = new StableAnnotations()
    const message = record()
    const first = stable.keep(message, unannotated(message))
    expect(stable.keep(message, unannotated(message))).toBe(first)
    const reacted = withReaction(first, 'Bo')
    expect(stable.keep(message, reacted)).toBe(reacted)
    expect(stable.keep(message, withReaction(first, 'Bo'))).toBe(reacted)
    // Another record with the same content keeps its own object.
    const other = record()
    const fresh = unannotated(other)
    expect(stable.keep(other, fresh)).toBe(fresh)
  })
})
