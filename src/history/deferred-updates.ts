// Relaying and storing a room's changes: this page's own at once, other peers' after the page
// has drawn them. While anyone listens to a Yjs document's 'update' event, Yjs encodes every
// transaction as it ends: for a 100,000-message history arriving at once that is half a second
// before the first frame.
import * as Y from 'yjs'
import { afterDraw, TokenBucket } from '../tasks/index.js'
import {
  changesUpdate,
  type ClockRange,
  type DeleteSet,
  hasPending,
  rangesUpdateSteps,
  runSteps,
  StepBudget,
  transactionUpdate,
} from '../updates/index.js'

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

/**
 * Records (Yjs clock units) of other peers' changes one batch holds at most; past it, the rest
 * goes in later batches, each when the budget allows and the page has drawn. A relayed batch was
 * encoded, deflated and sent in one task: 1,607 records (410 KB) in a flood, 100 ms of encoding
 * on a loaded page (BENCHMARKS.md, Flood, "Thirteenth session"). This page's own changes go whole.
 * Below the relay's records burst (transport/relay.ts, half a link's 500), so that a full part can
 * still be passed on rather than left to the digests whole.
 */
export const RECORDS_PER_BATCH = 200

/**
 * Gets the changes of the transactions since the last call, with their origins; `more`: the
 * changes so far were more than a batch holds, and the rest follows in later calls (their
 * origins are among these).
 */
