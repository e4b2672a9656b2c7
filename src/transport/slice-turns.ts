// Turns of the slices a room's links hand on (update-slices.ts): one slice a task, a posted
// message each, in the order asked whichever link asked, so that two links delivering large
// updates at once still apply one slice a task, and the page's input, frames and other messages
// run between them. A message's slices are all asked for as it arrives, so whoever waits for
// the slices received so far (`afterQueued`) waits for whole messages.
import { nextTask } from '../tasks/index.js'

/** One room's queue of turns. */
export class SliceTurns {
  #waiting: (() => void)[] = []
  #scheduled = false

  /** Runs `run` in a task of its own, after the turns asked before it. */
  readonly take = (run: () => void): void => {
    this.#waiting.push(run)
    this.#schedule()
  }

  /** Runs `callback` once every turn asked so far has run: at once if none waits, else in a turn after them. */
  afterQueued(callback: () => void): void {
    if (this.#waiting.length === 0) callback()
    else this.take(callback)
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    nextTask(() => {
      this.#scheduled = false
      const run = this.#waiting.shift()
      try {
        run?.()
      } finally {
        if (this.#waiting.length > 0) this.#schedule()
      }
    })
  }
}
