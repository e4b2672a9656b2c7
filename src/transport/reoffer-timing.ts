// When a link that has not connected counts as stuck: timed from its last progress, not from its
// start, with exponential backoff and jitter per attempt. Pure; stuck-links.ts applies it.

/** How long a link may go without any progress before it counts as stuck, at the first attempt, in ms. */
export const REOFFER_QUIET_MS = 8000
/** Each further attempt at the same peer waits this many times longer. */
export const REOFFER_BACKOFF_FACTOR = 2
/** Up to this fraction of the wait is added at random, so that peers that stalled together do not retry together. */
export const REOFFER_JITTER = 0.5
/**
 * How long, at the first attempt, a stock peer whose link to us failed on our side alone gets to
 * begin a new one itself before we offer to it, in ms (stuck-links.ts). A stock peer that saw the
 * failure announces at once (and is offered to then); one that did not holds its link for good.
 */
export const LAPSED_LINK_WAIT_MS = 3000
/** Fresh attempts at a peer whose links keep stalling before it counts as gone (until it announces again). */
export const MAX_REOFFERS = 3

/** One pending link's clock: when it last progressed, and how long it may stay quiet. */
export interface LinkClock {
  lastProgressAt: number
  quietMs: number
}

/**
 * How long a link of the given attempt (0: the first link to a peer) may stay quiet, in ms:
 * REOFFER_QUIET_MS · REOFFER_BACKOFF_FACTOR^attempt, plus up to REOFFER_JITTER of that.
 * `random` is in [0, 1) (Math.random in the shell, fixed in tests).
 */
export function quietLimitMs(attempt: number, random: number, baseMs = REOFFER_QUIET_MS): number {
  const backedOff = baseMs * REOFFER_BACKOFF_FACTOR ** attempt
  return Math.round(backedOff * (1 + REOFFER_JITTER * random))
}

/** A clock for a link first seen at `now`. */
export function startClock(now: number, attempt: number, random: number, baseMs = REOFFER_QUIET_MS): LinkClock {
  return { lastProgressAt: now, quietMs: quietLimitMs(attempt, random, baseMs) }
}

/** The clock after the link progressed at `now` (a signal sent or received, an ICE or connection state change). */
export function progressed(clock: LinkClock, now: number): LinkClock {
  return now > clock.lastProgressAt ? { ...clock, lastProgressAt: now } : clock
}

/** Whether the link has been quiet for longer than it may be. */
export function isStuck(clock: LinkClock, now: number): boolean {
  return now - clock.lastProgressAt >= clock.quietMs
}

/** Whether another attempt at a peer is due after `attemptsSoFar` failed ones (false: it counts as gone). */
export function mayRetry(attemptsSoFar: number): boolean {
  return attemptsSoFar < MAX_REOFFERS
}
