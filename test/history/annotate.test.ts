// The reducer that folds annotations onto a message: the author's last edit wins on every peer,
// deletions are final, forged or someone else's edits are refused, reactions per emoji.
import { describe, expect, it } from 'vitest'
import {
  annotate,
  encodeFileMeta,
  type AnnotationRecord,
  type FileMeta,
  type MessageRecord,
  type SignatureCheck,
} from '../../src/history/index.js'

const message: MessageRecord = { id: 'm1', authorId: 'alice', authorName: 'Alice', text: 'hello', sentAt: 1000 }

function note(id: string, fields: Partial<AnnotationRecord>): AnnotationRecord {
  return { id, kind: 'edit', target: 'm1', authorId: 'alice', authorName: 'Alice', content: 'x', on: true, sentAt: 2000, ...fields }
}

/** Signatures as a peer would find them: ids listed in `forged` fail, the rest verify. */
function checks(forged: string[] = [], pending: string[] = []): (a: AnnotationRecord) => SignatureCheck {
  return (a) => (forged.includes(a.id) ? 'unverified' : pending.includes(a.id) ? 'pending' : 'verified')
}

/** Every order of `items` (small arrays only). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()]
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]))
}

describe('annotate', () => {
  it('leaves a message without annotations as it is', () => {
    expect(annotate(message, 'verified', [], checks())).toEqual({
      text: 'hello',
      edited: false,
      deleted: false,
      reactions: [],
      replyTo: null,
      file: null,
      refused: 0,
      pending: false,
    })
  })

  it("shows the author's last edit by time then id, whatever order the edits arrived in", () => {
    const edits = [
      note('e1', { content: 'first', sentAt: 2000 }),
      note('e3', { content: 'third', sentAt: 3000 }),
      note('e2', { content: 'tie, lower id', sentAt: 3000 }),
      note('e0', { content: 'zeroth', sentAt: 1500 }),
    ]
    for (const order of permutations(edits)) {
      expect(annotate(message, 'verified', order, checks())).toMatchObject({ text: 'third', edited: true, deleted: false })
    }
  })

  it('keeps a deleted message deleted, even after a later edit', () => {
    const records = [note('d', { kind: 'delete', content: '', sentAt: 2000 }), note('e', { content: 'back again', sentAt: 5000 })]
    for (const order of permutations(records)) {
      expect(annotate(message, 'verified', order, checks())).toMatchObject({ text: '', deleted: true, edited: false })
    }
  })

  it("refuses edits, deletions and reply links by anyone but the message's author, without checking them", () => {
    const asked: string[] = []
    const byMallory = [
      note('e', { authorId: 'mallory', content: 'I owe Mallory' }),
      note('d', { authorId: 'mallory', kind: 'delete', content: '' }),
      note('r', { authorId: 'mallory', kind: 'reply', content: 'm0' }),
    ]
    const result = annotate(message, 'verified', byMallory, (a) => {
      asked.push(a.id)
      return 'verified'
    })
    expect(result).toMatchObject({ text: 'hello', edited: false, deleted: false, replyTo: null, refused: 3 })
    expect(asked).toEqual([])
  })

  it("refuses an edit under the author's id whose signature fails", () => {
    const forged = note('f', { content: 'forged words', sentAt: 9000 })
    const genuine = note('g', { content: 'real edit', sentAt: 3000 })
    for (const order of permutations([forged, genuine])) {
      expect(annotate(message, 'verified', order, checks(['f']))).toMatchObject({ text: 'real edit', edited: true, refused: 1 })
    }
  })

  it('applies nothing to a message whose own signature failed, and waits on pending checks', () => {
    expect(annotate(message, 'unverified', [note('e', {})], checks())).toMatchObject({ text: 'hello', refused: 1 })
    expect(annotate(message, 'pending', [note('e', {})], checks())).toMatchObject({ text: 'hello', pending: true, refused: 0 })
    expect(annotate(message, 'verified', [note('e', {})], checks([], ['e']))).toMatchObject({ text: 'hello', pending: true })
  })

  it('groups verified reactions per emoji; the latest of each person counts; forged ones do not', () => {
    const reactions = [
      note('r1', { kind: 'reaction', content: '👍', authorId: 'bob', authorName: 'Bob', sentAt: 2000 }),
      note('r2', { kind: 'reaction', content: '👍', authorId: 'carol', authorName: 'Carol', sentAt: 2000 }),
      note('r3', { kind: 'reaction', content: '👍', authorId: 'carol', authorName: 'Carol', on: false, sentAt: 3000 }),
      note('r4', { kind: 'reaction', content: '🎉', authorId: 'alice', authorName: 'Alice', sentAt: 2000 }),
      note('r5', { kind: 'reaction', content: '👍', authorId: 'dave', authorName: 'Dave', sentAt: 2000 }),
      note('r6', { kind: 'reaction', content: '❤️', authorId: 'bob', authorName: 'Bob', sentAt: 2000 }),
    ]
    const expected = [
      { emoji: '👍', reactors: [{ authorId: 'bob', authorName: 'Bob' }] },
      { emoji: '❤️', reactors: [{ authorId: 'bob', authorName: 'Bob' }] },
      { emoji: '🎉', reactors: [{ authorId: 'alice', authorName: 'Alice' }] },
    ]
    const seen = new Set<string>()
    for (const order of permutations(reactions)) {
      const result = annotate(message, 'verified', order, checks(['r5']))
      seen.add(JSON.stringify(result))
      expect(result.reactions).toEqual(expected)
      expect(result.refused).toBe(1)
    }
    expect(seen.size).toBe(1)
  })

  it("links a reply to its original only by the reply's author", () => {
    const link = note('l', { kind: 'reply', content: 'm0' })
    expect(annotate(message, 'verified', [link], checks()).replyTo).toBe('m0')
    expect(annotate(message, 'verified', [note('l', { kind: 'reply', content: 'm0', authorId: 'bob' })], checks()).replyTo).toBeNull()
  })

  it("carries the file its author signed, and no one else's or a forged one", () => {
    const file = (name: string): FileMeta => ({ name, type: 'image/png', size: 10, sha256: 'a'.repeat(43), root: 'b'.repeat(43) })
    const first = note('f1', { kind: 'file', content: encodeFileMeta(file('first.png')), sentAt: 2000 })
    const second = note('f2', { kind: 'file', content: encodeFileMeta(file('second.png')), sentAt: 3000 })
    for (const order of permutations([first, second]))
      expect(annotate(message, 'verified', order, checks()).file).toEqual(file('first.png'))
    const byBob = note('f3', { kind: 'file', content: encodeFileMeta(file('bob.png')), authorId: 'bob' })
    expect(annotate(message, 'verified', [byBob], checks()).file).toBeNull()
    const forged = annotate(message, 'verified', [first], checks(['f1']))
    expect(forged.file).toBeNull()
    expect(forged.refused).toBe(1)
    expect(annotate(message, 'verified', [first], checks([], ['f1'])).file).toBeNull()
  })

  it('ignores annotations of other messages and does not change its input', () => {
    const records = Object.freeze([note('e', { target: 'm2', content: 'elsewhere' })])
    const before = JSON.stringify(message)
    expect(annotate(message, 'verified', records, checks()).text).toBe('hello')
    expect(JSON.stringify(message)).toBe(before)
  })
})
