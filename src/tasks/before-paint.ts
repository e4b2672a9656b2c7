// Work left until just before the page next paints: a user's action's tidying up (the user sees
// its effect in the same frame as the action's own, and what the action started, a message on
// its way out, goes first), a redraw for new messages, a layout read once per frame.

/** Longest wait for a frame, in ms: a page hidden meanwhile draws none, and its work must still run. */
const FRAME_FALLBACK_MS = 100

/** Callbacks asked before one frame, and the one fallback timer that stands in for that frame for all of them. */
interface Batch {
  timer: ReturnType<typeof setTimeout>
  waiting: Set<() => void>
  /** A frame came since the batch began: what is asked now waits for the frame after, a batch of its own. */
  frameCame: boolean
}

/**
 * The batch callbacks asked now join, null while none waits: a send asks for a few before its
 * message leaves (the composer's, the controller's), an arrival for two (the relay's, the log's),
 * and a timer each cost more than the frame request (BENCHMARKS.md, "Send", "Fifteenth session").
 * One asked at a frame starts a batch of its own: it joined the batch of the frame before, whose
 * timer, set up to a frame earlier, could fire before the next frame (seen in CI under load).
 */
let current: Batch | null = null

/** Runs every callback of `batch` still waiting: no frame came in FRAME_FALLBACK_MS (the page was hidden meanwhile). */
function runWaiting(batch: Batch): void {
  if (current === batch) current = null
  for (const run of batch.waiting) {
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
 * one timer stands in for that frame for all of them, so the latest may run sooner than
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
  if (current === null || current.frameCame) {
    const batch: Batch = { timer: setTimeout(() => runWaiting(batch), FRAME_FALLBACK_MS), waiting: new Set(), frameCame: false }
    current = batch
  }
  const batch = current
  const cancel = (): void => {
    if (done) return
    done = true
    cancelAnimationFrame(frame)
    if (!batch.waiting.delete(run) || batch.waiting.size > 0) return
    clearTimeout(batch.timer)
    if (current === batch) current = null
  }
  const run = (): void => {
    if (done) return
    cancel()
    callback()
  }
  const frame = requestAnimationFrame(() => {
    batch.frameCame = true
    run()
  })
  batch.waiting.add(run)
  return cancel
}
