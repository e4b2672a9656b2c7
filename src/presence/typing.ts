// The "is typing" state machine of one tab, and the line that names who is typing.
// Pure: time comes in as `now`; each step says whether it changed, so only transitions are broadcast.

import type { PresenceState } from './presence-state.js'

/** How long after the last keystroke a tab stops counting as typing, in milliseconds. */
export const TYPING_TIMEOUT_MS = 4000

/** Whether this tab is typing, and since when its last keystroke was (ms). */
export type TypingState = { readonly typing: false } | { readonly typing: true; readonly lastInputAt: number }

/** The state after a step, and whether `typing` flipped (only then broadcast it). */
export type TypingStep = { state: TypingState; changed: boolean }

/** The state of a tab that is not typing. */
export const TYPING_IDLE: TypingState = Object.freeze({ typing: false })

function stop(state: TypingState): TypingStep {
  return { state: TYPING_IDLE, changed: state.typing }
}

/** A keystroke at `now`: typing starts (a transition) or its timeout restarts (no transition). */
export function typingOnInput(state: TypingState, now: number): TypingStep {
  return { state: { typing: true, lastInputAt: now }, changed: !state.typing }
}

/** The message was sent: typing stops. */
export function typingOnSend(state: TypingState): TypingStep {
  return stop(state)
}

/** The input lost focus: typing stops. */
export function typingOnBlur(state: TypingState): TypingStep {
  return stop(state)
}

/** Time passed: typing stops once TYPING_TIMEOUT_MS have gone by without a keystroke. */
export function typingTick(state: TypingState, now: number): TypingStep {
  if (state.typing && now - state.lastInputAt >= TYPING_TIMEOUT_MS) return stop(state)
  return { state, changed: false }
}

/** When typingTick will next stop typing (ms), or undefined when not typing: where to schedule a timer. */
export function typingDeadline(state: TypingState): number | undefined {
  return state.typing ? state.lastInputAt + TYPING_TIMEOUT_MS : undefined
}

/** The keys with at least one meta whose `typing` is true, in first-join order, except `exceptKey` (oneself). */
export function typingKeys<M extends object>(state: PresenceState<M>, exceptKey?: string): string[] {
  const keys: string[] = []
  for (const [key, { metas }] of state) {
    if (key === exceptKey) continue
    if (metas.some((meta) => 'typing' in meta && meta.typing === true)) keys.push(key)
  }
  return keys
}

/** "" | "Bob is typing…" | "Bob and Carol are typing…" | "Several people are typing…" (one name per typist). */
export function typingLine(names: readonly string[]): string {
  if (names.length === 0) return ''
  if (names.length === 1) return `${names[0]} is typing…`
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`
  return 'Several people are typing…'
}
