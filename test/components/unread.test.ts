// The pure side of unread tracking: which messages count, the title prefix, and what a
// system notification says.
import { describe, expect, it } from 'vitest'
import {
  MAX_NOTIFICATION_BODY_CHARS,
  UnreadTally,
  bySettled,
  notificationFor,
  unreadFrom,
  withUnreadCount,
} from '../../src/components/unread.js'
import { AppendOnlyView } from '../../src/room/append-only-view.js'
import type { MessageRecord, Verdict } from '../../src/room/index.js'

const message = (id: string, authorId: string, authorName: string, text = id): MessageRecord => ({
  id,
  authorId,
  authorName,
  text,
  sentAt: 1_700_000_000_000,
})

describe('unreadFrom', () => {
  const messages = [message('m1', 'me', 'Me'), message('m2', 'ann', 'Ann'), message('m3', 'me', 'Me'), message('m4', 'bo', 'Bo')]

  it('counts only messages after the mark that others wrote, leaving the list as it was', () => {
    const before = [...messages]
    expect(unreadFrom(messages, 1, 'me').map((each) => each.id)).toEqual(['m2', 'm4'])
    expect(unreadFrom(messages, 4, 'me')).toEqual([])
    expect(messages).toEqual(before)
  })

  it('treats a mark below zero as the start', () => {
    expect(unreadFrom(messages, -3, 'ann').map((each) => each.id)).toEqual(['m1', 'm3', 'm4'])
  })
})

describe('UnreadTally', () => {
  /** Messages by `authors` ('me' among them), ids from `first` on. */
  const written = (authors: string[], first = 0) => authors.map((author, index) => message(`m${first + index}`, author, author))

  it('counts as unreadFrom does while the room appends, one view of its array per change', () => {
    const tally = new UnreadTally()
    const items = written(['ann', 'me'])
    expect(tally.countOf(new AppendOnlyView(items), 1, 'me')).toBe(0)
    for (const author of ['ann', 'me', 'bo', 'bo', 'me', 'ann']) {
      items.push(message(`m${items.length}`, author, author))
      const view = new AppendOnlyView(items)
      expect(tally.countOf(view, 1, 'me')).toBe(unreadFrom(view, 1, 'me').length)
    }
    expect(tally.countOf(new AppendOnlyView(items), 1, 'me')).toBe(4)
  })

  it('counts afresh after a reset: the room dropped its array for one sorted anew, longer or not', () => {
    const tally = new UnreadTally()
    const items = written(['me', 'ann', 'me', 'bo'])
    expect(tally.countOf(new AppendOnlyView(items), 1, 'me')).toBe(2)
    // Two older messages of others land inside what was counted, and one of the user's at the end:
    // a tally that only added what came past the old length would say 3, not 4.
    const sorted = [items[0], message('x1', 'cy', 'Cy'), items[1], message('x2', 'cy', 'Cy'), items[2], items[3], message('x3', 'me', 'Me')]
    expect(tally.countOf(new AppendOnlyView(sorted), 1, 'me')).toBe(unreadFrom(sorted, 1, 'me').length)
    expect(tally.countOf(new AppendOnlyView(sorted), 1, 'me')).toBe(4)
    // A reset to the same length, another author where one was: still counted afresh.
    const replaced = [...sorted.slice(0, 3), message('y1', 'me', 'Me'), ...sorted.slice(4)]
    expect(tally.countOf(new AppendOnlyView(replaced), 1, 'me')).toBe(3)
  })

  it('counts afresh for plain arrays, another mark or another user, and from the mark when it lies past the last list', () => {
    const tally = new UnreadTally()
    let messages = written(['ann', 'bo'])
    expect(tally.countOf(messages, 0, 'me')).toBe(2)
    messages = [message('m0', 'me', 'Me'), ...messages.slice(1), message('m2', 'ann', 'Ann')]
    expect(tally.countOf(messages, 0, 'me')).toBe(2)
    expect(tally.countOf(messages, 2, 'me')).toBe(1)
    expect(tally.countOf(messages, 0, 'ann')).toBe(2)
    // The same array again, grown in place by its owner: counted afresh, not taken as counted.
    messages.push(message('m3', 'bo', 'Bo'))
    expect(tally.countOf(messages, 0, 'ann')).toBe(3)
    const items = written(['ann', 'bo'])
    expect(tally.countOf(new AppendOnlyView(items), 3, 'me')).toBe(0)
    items.push(...written(['cy', 'dee', 'me'], 2))
    expect(tally.countOf(new AppendOnlyView(items), 3, 'me')).toBe(1)
  })
})

