// Typing marks a verified message ends: which tabs a message from their user ends, for how long,
// and when the mark shows again (a new state, expiry).
import { describe, expect, it } from 'vitest'
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

const verified = () => 'verified' as const

describe('endTyping', () => {
  it("ends the typing tabs of the message's author, and no one else's", () => {
    const state = stateOf({ alice: [tab('1:2', true), tab('3:1', false)], bob: [tab('5:4', true, 'Bob')] })
    const ended = endTyping(NO_ENDED_TYPING, state, 'alice', NOW, NOW)
    expect([...ended.entries()]).toEqual([['1:2', NOW + TYPING_ENDED_MAX_MS]])
    const line = (at: number) => typingLineOf(state, 'me', verified, (meta) => typingShown(meta, ended, at))
    expect(line(NOW)).toBe('Bob is typing…')
    expect(membersOf(state, 'me', verified, (meta) => typingShown(meta, ended, NOW)).map((m) => m.typing)).toEqual([false, true])
    // Past its expiry the state's own flag shows again.
    expect(line(NOW + TYPING_ENDED_MAX_MS)).toBe('Alice and Bob are typing…')
  })

  it('returns the same map when the message ends nothing: nobody typing, or history', () => {
    const state = stateOf({ alice: [tab('1:2', true)], bob: [tab('5:4', false, 'Bob')] })
    expect(endTyping(NO_ENDED_TYPING, state, 'bob', NOW, NOW)).toBe(NO_ENDED_TYPING)
    expect(endTyping(NO_ENDED_TYPING, state, 'carol', NOW, NOW)).toBe(NO_ENDED_TYPING)
    expect(endTyping(NO_ENDED_TYPING, state, 'alice', NOW - TYPING_ENDED_RECENT_MS - 1, NOW)).toBe(NO_ENDED_TYPING)
    // An author whose clock runs ahead still ends their mark.
    expect(endTyping(NO_ENDED_TYPING, state, 'alice', NOW + 5000, NOW).size).toBe(1)
  })
})

describe('stillEnded', () => {
  const state = stateOf({ alice: [tab('1:2', true)], bob: [tab('5:4', true, 'Bob')] })
  const ended = endTyping(endTyping(NO_ENDED_TYPING, state, 'alice', NOW, NOW), state, 'bob', NOW + 10, NOW + 10)

  it('keeps what is still shown and unexpired (the same map)', () => {
    expect(stillEnded(ended, state, NOW + 100)).toBe(ended)
    expect(nextExpiry(ended)).toBe(NOW + TYPING_ENDED_MAX_MS)
  })

  it("forgets a tab's mark once its state is replaced: its next state shows as it says", () => {
    const next = stateOf({ alice: [tab('1:3', true)], bob: [tab('5:4', true, 'Bob')] })
    expect([...stillEnded(ended, next, NOW + 100).keys()]).toEqual(['5:4'])
    expect(typingLineOf(next, 'me', verified, (meta) => typingShown(meta, ended, NOW + 100))).toBe('Alice is typing…')
  })

  it('forgets expired marks', () => {
    expect([...stillEnded(ended, state, NOW + TYPING_ENDED_MAX_MS).keys()]).toEqual(['5:4'])
    expect(nextExpiry(NO_ENDED_TYPING)).toBeUndefined()
  })
})
