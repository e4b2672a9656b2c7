// Work that waits while a late joiner's history still comes in parts (transport/arriving-histories.ts):
// the budgets' checks of the newest records, and the log's draw (Room.whenHistoryHere, which
// components/room-controller.ts uses: "Drawn once it is here"). Each part's records are the newest
// for a moment, so checking the newest after every part checked CHECKED_NEWEST signatures per part
// (514 to 772 in a 10,000-message join of 3 or 4 parts, most of them in the tasks between parts,
// on the way of the next one), where the whole history needs CHECKED_NEWEST; the log drew each
// part's newest screen, only to draw the next part's over it.

/**
 * Longest a callback waits for a history still coming, in ms: a history that stops coming, or a
 * peer that announced records it never sends, delays the checks and the log's draw by this much,
 * never forever (and again every as long while more comes).
 */
export const HISTORY_WAIT_MS = 2_000

/** Callbacks held while a history is arriving, run once it is here (or HISTORY_WAIT_MS after the first held). */
export class AfterHistory {
  readonly #arriving: () => boolean
  readonly #waitMs: number
  #held: (() => void)[] = []
  #timer: ReturnType<typeof setTimeout> | null = null

  /** `arriving` says whether a history is still coming (Transport.historyArriving). */
  constructor(arriving: () => boolean, waitMs = HISTORY_WAIT_MS) {
    this.#arriving = arriving
    this.#waitMs = waitMs
  }

  /**
   * Runs `callback` now when no history is arriving (and none waits before it), else once it is
   * here. Returns what drops it, if it has not run: the timer goes with the last one held.
   */
  run(callback: () => void): () => void {
    if (this.#held.length === 0 && !this.#arriving()) {
      callback()
      return () => {}
    }
    const held = (): void => callback()
    this.#held.push(held)
    this.#timer ??= setTimeout(() => this.#runHeld(), this.#waitMs)
    return () => this.#drop(held)
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

  #drop(held: () => void): void {
    const at = this.#held.indexOf(held)
    if (at === -1) return
    this.#held.splice(at, 1)
    if (this.#held.length > 0 || this.#timer === null) return
    clearTimeout(this.#timer)
    this.#timer = null
  }

  #runHeld(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    const held = this.#held
    this.#held = []
    for (const callback of held) callback()
  }
}