export type DeferredUpdateListener = (update: Uint8Array, origins: ReadonlySet<unknown>, more: boolean) => void

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
  /** What each listener says of a part before it is encoded (see `on`); a listener without one wants every part. */
  readonly #wants = new Map<DeferredUpdateListener, (ranges: readonly ClockRange[]) => boolean>()
  /** Batches encoded and passed on to the listeners. */
  batchesEncoded = 0
  /** Parts of other peers' changes that no listener wanted, left unencoded (see `on`). */
  partsSkipped = 0
  /** Batches passed to `#listeners` and waiting for the draw to reach `#lastListeners`. */
  #late: [Uint8Array, ReadonlySet<unknown>, boolean][] = []
  /** Waiting for every batch to have reached `#lastListeners` (see whenPassed). */
  #passedWaiters: (() => void)[] = []
  /** Per client, the first clock not yet passed on; null while nothing is pending. */
  #since: Map<number, number> | null = null
  /** True while what is pending is only the rest of a batch that was cut (other peers' changes, nothing new since). */
  #restOnly = false
  /** The deletions of the transactions gathered since the last batch that left no rest. */
  #deletions: DeleteSet[] = []
  /** Whether a batch of the changes pending was cut: its parts carried no deletions, so the last carries the document's. */
  #cutRun = false
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
  /** Batches that may go out now (BATCH_BURST, one more every MIN_BATCH_INTERVAL_MS; below zero after forced flushes: paid back). */
  readonly #batches: TokenBucket

  /** `now` reads the clock, in ms (for tests). */
  constructor(doc: Y.Doc, now: () => number = () => performance.now()) {
    this.#doc = doc
    this.#now = now
    this.#batches = new TokenBucket({ capacity: BATCH_BURST, refill: 1, refillMs: MIN_BATCH_INTERVAL_MS }, now())
    doc.on('beforeObserverCalls', this.#onLocalTransaction)
    doc.on('afterTransactionCleanup', this.#onTransaction)
  }

  /**
   * Calls `listener` with each batch of changes; returns what removes it. Listeners run in the
   * order they were added, except that those added with `last` get each batch after all others,
   * once the page has drawn (storage after the peers: an IndexedDB request and its commit, in
   * the CPU right after a send, delay the message's way over the data channel; see whenPassed).
   * `wants` is asked before a part of other peers' changes is encoded (one with more to follow:
   * the last carries the deletions, and always goes): when every listener says it does not want
   * its records (the store holds them, no link lacks them), the part is neither encoded nor passed
   * on. A joiner's history came whole from the link it now would be relayed back to, and was
   * stored as received: its 49 parts of 200 records were encoded for nobody.
   */
  on(listener: DeferredUpdateListener, options: { last?: boolean; wants?: (ranges: readonly ClockRange[]) => boolean } = {}): () => void {
    const listeners = options.last === true ? this.#lastListeners : this.#listeners
    listeners.add(listener)
    if (options.wants !== undefined) this.#wants.set(listener, options.wants)
    // A change made here is passed on as Yjs calls the document's observers, after whoever listened
    // for that before this listener was added: the transport's relay learns a change's source there.
    if (options.last !== true) {
      this.#doc.off('beforeObserverCalls', this.#onLocalTransaction)
      this.#doc.on('beforeObserverCalls', this.#onLocalTransaction)
    }
    return () => {
      listeners.delete(listener)
      this.#wants.delete(listener)
    }
  }

  /**
   * Resolves once every change so far, including one still waiting for its budget, has reached
   * the listeners added with `last` (storage: a send resolves once its message is stored); the
   * rest of a cut batch of other peers' changes is not waited for.
   */
  whenPassed(): Promise<void> {
    if (this.#waitsForNothing()) return Promise.resolve()
    return new Promise((resolve) => this.#passedWaiters.push(resolve))
  }

  /**
   * Whether nothing holds whoever waits for the changes so far: nothing pending, or only the rest
   * of a cut batch of other peers' changes (a send waits for its own line, not for a flood's rest).
   */
  #waitsForNothing(): boolean {
    return (this.#since === null || this.#restOnly) && this.#late.length === 0
  }

  /**
   * Passes on what is pending now, whatever the budget, to every listener (the tab is going away,
   * or the room closes). `heldUntil(client, from)`: up to which clock the records of `client` from
   * `from` on are held already, by storage and by the peers (a history stored as received, or
   * loaded, relayed in paced parts): those are not encoded. The rest of a 100,000-message reload's
   * parts, encoded whole at `pagehide`, took hundreds of ms that neither the store (it holds it)
   * nor the relay (it leaves a batch past its budget to the digests) used.
   */
  flush(heldUntil?: (client: number, from: number) => number): void {
    const since = this.#since
    if (heldUntil !== undefined && since !== null && !hasPending(this.#doc))
      for (const [client, from] of since)
        since.set(client, Math.min(Y.getState(this.#doc.store, client), Math.max(from, heldUntil(client, from))))
    this.#pass(Number.POSITIVE_INFINITY)
    this.#passLate()
  }

  /**
   * Passes on what is pending now, whatever the budget, at most `cap` records of other peers'
   * changes (the rest waits for the next batch); the `last` listeners get it after the draw.
   * `only`: the transaction whose change is all that is pending (a send), encoded on its own.
   */
  #pass(cap: number = RECORDS_PER_BATCH, only: Y.Transaction | null = null): void {
    const since = this.#since
    if (since === null || this.#doc.isDestroyed) return
    const origins = this.#origins
    const now = this.#now()
    this.#batches.spend(1, now)
    this.#flushedAt = now
    // Parts no listener wants are passed over at once: no work, so nothing to pace.
    let from = since
    let { ranges, rest } = this.#cut(from, cap)
    while (ranges !== null && rest !== null && this.#nobodyWants(ranges)) {
      this.partsSkipped++
      only = null
      from = rest
      ;({ ranges, rest } = this.#cut(from, cap))
    }
    this.#since = rest
    this.#restOnly = rest !== null
    this.#local = false
    const more = rest !== null
    // A run cut into parts (passed, or passed over) ends with the document's whole delete set, as before.
    const cutRun = this.#cutRun || more || from !== since
    this.#cutRun = more
    const deletions = this.#deletions
    if (!more) this.#deletions = []
    // The rest's origins are among these; what comes meanwhile adds to them.
    if (!more) this.#origins = new Set()
    const passed = more ? new Set(origins) : origins
    if (this.#listeners.size === 0 && this.#lastListeners.size === 0) {
      this.#passNext(more)
      this.#passLate()
      return
    }
    let update: Uint8Array
    if (only !== null && ranges === null && !hasPending(this.#doc)) {
      // A send: what its transaction wrote, without the document's state vectors or whole delete
      // set (they cost what the room holds; peers had its earlier deletions in earlier batches).
      update = transactionUpdate(only)
    } else if (ranges === null && !cutRun && !hasPending(this.#doc)) {
      // What the transactions gathered wrote (one arrival, most often: a peer's message), without the
      // document's whole delete set: finding it looked at every struct of the room, for each arrival
      // in the task after its draw (0.2 ms at 10,000 messages in Node), and peers had the earlier
      // deletions in earlier batches.
      const store = this.#doc.store
      const changed = rangesFrom(from, (client) => Y.getState(store, client))
      const wanted = !this.#nobodyWants(changed)
      update = changesUpdate(this.#doc, wanted ? changed : [], Y.mergeDeleteSets(deletions))
    } else if (ranges === null) {
      // Everything of the changed clients from where they were; of the others, nothing. After
      // parts nobody wanted, their last is often such a batch, and nobody wants its records either
      // (the store held them, but a send meanwhile made it more than the loaded history's): then
      // only the deletions, which the last batch always carries.
      const known = Y.decodeStateVector(Y.encodeStateVector(this.#doc))
      const wanted = hasPending(this.#doc) || !this.#nobodyWants(rangesFrom(from, (client) => known.get(client) ?? 0))
      if (wanted) for (const [client, clock] of from) known.set(client, clock)
      update = Y.encodeStateAsUpdate(this.#doc, Y.encodeStateVector(known))
    } else {
      // A part: its records, and the deletions with the last part.
      update = runSteps(rangesUpdateSteps(this.#doc, ranges, new StepBudget(Number.POSITIVE_INFINITY), !more))
    }
    this.batchesEncoded++
    for (const listener of this.#listeners) listener(update, passed, more)
    this.#passNext(more)
    if (this.#lastListeners.size === 0) {
      this.#passLate()
      return
    }
    this.#late.push([update, passed, more])
    if (this.#late.length === 1) afterDraw(() => this.#passLate())
  }

  /** Whether every listener said it does not want a part of `ranges` (none said nothing). */
  #nobodyWants(ranges: readonly ClockRange[]): boolean {
    if (this.#listeners.size + this.#lastListeners.size === 0) return false
    for (const listeners of [this.#listeners, this.#lastListeners])
      for (const listener of listeners) if (this.#wants.get(listener)?.(ranges) ?? true) return false
    return true
  }

  /** After a batch that left a rest: the rest goes once the page has drawn and the budget allows. */
  #passNext(more: boolean): void {
    if (more) this.#afterDraw()
  }

  /**
   * What of `since` one batch passes on: null when it all fits (`cap` records of other peers'
   * changes; this page's own go whole, first), else the clock ranges to pass now and, per client,
   * where the rest starts (null: nothing left).
   */
  #cut(since: ReadonlyMap<number, number>, cap: number): { ranges: ClockRange[] | null; rest: Map<number, number> | null } {
    const store = this.#doc.store
    // Yjs adds the changes it holds pending to a whole batch (they may be what a peer lacks): not cut.
    if (hasPending(this.#doc)) return { ranges: null, rest: null }
    const own = this.#doc.clientID
    let total = 0
    for (const [client, from] of since) if (client !== own) total += Y.getState(store, client) - from
    if (total <= cap) return { ranges: null, rest: null }
    const ranges: ClockRange[] = []
    const rest = new Map<number, number>()
    let left = cap
    // This page's own first, then whoever has the fewest records pending: a peer's line that came
    // while a history's rest is passed on goes in the next batch, not after the whole rest (up to
    // half a minute for 100,000 records, unstored and unrelayed meanwhile, behind whichever client
    // id was larger).
    const pending = (client: number): number => Y.getState(store, client) - (since.get(client) ?? 0)
    const clients = [...since.keys()].sort((a, b) => (a === own ? -1 : b === own ? 1 : pending(a) - pending(b) || b - a))
    for (const client of clients) {
      const from = since.get(client) ?? 0
      const to = Y.getState(store, client)
      const until = client === own ? to : Math.min(to, from + left)
      if (until > from) ranges.push({ client, from, to: until })
      if (client !== own) left -= until - from
      if (until < to) rest.set(client, until)
    }
    return { ranges, rest: rest.size > 0 ? rest : null }
  }

  /** Gives the `last` listeners every batch waiting for them, and tells whoever waits. */
  #passLate(): void {
    const late = this.#late
    this.#late = []
    for (const [update, origins, more] of late) for (const listener of this.#lastListeners) listener(update, origins, more)
    if (!this.#waitsForNothing()) return // a batch still waits for its budget
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
    // Nothing else pending: the batch is this transaction's change alone.
    const only = this.#since === null ? transaction : null
    const since = this.#since ?? new Map<number, number>()
    this.#restOnly = false
    for (const [client, clock] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0
      if (before !== clock) since.set(client, Math.min(since.get(client) ?? before, before))
    }
    this.#since = since
    if (deleted) this.#deletions.push(transaction.deleteSet)
    this.#origins.add(transaction.origin)
    // Yjs marks what it applied from an update (peers, storage) as not local.
    if (transaction.local) {
      this.#local = true
      this.#attempt(only)
    } else {
      this.#afterDraw()
    }
  }

  /**
   * Passes on what is pending if the budget allows it now, else sets a timer for when it will;
   * `only`: the transaction whose change is all that is pending, if it passes now (see #pass).
   */
  #attempt(only: Y.Transaction | null = null): void {
    if (this.#since === null) return
    const now = this.#now()
    const tokenWaitMs = this.#batches.waitMs(1, now)
    const spacingWaitMs = this.#local ? 0 : this.#flushedAt + MIN_BATCH_INTERVAL_MS - now
    const waitMs = Math.max(tokenWaitMs, spacingWaitMs)
    if (waitMs <= 0) this.#pass(RECORDS_PER_BATCH, only)
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

/** The records from `since` to `state`, per client, as clock ranges. */
function rangesFrom(since: ReadonlyMap<number, number>, stateOf: (client: number) => number): ClockRange[] {
  const ranges: ClockRange[] = []
  for (const [client, from] of since) {
    const to = stateOf(client)
    if (to > from) ranges.push({ client, from, to })
  }
  return ranges
}
