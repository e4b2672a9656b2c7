// Work that waits while a late joiner's history still comes in parts (transport/arriving-histories.ts):
// the budgets' checks of the newest records. Each part's records are the newest for a moment,
// so checking the newest after every part checked CHECKED_NEWEST signatures per part (514 to
// 772 in a 10,000-message join of 3 or 4 parts, most of them in the tasks between parts, on
// the way of the next one), where the whole history needs CHECKED_NEWEST. The log waits for the
// last part the same way (components/room-controller.ts, "Drawn once it is here").

/**
 * Longest a callback waits for a history still coming, in ms, as the log's draw waits: a history
 * that stops coming, or a peer that announced records it never sends, delays the checks by this
 * much, never forever (and again every as long while more comes).
 */
export const HISTORY_CHECK_WAIT_MS = 2_000

/** Callbacks held while a history is arriving, run once it is here (or HISTORY_CHECK_WAIT_MS after the first held). */
export class AfterHistory {
  readonly #arriving: () => boolean
  readonly #waitMs: number
  #held: (() => void)[] = []
  #timer: ReturnType<typeof setTimeout> | null = null

  /** `arriving` says whether a history is still coming (Transport.historyArriving). */
  constructor(arriving: () => boolean, waitMs = HISTORY_CHECK_WAIT_MS) {
    this.#arriving = arriving
    this.#waitMs = waitMs
  }

  /** Runs `callback` now when no history is arriving (and none waits before it), else once it is here. */
  run(callback: () => void): void {
    if (this.#held.length === 0 && !this.#arriving()) {
      callback()
      return
    }
    this.#held.push(callback)
    this.#timer ??= setTimeout(() => this.#runHeld(), this.#waitMs)
  }

  /** Runs what is held if the history is here now: call it after every change of the document. */
  release(): void {
    if (this.#held.length > 0 && !this.#arriving()) this.#runHeld()
  }

  /** Drops what is held: nothing runs after. */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#held = []
  }

  #runHeld(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const held = this.#held
    this.#held = []
    for (const callback of held) callback()
  }
}
