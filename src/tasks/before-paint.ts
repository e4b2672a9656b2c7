// Work left until just before the page next paints: a user's action's tidying up (the user sees
// its effect in the same frame as the action's own, and what the action started, a message on
// its way out, goes first), a redraw for new messages, a layout read once per frame.

/** Longest wait for a frame, in ms: a page hidden meanwhile draws none, and its work must still run. */
const FRAME_FALLBACK_MS = 100

/**
 * The callbacks (their runs) waiting for a frame, and the one fallback timer that stands in for
 * it for all of them: a send asks for a few before its message leaves (the composer's, the
 * controller's), an arrival for two (the relay's, the log's), and a timer each cost more than the
 * frame request (BENCHMARKS.md, "Send", "Fifteenth session"). Null while none waits.
 */
let fallback: { timer: ReturnType<typeof setTimeout>; waiting: Set<() => void> } | null = null

/** Runs every callback still waiting: no frame came in FRAME_FALLBACK_MS (the page was hidden meanwhile). */
function runWaiting(): void {
  const batch = fallback
  fallback = null
  for (const run of batch?.waiting ?? []) {
    try {
      run()
    } catch (error) {
      // As a frame callback's would be: reported, and the others still run.
      queueMicrotask(() => {
        throw error
      })
    }
  }
}

/**
 * Runs `callback` once, before the next paint: at the next animation frame, or after
 * FRAME_FALLBACK_MS where none comes (the page was hidden after asking: its frames stop, and a
 * hidden page's title still counts unread messages). On a page already hidden, in a timer task of
 * its own at once (throttled there: a hidden page's redraws come at most about once a second).
 * Returns a cancel, a no-op once the callback ran. Callbacks asked before one frame run in the
 * order asked, each a frame callback of its own (the microtasks one queues run before the next);
 * one timer stands in for the frame for all of them, so the latest may run sooner than
 * FRAME_FALLBACK_MS after it asked where no frame comes.
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
    const batch = fallback
    if (batch === null || !batch.waiting.delete(run) || batch.waiting.size > 0) return
    clearTimeout(batch.timer)
    fallback = null
  }
  const run = (): void => {
    if (done) return
    cancel()
    callback()
  }
  const frame = requestAnimationFrame(run)
  fallback ??= { timer: setTimeout(runWaiting, FRAME_FALLBACK_MS), waiting: new Set() }
  fallback.waiting.add(run)
  return cancel
}
