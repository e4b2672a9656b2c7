// The pure parts of reading a long log: which messages share a header, what a day separator
// says, and search (case and accents folded, every match, at 100,000 messages).
import { describe, expect, it } from 'vitest'
import { GROUP_GAP_MS, MessageSearch, continuesGroup, dayLabel, keptHit, sameDay } from '../../src/components/log-reading.js'
import type { MessageRecord, Verdict } from '../../src/room/index.js'

const NINE_THIRTY = new Date(2026, 11, 2, 9, 30).getTime()

function record(id: string, author: string, sentAt = NINE_THIRTY, text = `text ${id}`): MessageRecord {
  return { id, authorId: `user-${author}`, authorName: author, text, sentAt }
}

const allVerified = (): Verdict => 'verified'

describe('continuesGroup', () => {
  it('groups an author’s messages a few minutes apart, and nothing else', () => {
    const first = record('1', 'Ann')
    expect(continuesGroup(first, record('2', 'Ann', NINE_THIRTY + 60_000), allVerified)).toBe(true)
    expect(continuesGroup(first, record('2', 'Ann', NINE_THIRTY + GROUP_GAP_MS), allVerified)).toBe(true)
    expect(continuesGroup(first, record('2', 'Ann', NINE_THIRTY + GROUP_GAP_MS + 1), allVerified)).toBe(false)
    expect(continuesGroup(first, record('2', 'Bo', NINE_THIRTY + 1000), allVerified)).toBe(false)
    expect(continuesGroup(first, record('2', 'Ann', NINE_THIRTY - 1000), allVerified)).toBe(false) // written earlier
    expect(continuesGroup(null, first, allVerified)).toBe(false)
  })

  it('never groups across midnight', () => {
    const late = record('1', 'Ann', new Date(2026, 11, 2, 23, 59).getTime())
    expect(continuesGroup(late, record('2', 'Ann', new Date(2026, 11, 3, 0, 1).getTime()), allVerified)).toBe(false)
  })

  it('gives a pending or failed claim a header of its own, so a forgery never hides under a real name', () => {
    const real = record('1', 'Ann')
    const forged = record('2', 'Ann', NINE_THIRTY + 1000)
    for (const verdict of ['pending', 'unverified'] as const) {
      const verdictOf = (message: MessageRecord): Verdict => (message === forged ? verdict : 'verified')
      expect(continuesGroup(real, forged, verdictOf)).toBe(false)
      expect(continuesGroup(forged, record('3', 'Ann', NINE_THIRTY + 2000), verdictOf)).toBe(false)
    }
  })
})

describe('dayLabel', () => {
  const now = new Date(2026, 11, 2, 0, 30).getTime() // just after midnight
  it('says Today and Yesterday, and the full date before that', () => {
    expect(dayLabel(new Date(2026, 11, 2, 0, 1).getTime(), now)).toBe('Today')
    expect(dayLabel(new Date(2026, 11, 1, 23, 59).getTime(), now)).toBe('Yesterday')
    expect(dayLabel(new Date(2026, 11, 1, 0, 0).getTime(), now)).toBe('Yesterday')
    const older = dayLabel(new Date(2026, 10, 30, 12, 0).getTime(), now)
    expect(older).not.toMatch(/Today|Yesterday/)
    expect(older).toContain('2026')
    expect(sameDay(now, new Date(2026, 11, 2, 23, 59).getTime())).toBe(true)
  })
})

describe('MessageSearch', () => {
  it('finds every message containing the words, ignoring case and accents', () => {
    const messages = [record('1', 'Ann', 0, 'Café at noon?'), record('2', 'Bo', 0, 'cafe sounds good'), record('3', 'Ann', 0, 'CAFÉ!')]
    const search = new MessageSearch()
    expect(search.find(messages, 'café')).toEqual([0, 1, 2])
    expect(search.find(messages, 'NOON')).toEqual([0])
    expect(search.find(messages, '  ')).toEqual([])
    expect(search.find(messages, 'tea')).toEqual([])
  })

  it('searches 100,000 messages and finds exactly the matches', { timeout: 20_000 }, () => {
    const messages = Array.from({ length: 100_000 }, (_, index) =>
      record(String(index), 'Ann', 0, index % 997 === 0 ? `needle ${index}` : `hay ${index}`),
    )
    const search = new MessageSearch()
    const expected = messages.flatMap((_, index) => (index % 997 === 0 ? [index] : []))
    expect(search.find(messages, 'Needle')).toEqual(expected)
    expect(search.find(messages, 'needle 99')).toEqual(expected.filter((index) => String(index).startsWith('99')))
  })

  it('matches the text a message shows: the last edit, not the original; nothing once deleted', () => {
    const messages = [record('1', 'Ann', 0, 'coffee at noon'), record('2', 'Bo', 0, 'coffee for me'), record('3', 'Cy', 0, 'tea')]
    const search = new MessageSearch()
    expect(search.find(messages, 'coffee')).toEqual([0, 1])
    const edits: Record<string, string | null> = { '1': 'Tea at noon', '2': null }
    const shown = (message: MessageRecord) => (message.id in edits ? edits[message.id] : message.text)
    expect(search.find(messages, 'coffee', shown)).toEqual([])
    expect(search.find(messages, 'tea', shown)).toEqual([0, 2])
    edits['1'] = 'Café at noon' // a later edit: folded again, accents and all
    expect(search.find(messages, 'cafe', shown)).toEqual([0])
    expect(search.find(messages, 'tea', shown)).toEqual([2])
    expect(messages.map((message) => message.text)).toEqual(['coffee at noon', 'coffee for me', 'tea'])
  })
})

describe('keptHit', () => {
  it('keeps the match shown, else the next newer one, else the newest', () => {
    expect(keptHit([2, 5, 9], 5)).toBe(1)
    expect(keptHit([2, 9], 5)).toBe(1)
    expect(keptHit([2, 3], 5)).toBe(1)
    expect(keptHit([], 5)).toBe(-1)
    expect(keptHit([2, 5], undefined)).toBe(-1)
  })
})
