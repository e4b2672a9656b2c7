import { describe, expect, it } from 'vitest'
import { MAX_MESSAGE_CHARS, parseMessageRecord } from '../../src/history/schema.js'

const valid = () => ({ id: 'm1', authorId: 'u1', authorName: 'Alice', text: 'hi', sentAt: 1700000000000 })

describe('parseMessageRecord', () => {
  it('accepts a well-formed record and copies only known fields', () => {
    expect(parseMessageRecord({ ...valid(), extra: 'x' })).toEqual(valid())
  })

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['an array', [valid()]],
    ['a missing id', { ...valid(), id: undefined }],
    ['an empty author name', { ...valid(), authorName: '' }],
    ['a numeric text', { ...valid(), text: 42 }],
    ['a text over the cap', { ...valid(), text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }],
    ['a NaN time', { ...valid(), sentAt: Number.NaN }],
    ['a negative time', { ...valid(), sentAt: -1 }],
    ['a string time', { ...valid(), sentAt: '1700000000000' }],
    ['a time past the last Date (it would throw when shown)', { ...valid(), sentAt: 8.64e15 + 1 }],
  ])('rejects %s', (_label, value) => {
    expect(parseMessageRecord(value)).toBeNull()
  })

  it('accepts the last time a Date can hold', () => {
    expect(parseMessageRecord({ ...valid(), sentAt: 8.64e15 })?.sentAt).toBe(8.64e15)
  })

  it('keeps HTML as plain text (rendering decides, not the model)', () => {
    const text = '<img src=x onerror=alert(1)>'
    expect(parseMessageRecord({ ...valid(), text })?.text).toBe(text)
  })
})
