// Typing marks that a verified message ended: when a message whose signature verified as its
// author's arrives, that user's tabs stop being shown typing at once. Pure functions.
import type { Meta, PresenceState } from '../presence/index.js'
import type { MemberMeta } from './members.js'

/**
 * Longest a message hides its author's typing mark, in ms. The author's own stopped-typing state
 * follows its message within a frame or two; this bounds any mistake (a message that overtook
 * its author's next typing state on a relayed path would otherwise hide it until her next change).
 */
export const TYPING_ENDED_MAX_MS = 2000

/**
 * A message claimed sent longer ago than this (ms, by the author's clock against ours) ends
 * nobody's typing: it is history arriving (a late join), not a send just made.
 */
export const TYPING_ENDED_RECENT_MS = 10_000

/** Tab states (by presence ref) shown as not typing, and until when (ms). */
export type EndedTyping = ReadonlyMap<string, number>

/** No typing mark ended. */
export const NO_ENDED_TYPING: EndedTyping = new Map()

/**
 * `ended` plus the typing tabs of user `authorId` in `state`, ended by a verified message claimed
 * sent at `sentAt`, until `now` + TYPING_ENDED_MAX_MS; `ended` itself when it ends nothing
 * (nobody typing, or history).
 */
export function endTyping(
  ended: EndedTyping,
  state: PresenceState<MemberMeta>,
  authorId: string,
  sentAt: number,
  now: number,
): EndedTyping {
  if (now - sentAt > TYPING_ENDED_RECENT_MS) return ended
  const typing = state.get(authorId)?.metas.filter((meta) => meta.typing && !ended.has(meta.ref)) ?? []
  if (typing.length === 0) return ended
  const next = new Map(ended)
  for (const meta of typing) next.set(meta.ref, now + TYPING_ENDED_MAX_MS)
  return next
}

/** What is still ended at `now`: states still in `state`, not expired. `ended` itself when all are. */
export function stillEnded(ended: EndedTyping, state: PresenceState<MemberMeta>, now: number): EndedTyping {
  if (ended.size === 0) return ended
  const present = new Set<string>()
  for (const { metas } of state.values()) for (const meta of metas) present.add(meta.ref)
  const next = new Map([...ended].filter(([ref, until]) => present.has(ref) && until > now))
  return next.size === ended.size ? ended : next
}

/** Whether a tab is shown typing: its state says so, and no verified message ended it (at `now`). */
export function typingShown(meta: Meta<MemberMeta>, ended: EndedTyping, now: number): boolean {
  if (!meta.typing) return false
  const until = ended.get(meta.ref)
  return until === undefined || until <= now
}

/** When the first ended mark expires (ms), or undefined when none is ended. */
export function nextExpiry(ended: EndedTyping): number | undefined {
  let first: number | undefined
  for (const until of ended.values()) if (first === undefined || until < first) first = until
  return first
}
