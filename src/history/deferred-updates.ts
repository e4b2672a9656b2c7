// Relaying and storing a room's changes: this page's own at once, other peers' after the page
// has drawn them. While anyone listens to a Yjs document's 'update' event, Yjs encodes every
// transaction as it ends: for a 100,000-message history arriving at once that is half a second
// before the first frame.
import * as Y from 'yjs'
import { afterDraw } from '../tasks/index.js'

/**
 * Steady spacing of batches, in ms: at most 50 a second in the long run, half of what a link
 * may carry (transport's peer guard). Without it a page that draws no frames (hidden, or Node)
 * would pass a flood on one update for one, and a fast screen at its frame rate; the other
 * peers' guards would then drop this peer's links as flooding. Other peers' changes are also
 * spaced by at least this much, so relaying a flood never spends the burst below.
 */
export const MIN_BATCH_INTERVAL_MS = 20

/**
 * Batches that may go out at once after a quiet spell (a token bucket refilled at one token
 * per MIN_BATCH_INTERVAL_MS): a person's message goes out the moment it is written, even just
 * after a relayed batch. Over any span, batches ≤ this burst plus one per interval, far below
 * the guard's own burst (1,000) and rate (100/s).
 */
export const BATCH_BURST = 8

/** Gets the changes of the transactions since the last call, with their origins. */
export type DeferredUpdateListener = (update: Uint8Array, origins: ReadonlySet<unknown>) => void

/**
 * A document's changes, gathered over transactions and encoded once per batch. A batch holding
 * a change made here (a local transaction: a send, a restore) goes out at once when the bucket
 * has a token; one of only other peers' changes (a late joiner's history, a relayed flood) waits
 * until the page has drawn, and a full interval after the last batch.
 */
export class DeferredUpdates {
  readonly #doc: Y.Doc
  readonly #listeners = new Set<DeferredUpdateListener>()
  /** Listeners called after all of `#listeners`, once the page has drawn (storage: see `on`). */
  readonly #lastListeners = new Set<DeferredUpdateListener>()
  /** Batches passed to `#listeners` and waiting for the draw to reach `#lastListeners`. */
  #late: [Uint8Array, ReadonlySet<unknown>][] = []
  /** Waiting for every batch to have reached `#lastListeners` (see whenPassed). */
  #passedWaiters: (() => void)[] = []
  /** Per client, the first clock not yet passed on; null while nothing is pending. */
  #since: Map<number, number> | null = null
  #origins = new Set<unknown>()
  /** True while what is pending holds a change made here. */
  #local = false
  /** Local transactions gathered as their observers were about to run (not again as they end). */
  #passedEarly = new WeakSet<Y.Transaction>()
  /** True while a frame (or, hidden, a task) is awaited before trying to pass on other peers' changes. */
  #awaitingDraw = false
  #timer: ReturnType<typeof setTimeout> | null = null
  /** When `#timer` fires (by `#now`). */
  #timerAt = Number.POSITIVE_INFINITY
  readonly #now: () => number
  /** When the last batch was passed on (by `#now`); -Infinity before the first. */
  #flushedAt = Number.NEGATIVE_INFINITY
  /** Tokens in the bucket at `#tokensAt` (below zero after forced flushes: they are paid back). */
  #tokens = BATCH_BURST
  #tokensAt: number

