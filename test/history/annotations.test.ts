// The annotation schema: hostile shapes from peers are refused, and budgets admit the same
// annotations whatever order they are fed in.
import { describe, expect, it } from 'vitest'
import {
  AnnotationBudgets,
  encodeFileMeta,
  parseAnnotationRecord,
  parseAnnotations,
  type AnnotationRecord,
} from '../../src/history/index.js'

function annotation(fields: Partial<AnnotationRecord> = {}): AnnotationRecord {
  return {
    id: 'a1',
    kind: 'edit',
    target: 'm1',
    authorId: 'alice',
    authorName: 'Alice',
    content: 'new text',
    on: true,
    sentAt: 1000,
    ...fields,
  }
}

describe('parseAnnotationRecord', () => {
  it('accepts each kind in its own shape', () => {
    expect(parseAnnotationRecord(annotation())).toEqual(annotation())
    expect(parseAnnotationRecord(annotation({ kind: 'delete', content: '' }))).not.toBeNull()
    expect(parseAnnotationRecord(annotation({ kind: 'reaction', content: '👍', on: false }))).not.toBeNull()
    expect(parseAnnotationRecord(annotation({ kind: 'reply', content: 'm0' }))).not.toBeNull()
    const file = encodeFileMeta({ name: 'a.png', type: 'image/png', size: 3, sha256: 'a'.repeat(43), root: 'b'.repeat(43) })
    expect(parseAnnotationRecord(annotation({ kind: 'file', content: file }))).not.toBeNull()
    expect(parseAnnotationRecord(annotation({ kind: 'file', content: 'a.png' }))).toBeNull()
    const signed = annotation({ publicKey: 'k', signature: 's' })
    expect(parseAnnotationRecord(signed)).toEqual(signed)
  })

  it.each([
    ['null', null],
    ['an array', [annotation()]],
    ['a string', 'edit'],
    ['an unknown kind', annotation({ kind: 'pin' as AnnotationRecord['kind'] })],
    ['an empty target', annotation({ target: '' })],
    ['a huge id', annotation({ id: 'x'.repeat(129) })],
    ['a non-string author', { ...annotation(), authorId: 7 }],
    ['a blank edit', annotation({ content: '   ' })],
    ['an over-long edit', annotation({ content: 'x'.repeat(4001) })],
    ['a delete with content', annotation({ kind: 'delete', content: 'gone' })],
    ['a reaction outside the set', annotation({ kind: 'reaction', content: '<img src=x>' })],
    ['an edit that is "off"', annotation({ on: false })],
    ['a non-boolean on', { ...annotation(), on: 'yes' }],
    ['a time past what a Date holds', annotation({ sentAt: 9e15 })],
    ['a NaN time', annotation({ sentAt: Number.NaN })],
    ['a key without a signature', annotation({ publicKey: 'k' })],
    ['an over-long signature', annotation({ publicKey: 'k', signature: 's'.repeat(129) })],
  ])('refuses %s', (_label, value) => {
    expect(parseAnnotationRecord(value)).toBeNull()
  })

  it('drops fields it does not know, so nothing extra reaches the view', () => {
    const parsed = parseAnnotationRecord({ ...annotation(), style: 'position:fixed' })
    expect(parsed).toEqual(annotation())
  })

  it('counts what it skipped', () => {
    expect(parseAnnotations([annotation(), null, 5, annotation({ id: 'a2' })])).toMatchObject({ skipped: 2 })
  })
})

describe('AnnotationBudgets', () => {
  it('admits a burst, then only what the rate allows, per author', () => {
    const records = Array.from({ length: 100 }, (_, i) => annotation({ id: `a${i}`, kind: 'reaction', content: '👍', sentAt: 1000 }))
    const budgets = new AnnotationBudgets()
    expect(budgets.admit(records)).toHaveLength(30)
    expect(budgets.hiddenTotal).toBe(70)
    expect(budgets.admit([annotation({ authorId: 'bob' })])).toHaveLength(1)
  })
})
