// The per-message cache behind the log's text: each record is parsed once however often the
// windowed log redraws it, and its mentions are resolved again only when the names change.
import { describe, expect, it } from 'vitest'
import { richTextOf } from '../../src/components/rich-text-view.js'
import { mentionNames } from '../../src/components/rich-text.js'
import type { MessageRecord } from '../../src/room/index.js'

const record = (text: string): MessageRecord => ({ id: 'm1', authorId: 'ann', authorName: 'Ann', text, sentAt: 1_700_000_000_000 })

describe('richTextOf', () => {
  it('gives the same nodes for the same record and names, without parsing again', () => {
    const names = mentionNames(['Bob'], 'Ann')
    const message = record('hi @Bob, see https://example.com')
    const first = richTextOf(message, names)
    expect(richTextOf(message, names)).toBe(first)
    expect(first.map((node) => node.kind)).toEqual(['text', 'mention', 'text', 'link'])
  })

  it('resolves mentions again when the names change, from the same parse', () => {
    const message = record('hi @Bob and @Cy')
    const before = richTextOf(message, mentionNames(['Bob'], null))
    const after = richTextOf(message, mentionNames(['Bob', 'Cy'], null))
    expect(after).not.toBe(before)
    expect(before.filter((node) => node.kind === 'mention')).toHaveLength(1)
    expect(after.filter((node) => node.kind === 'mention')).toHaveLength(2)
  })
})
