// The typing state machine (transitions only) and the typing line.
// Time is a parameter: no timers, no sleeps.

import { describe, expect, it } from 'vitest'
import type { PresenceState } from '../../src/presence/presence-state.js'
import {
  TYPING_IDLE,
  TYPING_TIMEOUT_MS,
  typingDeadline,
  typingKeys,
  typingLine,
  typingOnBlur,
  typingOnInput,
  typingOnSend,
  typingTick,
  type TypingState,
  type TypingStep,
} from '../../src/presence/typing.js'

/** Runs steps from idle and returns the typing value of every transition. */
function transitions(steps: ((state: TypingState) => TypingStep)[]): boolean[] {
  let state: TypingState = TYPING_IDLE
  const changes: boolean[] = []
  for (const step of steps) {
    const next = step(state)
    if (next.changed) changes.push(next.state.typing)
    state = next.state
  }
  return changes
}

describe('typing state machine', () => {
  it('a burst of keystrokes then send is one typing:true and one typing:false', () => {
    const keystrokes = [0, 150, 300, 2000, 3900].map((now) => (s: TypingState) => typingOnInput(s, now))

    expect(transitions([...keystrokes, typingOnSend])).toEqual([true, false])
  })

  it('stops exactly TYPING_TIMEOUT_MS after the last keystroke, not after the first', () => {
    const typing = typingOnInput(typingOnInput(TYPING_IDLE, 0).state, 1000).state

    expect(typingTick(typing, 1000 + TYPING_TIMEOUT_MS - 1)).toEqual({ state: typing, changed: false })
    expect(typingTick(typing, 1000 + TYPING_TIMEOUT_MS)).toEqual({ state: TYPING_IDLE, changed: true })
    expect(typingDeadline(typing)).toBe(1000 + TYPING_TIMEOUT_MS)
    expect(TYPING_TIMEOUT_MS).toBe(4000)
  })

  it('blur stops typing; send, blur and tick while idle change nothing', () => {
    expect(transitions([(s) => typingOnInput(s, 0), typingOnBlur])).toEqual([true, false])
    expect(transitions([typingOnSend, typingOnBlur, (s) => typingTick(s, 10 * TYPING_TIMEOUT_MS)])).toEqual([])
    expect(typingDeadline(TYPING_IDLE)).toBeUndefined()
  })

  it('typing again after a timeout is a new transition', () => {
    expect(
      transitions([
        (s) => typingOnInput(s, 0),
        (s) => typingTick(s, TYPING_TIMEOUT_MS),
        (s) => typingOnInput(s, TYPING_TIMEOUT_MS + 1),
        (s) => typingTick(s, TYPING_TIMEOUT_MS + 2),
      ]),
    ).toEqual([true, false, true])
  })
})

describe('typingLine', () => {
  it('names nobody, one, two, or "several people" for three or more', () => {
    expect(typingLine([])).toBe('')
    expect(typingLine(['Bob'])).toBe('Bob is typing…')
    expect(typingLine(['Bob', 'Carol'])).toBe('Bob and Carol are typing…')
    expect(typingLine(['Bob', 'Carol', 'Dan'])).toBe('Several people are typing…')
    expect(typingLine(['Bob', 'Carol', 'Dan', 'Eve'])).toBe('Several people are typing…')
  })
})

describe('typingKeys', () => {
  it('lists keys with any typing meta, in first-join order, without oneself', () => {
    const state: PresenceState<{ typing?: unknown }> = new Map([
      ['carol', { metas: [{ typing: true, ref: '1:1' }] }],
      ['me', { metas: [{ typing: true, ref: '2:1' }] }],
      [
        'bob',
        {
          metas: [
            { typing: false, ref: '3:1' },
            { typing: true, ref: '4:1' },
          ],
        },
      ],
      ['dan', { metas: [{ typing: 'yes', ref: '5:1' }, { ref: '6:1' }] }],
    ])

    expect(typingKeys(state, 'me')).toEqual(['carol', 'bob'])
    expect(typingKeys(state)).toEqual(['carol', 'me', 'bob'])
  })
})
