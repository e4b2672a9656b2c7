// Work a user's action leaves until just before the page next paints: the user sees its effect
// in the same frame as the action's own, and what the action started (a message on its way out) goes first.

/** Longest wait for a frame, in ms: a page hidden meanwhile draws none, and its work must still run. */
const FRAME_FALLBACK_MS = 100

/**
 * Runs `callback` once, before the next paint: at the next animation frame, or after
 * FRAME_FALLBACK_MS where none comes (at once, in a task of its own, on a page already hidden).
 */
export function beforeNextPaint(callback: () => void): void {
  if (typeof requestAnimationFrame !== 'function' || document.visibilityState !== 'visible') {
    setTimeout(callback, 0)
    return
  }
  let done = false
  const run = (): void => {
    if (done) return
    done = true
    cancelAnimationFrame(frame)
    clearTimeout(timer)
    callback()
  }
  const frame = requestAnimationFrame(run)
  const timer = setTimeout(run, FRAME_FALLBACK_MS)
}
