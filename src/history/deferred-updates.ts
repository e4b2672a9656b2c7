// Relaying and storing a room's changes after the page has drawn them. While anyone listens
// to a Yjs document's 'update' event, Yjs encodes every transaction as it ends: for a
// 100,000-message history arriving at once that is half a second before the first frame.
import * as Y from 'yjs'

/**
 * Shortest time between two batches, in ms: at most 50 a second, half of what a link may
 * carry (transport's peer guard). Without it a page that draws no frames (hidden, or Node)
 * would pass a flood on one update for one, and a fast screen at its frame rate; the other
 * peers' guards would then drop this peer's links as flooding.
 */
export const MIN_BATCH_INTERVAL_MS = 20

/** Gets the changes of the transactions since the last call, with their origins. */
export type DeferredUpdateListener = (update: Uint8Array, origins: ReadonlySet<unknown>) => void

/** A document's changes, gathered over transactions and encoded once, after the next frame. */
export class DeferredUpdates {
  readonly #doc: Y.Doc
  readonly #listeners = new Set<DeferredUpdateListener>()
  /** Per client, the first clock not yet passed on; null while nothing is pending. */
  #since: Map<number, number> | null = null
  #origins = new Set<unknown>()
  #scheduled = false
  readonly #now: () => number
  /** When the last batch was passed on (by `#now`); -Infinity before the first. */
  #flushedAt = Number.NEGATIVE_INFINITY

  /** `now` reads the clock, in ms (for tests). */
  constructor(doc: Y.Doc, now: () => number = () => performance.now()) {
    this.#doc = doc
    this.#now = now
    doc.on('afterTransaction', this.#onTransaction)
  }

  /** Calls `listener` with each batch of changes; returns what removes it. */
  on(listener: DeferredUpdateListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Passes on what is pending now (the tab is going away, or the room closes). */
  flush(): void {
    const since = this.#since
    if (since === null || this.#doc.isDestroyed) return
    const origins = this.#origins
    this.#flushedAt = this.#now()
    this.#since = null
    this.#origins = new Set()
    if (this.#listeners.size === 0) return
    // Everything of the changed clients from where they were; of the others, nothing.
    const known = Y.decodeStateVector(Y.encodeStateVector(this.#doc))
    for (const [client, clock] of since) known.set(client, clock)
    const update = Y.encodeStateAsUpdate(this.#doc, Y.encodeStateVector(known))
    for (const listener of this.#listeners) listener(update, origins)
  }

  destroy(): void {
    this.#doc.off('afterTransaction', this.#onTransaction)
    this.#listeners.clear()
    this.#since = null
  }

  #onTransaction = (transaction: Y.Transaction): void => {
    const inserted = [...transaction.afterState].some(([client, clock]) => (transaction.beforeState.get(client) ?? 0) !== clock)
    const deleted = transaction.deleteSet.clients.size > 0
    if (!inserted && !deleted) return
    const since = this.#since ?? new Map<number, number>()
    for (const [client, clock] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0
      if (before !== clock) since.set(client, Math.min(since.get(client) ?? before, before))
    }
    this.#since = since
    this.#origins.add(transaction.origin)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    const run = (): void => {
      this.#scheduled = false
      this.flush()
    }
    // After the next frame, so the page draws first; a hidden page draws no frames, and its
    // timers may wait a minute: a message-channel task runs at once there. Either way, a
    // batch that would follow the last by less than MIN_BATCH_INTERVAL_MS waits on a timer.
    const later = (): void => {
      const waitMs = this.#flushedAt + MIN_BATCH_INTERVAL_MS - this.#now()
      if (waitMs <= 0) nextTask(run)
      else setTimeout(run, waitMs)
    }
    const visible = typeof document !== 'undefined' && document.visibilityState === 'visible' && typeof requestAnimationFrame === 'function'
    if (visible) requestAnimationFrame(later)
    else later()
  }
}

/** Runs `callback` in a task of its own, untouched by timer throttling. */
function nextTask(callback: () => void): void {
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    channel.port1.close()
    callback()
  }
  channel.port2.postMessage(null)
}
