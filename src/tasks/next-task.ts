// When work runs: in a task of its own, or once the page has drawn. A posted message is a task
// of its own that timers' throttling does not touch (a hidden page's timers may wait a minute),
// and runs after the current task's microtasks, so the page's input, frames and data channels
// get their turn between two such tasks.
import { beforeNextPaint } from './before-paint.js'

/** Runs `callback` in a task of its own, untouched by timer throttling (a hidden page's timers may wait a minute). */
export function nextTask(callback: () => void): void {
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    channel.port1.close()
    callback()
  }
  channel.port2.postMessage(null)
}

/**
 * Runs `callback` once the page has drawn: in a task after the next frame (or after the
 * fallback timer of `beforeNextPaint`, where the page was hidden before its frame came), or in
 * the next task where none come. A hidden page draws no frames, and its timers may wait a
 * minute: a message-channel task runs at once there.
 */
export function afterDraw(callback: () => void): void {
  const visible = typeof document !== 'undefined' && document.visibilityState === 'visible' && typeof requestAnimationFrame === 'function'
  if (visible) beforeNextPaint(() => nextTask(callback))
  else nextTask(callback)
}
