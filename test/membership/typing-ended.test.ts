// Typing marks a message ends: which tabs a message from their user ends, for how long, and when
// the mark shows again (a new state, expiry, a forged message).
import { describe, expect, it } from 'vitest'
import type { MessageRecord } from '../../src/history/index.js'
import { membersOf, typingLineOf, type MemberMeta } from '../../src/membership/members.js'
import {
  NO_ENDED_TYPING,
  TYPING_ENDED_MAX_MS,
  TYPING_ENDED_RECENT_MS,
  endTyping,
  nextExpiry,
  stillEnded,
  typingShown,
} from '../../src/membership/typing-ended.js'
import type { Meta, PresenceState } from '../../src/presence/index.js'

const NOW = 1_000_000

const tab = (ref: string, typing: boolean, name = 'Alice'): Meta<MemberMeta> => ({ name, typing, since: 1, ref })

const stateOf = (entries: Record<string, Meta<MemberMeta>[]>): PresenceState<MemberMeta> =>
  new Map(Object.entries(entries).map(([key, metas]) => [key, { metas }]))

const messageBy = (authorId: string, sentAt = NOW): MessageRecord => ({
  id: `m-${authorId}-${sentAt}`,
  authorId,
  authorName: 'x',
  text: 'hi',
  sentAt,
})

describe('endTyping', () => {
  it("ends the typing tabs of the message's author, and no one else's", () => {
    const state = stateOf({ alice: [tab('1:2', true), tab('3:1', false)], bob: [tab('5:4', true, 'Bob')] })
    const ended = endTyping(NO_ENDED_TYPING, state, messageBy('alice'), NOW)
    expect([...ended.keys()]).toEqual(['1:2'])
    expect(ended.get('1:2')?.until).toBe(NOW + TYPING_ENDED_MAX_MS)
    const line = (at: number) =>
      typingLineOf(
        state,
        'me',
        () => 'verified',
        (meta) => typingShown(meta, ended, at),
      )
    expect(line(NOW)).toBe('Bob is typing…')
    expect(
      membersOf(
        state,
        'me',
        () => 'verified',
        (meta) => typingShown(meta, ended, NOW),
      ).map((m) => m.typing),
    ).toEqual([false, true])
    // Past its expiry the state's own flag shows again.
    expect(line(NOW + TYPING_ENDED_MAX_MS)).toBe('Alice and Bob are typing…')
  })

  it('returns the same map when the message ends nothing: nobody typing, or history', () => {
    const state = stateOf({ alice: [tab('1:2', true)], bob: [tab('5:4', false, 'Bob')] })
    expect(endTyping(NO_ENDED_TYPING, state, messageBy('bob'), NOW)).toBe(NO_ENDED_TYPING)
    expect(endTyping(NO_ENDED_TYPING, state, messageBy('carol'), NOW)).toBe(NO_ENDED_TYPING)
    const old = messageBy('alice', NOW - TYPING_ENDED_RECENT_MS - 1)
    expect(endTyping(NO_ENDED_TYPING, state, old, NOW)).toBe(NO_ENDED_TYPING)
    // An author whose clock runs ahead still ends their mark.
    expect(endTyping(NO_ENDED_TYPING, state, messageBy('alice', NOW + 5000), NOW).size).toBe(1)
  })
})

describe('stillEnded', () => {
  const state = stateOf({ alice: [tab('1:2', true)], bob: [tab('5:4', true, 'Bob')] })
  const first = messageBy('alice')
  const ended = endTyping(endTyping(NO_ENDED_TYPING, state, first, NOW), state, messageBy('bob'), NOW + 10)

  it('keeps what is still shown, unexpired and by a message that was not refused (the same map)', () => {
    expect(stillEnded(ended, state, NOW + 100, () => true)).toBe(ended)
    expect(nextExpiry(ended)).toBe(NOW + TYPING_ENDED_MAX_MS)
  })

  it("forgets a tab's mark once its state is replaced: its next state shows as it says", () => {
    const next = stateOf({ alice: [tab('1:3', true)], bob: [tab('5:4', true, 'Bob')] })
    expect([...stillEnded(ended, next, NOW + 100, () => true).keys()]).toEqual(['5:4'])
    expect(
      typingLineOf(
        next,
        'me',
        () => 'verified',
        (meta) => typingShown(meta, ended, NOW + 100),
      ),
    ).toBe('Alice is typing…')
  })

  it('forgets expired marks and marks ended by a message that failed its check', () => {
    expect([...stillEnded(ended, state, NOW + TYPING_ENDED_MAX_MS, () => true).keys()]).toEqual(['5:4'])
    expect([...stillEnded(ended, state, NOW + 100, (message) => message !== first).keys()]).toEqual(['5:4'])
    expect(nextExpiry(NO_ENDED_TYPING)).toBeUndefined()
  })
})
