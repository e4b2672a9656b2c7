// Typing marks that a message ended: when a message from a user arrives, that user's tabs stop
// being shown typing at once, before their own signed "stopped typing" state comes. Pure functions.
import type { Meta, PresenceState } from '../presence/index.js'
import type { MessageRecord } from '../history/index.js'
import type { MemberMeta } from './members.js'

/**
 * Longest a message hides its author's typing mark, in ms. The author's own stopped-typing state
 * follows its message within RoomPresence's TYPING_STOP_AFTER_SEND_MS; this bounds any mistake
 * (a message that overtook its author's next typing state, a burst of history).
 */
export const TYPING_ENDED_MAX_MS = 2000

/**
 * A message claimed sent longer ago than this (ms, by the author's clock against ours) ends
 * nobody's typing: it is history arriving (a late join), not a send just made.
 */
export const TYPING_ENDED_RECENT_MS = 10_000

/** Tab states (by presence ref) shown as not typing: until when (ms), and the message that ended them. */
export type EndedTyping = ReadonlyMap<string, { until: number; message: MessageRecord }>

/** No typing mark ended. */
export const NO_ENDED_TYPING: EndedTyping = new Map()

/**
 * `ended` plus the typing tabs of `message`'s author in `state`, ended by it until `now` +
 * TYPING_ENDED_MAX_MS; `ended` itself when the message ends nothing (nobody typing, or history).
 */
export function endTyping(ended: EndedTyping, state: PresenceState<MemberMeta>, message: MessageRecord, now: number): EndedTyping {
  if (now - message.sentAt > TYPING_ENDED_RECENT_MS) return ended
  const typing = state.get(message.authorId)?.metas.filter((meta) => meta.typing && !ended.has(meta.ref)) ?? []
  if (typing.length === 0) return ended
  const next = new Map(ended)
  for (const meta of typing) next.set(meta.ref, { until: now + TYPING_ENDED_MAX_MS, message })
  return next
}

/**
 * What is still ended: states still in `state`, not expired at `now`, whose message `keep`
 * accepts (a message that failed its signature check ends nothing). `ended` itself when all are.
 */
export function stillEnded(
  ended: EndedTyping,
  state: PresenceState<MemberMeta>,
  now: number,
  keep: (message: MessageRecord) => boolean,
): EndedTyping {
  if (ended.size === 0) return ended
  const present = new Set<string>()
  for (const { metas } of state.values()) for (const meta of metas) present.add(meta.ref)
  const next = new Map([...ended].filter(([ref, { until, message }]) => present.has(ref) && until > now && keep(message)))
  return next.size === ended.size ? ended : next
}

/** Whether a tab is shown typing: its state says so, and no message ended it (at `now`). */
export function typingShown(meta: Meta<MemberMeta>, ended: EndedTyping, now: number): boolean {
  if (!meta.typing) return false
  const end = ended.get(meta.ref)
  return end === undefined || end.until <= now
}

/** When the first ended mark expires (ms), or undefined when none is ended. */
export function nextExpiry(ended: EndedTyping): number | undefined {
  let first: number | undefined
  for (const { until } of ended.values()) if (first === undefined || until < first) first = until
  return first
}
