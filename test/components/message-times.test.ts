// The log's message times: formatted as Intl formats them, once per record.
import { describe, expect, it } from 'vitest'
import { messageTimes } from '../../src/components/message-times.js'
import type { MessageRecord } from '../../src/room/index.js'

const record = (sentAt: number): MessageRecord => ({ id: `m${sentAt}`, authorId: 'u', authorName: 'Alice', text: 'hi', sentAt })

describe('messageTimes', () => {
  it('formats the short time, the full date and time, and ISO 8601 of when the message was sent', () => {
    const sentAt = Date.UTC(2026, 11, 2, 7, 5)
    expect(messageTimes(record(sentAt))).toEqual({
      short: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(sentAt),
      full: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(sentAt),
      iso: '2026-12-02T07:05:00.000Z',
    })
  })

  it('gives messages of one minute the same shown times, and each its own ISO time', () => {
    const minute = Date.UTC(2026, 11, 2, 7, 5)
    const [first, last, next] = [record(minute + 1), record(minute + 59_999), record(minute + 60_000)]
    expect(messageTimes(last)).toMatchObject({ short: messageTimes(first).short, full: messageTimes(first).full })
    expect(messageTimes(last).iso).toBe('2026-12-02T07:05:59.999Z')
    expect(messageTimes(next).short).toBe(
      new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(minute + 60_000),
    )
    expect(messageTimes(next).short).not.toBe(messageTimes(first).short)
  })

  it('formats each record once, and another record with its own time', () => {
    const first = record(1000)
    expect(messageTimes(first)).toBe(messageTimes(first))
    expect(messageTimes(record(61_000)).iso).toBe('1970-01-01T00:01:01.000Z')
  })
})