describe('bySettled', () => {
  it('holds back the messages whose signature is still being checked', () => {
    const messages = [message('m1', 'ann', 'Ann'), message('m2', 'bo', 'Bo'), message('m3', 'cy', 'Cy')]
    const verdicts: Record<string, Verdict> = { m1: 'verified', m2: 'pending', m3: 'unverified' }
    const { settled, pending } = bySettled(messages, (each) => verdicts[each.id])
    expect(settled.map((each) => each.id)).toEqual(['m1', 'm3'])
    expect(pending.map((each) => each.id)).toEqual(['m2'])
  })
})

describe('withUnreadCount', () => {
  it('puts the count in front, and nothing for zero', () => {
    expect(withUnreadCount('#lobby · Parley', 3)).toBe('(3) #lobby · Parley')
    expect(withUnreadCount('#lobby · Parley', 0)).toBe('#lobby · Parley')
  })

  it('puts the mentions of the user first', () => {
    expect(withUnreadCount('#lobby · Parley', 3, 1)).toBe('(@1 · 3) #lobby · Parley')
    expect(withUnreadCount('#lobby · Parley', 0, 0)).toBe('#lobby · Parley')
  })
})

describe('notificationFor', () => {
  it('names the author and shows the text of a single message', () => {
    expect(notificationFor('lobby', [message('m1', 'ann', 'Ann', 'Lunch?')])).toEqual({ title: 'Ann in #lobby', body: 'Lunch?' })
  })

  it('sums up several messages by count and authors', () => {
    const fresh = [message('m1', 'ann', 'Ann'), message('m2', 'bo', 'Bo'), message('m3', 'ann', 'Ann')]
    expect(notificationFor('lobby', fresh)).toEqual({ title: '3 new messages in #lobby', body: 'From Ann, Bo' })
  })

  it('says when a message mentions the user', () => {
    const mentioning = (each: MessageRecord) => each.text.includes('@Me')
    expect(notificationFor('lobby', [message('m1', 'ann', 'Ann', 'hi @Me')], mentioning)).toEqual({
      title: 'Ann mentioned you in #lobby',
      body: 'hi @Me',
    })
    const fresh = [message('m1', 'ann', 'Ann', 'hi @Me'), message('m2', 'bo', 'Bo', 'hi')]
    expect(notificationFor('lobby', fresh, mentioning)).toEqual({ title: '2 new messages in #lobby, 1 mentions you', body: 'From Ann, Bo' })
  })

  it('never says an unverified message mentions the user, and marks its author as the log does', () => {
    const mentioning = (each: MessageRecord) => each.text.includes('@Me')
    const verdictOf = (each: MessageRecord): Verdict => (each.authorId === 'forger' ? 'unverified' : 'verified')
    expect(notificationFor('lobby', [message('m1', 'forger', 'Ann', 'hi @Me')], mentioning, verdictOf)).toEqual({
      title: '⚠ Ann (unverified) in #lobby',
      body: 'hi @Me',
    })
    const fresh = [message('m1', 'forger', 'Ann', 'hi @Me'), message('m2', 'ann', 'Ann', 'hi')]
    expect(notificationFor('lobby', fresh, mentioning, verdictOf)).toEqual({
      title: '2 new messages in #lobby',
      body: 'From ⚠ Ann (unverified), Ann',
    })
  })

  it('says nothing about no messages, and cuts long texts without splitting characters', () => {
    expect(notificationFor('lobby', [])).toBeNull()
    const long = '🙂'.repeat(MAX_NOTIFICATION_BODY_CHARS + 5)
    const body = notificationFor('lobby', [message('m1', 'ann', 'Ann', long)])?.body ?? ''
    expect([...body]).toHaveLength(MAX_NOTIFICATION_BODY_CHARS)
    expect(body.endsWith('🙂…')).toBe(true)
  })
})