  /** `now` reads the clock, in ms (for tests). */
  constructor(doc: Y.Doc, now: () => number = () => performance.now()) {
    this.#doc = doc
    this.#now = now
    this.#tokensAt = now()
    doc.on('beforeObserverCalls', this.#onLocalTransaction)
    doc.on('afterTransactionCleanup', this.#onTransaction)
  }

  /**
   * Calls `listener` with each batch of changes; returns what removes it. Listeners run in the
   * order they were added, except that those added with `last` get each batch after all others,
   * once the page has drawn (storage after the peers: an IndexedDB request and its commit, in
   * the CPU right after a send, delay the message's way over the data channel; see whenPassed).
   */
  on(listener: DeferredUpdateListener, options: { last?: boolean } = {}): () => void {
    const listeners = options.last === true ? this.#lastListeners : this.#listeners
    listeners.add(listener)
    // A change made here is passed on as Yjs calls the document's observers, after whoever listened
    // for that before this listener was added: the transport's relay learns a change's source there.
    if (options.last !== true) {
      this.#doc.off('beforeObserverCalls', this.#onLocalTransaction)
      this.#doc.on('beforeObserverCalls', this.#onLocalTransaction)
    }
    return () => listeners.delete(listener)
  }

  /**
   * Resolves once every change so far, including one still waiting for its budget, has reached
   * the listeners added with `last` (storage: a send resolves once its message is stored).
   */
  whenPassed(): Promise<void> {
    if (this.#since === null && this.#late.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#passedWaiters.push(resolve))
  }

  /** Passes on what is pending now, whatever the budget, to every listener (the tab is going away, or the room closes). */
  flush(): void {
    this.#pass()
    this.#passLate()
  }

  /** Passes on what is pending now, whatever the budget; the `last` listeners get it after the draw. */
  #pass(): void {
    const since = this.#since
    if (since === null || this.#doc.isDestroyed) return
    const origins = this.#origins
    const now = this.#now()
    this.#tokens = this.#available(now) - 1
    this.#tokensAt = now
    this.#flushedAt = now
    this.#since = null
    this.#origins = new Set()
    this.#local = false
    if (this.#listeners.size === 0 && this.#lastListeners.size === 0) {
      this.#passLate()
      return
    }
    // Everything of the changed clients from where they were; of the others, nothing.
    const known = Y.decodeStateVector(Y.encodeStateVector(this.#doc))
    for (const [client, clock] of since) known.set(client, clock)
    const update = Y.encodeStateAsUpdate(this.#doc, Y.encodeStateVector(known))
    for (const listener of this.#listeners) listener(update, origins)
    if (this.#lastListeners.size === 0) {
      this.#passLate()
      return
    }
    this.#late.push([update, origins])
    if (this.#late.length === 1) afterDraw(() => this.#passLate())
  }

  /** Gives the `last` listeners every batch waiting for them, and tells whoever waits. */
  #passLate(): void {
    const late = this.#late
    this.#late = []
    for (const [update, origins] of late) for (const listener of this.#lastListeners) listener(update, origins)
    if (this.#since !== null) return // a batch still waits for its budget
    const waiters = this.#passedWaiters
    this.#passedWaiters = []
    for (const resolve of waiters) resolve()
  }

  destroy(): void {
    this.#doc.off('beforeObserverCalls', this.#onLocalTransaction)
    this.#doc.off('afterTransactionCleanup', this.#onTransaction)
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#since = null
    this.#passLate()
    this.#listeners.clear()
    this.#lastListeners.clear()
  }

  /**
   * A change made here goes out before the document's observers run (its record parsed back, the
   * room's lists and listeners): they are this page's business, the message's way out is not
   * theirs to wait for. Yjs has integrated the change and knows its state vector by then.
   */
  #onLocalTransaction = (transaction: Y.Transaction): void => {
    if (!transaction.local) return
    this.#passedEarly.add(transaction)
    this.#gather(transaction)
  }

  #onTransaction = (transaction: Y.Transaction): void => {
    if (!this.#passedEarly.has(transaction)) this.#gather(transaction)
  }

  /** Notes what `transaction` changed, and passes it on now (made here) or once the page has drawn. */
  #gather(transaction: Y.Transaction): void {
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
    // Yjs marks what it applied from an update (peers, storage) as not local.
    if (transaction.local) {
      this.#local = true
      this.#attempt()
    } else {
      this.#afterDraw()
    }
  }

  /** Tokens in the bucket at `now`. */
  #available(now: number): number {
    return Math.min(BATCH_BURST, this.#tokens + (now - this.#tokensAt) / MIN_BATCH_INTERVAL_MS)
  }

  /** Passes on what is pending if the budget allows it now, else sets a timer for when it will. */
  #attempt(): void {
    if (this.#since === null) return
    const now = this.#now()
    const tokenWaitMs = (1 - this.#available(now)) * MIN_BATCH_INTERVAL_MS
    const spacingWaitMs = this.#local ? 0 : this.#flushedAt + MIN_BATCH_INTERVAL_MS - now
    const waitMs = Math.max(tokenWaitMs, spacingWaitMs)
    if (waitMs <= 0) this.#pass()
    else this.#wakeAt(now + waitMs)
  }

  /** Tries again at `at` (by `#now`), keeping the earlier of this and a timer already set. */
  #wakeAt(at: number): void {
    if (this.#timer !== null && this.#timerAt <= at) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timerAt = at
    // Timers and `#now` need not agree (a timer may fire early, a test's clock stands still):
    // when it fires, ask the budget again rather than trust the wait worked out before.
    this.#timer = setTimeout(
      () => {
        this.#timer = null
        this.#timerAt = Number.POSITIVE_INFINITY
        this.#attempt()
      },
      Math.max(0, at - this.#now()),
    )
  }

  /** Tries once the page has drawn. */
  #afterDraw(): void {
    if (this.#awaitingDraw) return
    this.#awaitingDraw = true
    afterDraw(() => {
      this.#awaitingDraw = false
      this.#attempt()
    })
  }
}
