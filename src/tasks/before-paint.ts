// Work left until just before the page next paints: a user's action's tidying up (the user sees
// its effect in the same frame as the action's own, and what the action started, a message on
// its way out, goes first), a redraw for new messages, a layout read once per frame.

/** Longest wait for a frame, in ms: a page hidden meanwhile draws none, and its work must still run. */
const FRAME_FALLBACK_MS = 100

/**
 * Runs `callback` once, before the next paint: at the next animation frame, or after
 * FRAME_FALLBACK_MS where none comes (the page was hidden after asking: its frames stop, and a
 * hidden page's title still counts unread messages). On a page already hidden, in a timer task of
 * its own at once (throttled there: a hidden page's redraws come at most about once a second).
 * Returns a cancel, a no-op once the callback ran.
 */
export function beforeNextPaint(callback: () => void): () => void {
  let done = false
  if (typeof requestAnimationFrame !== 'function' || typeof document === 'undefined' || document.visibilityState !== 'visible') {
    const task = setTimeout(() => {
      done = true
      callback()
    }, 0)
    return () => {
      if (!done) clearTimeout(task)
      done = true
    }
  }
  const cancel = (): void => {
    if (done) return
    done = true
    cancelAnimationFrame(frame)
    clearTimeout(timer)
  }
  const run = (): void => {
    if (done) return
    cancel()
    callback()
  }
  const frame = requestAnimationFrame(run)
  const timer = setTimeout(run, FRAME_FALLBACK_MS)
  return cancel
}
