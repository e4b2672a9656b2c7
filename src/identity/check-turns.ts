// Turns of the page's signature checks. Chromium settles a WebCrypto check within the task that
// asks for it, so checks chained through promises (a batch of doubted records, 16 at once, each
// starting the next) all ran in one task: 500 of a forged flood's records made a task of 110 ms
// of CPU on a page with a core of its own (BENCHMARKS.md, "Flood"). Here every check waits for
// a turn: turns are given CHECKS_PER_TASK to a task of their own (a posted message), in the order
// asked, and the next such task is asked for only once this one ran, so the page's input, frames
// and data channels run between them. A check never runs in the task that asked for it (one that
// applied a flood's update, or drew the log).
import { nextTask } from '../tasks/index.js'

/** Signature checks run in one task at most (about 0.15 ms each in Chromium, with the key's hash). */
export const CHECKS_PER_TASK = 16

const waiting: (() => void)[] = []
/** Waiting for the next checks' task without a check's turn (see inChecksTask). */
let riding: (() => void)[] = []
let scheduled = false

/** Resolves in a task of the checks' own, with at most CHECKS_PER_TASK - 1 other turns in it. */
export function checkTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve)
    schedule()
  })
}

/**
 * Resolves in the next task of the checks' own, asking for one if none is asked, without taking a
 * check's turn: for work that goes before checks but not in the caller's task (the room's budgets
 * make a new message's check there, which the log asked for as it drew it). A task of its own for
 * that cost every arrival a second posted task (`nextTask`'s MessageChannel) before its text was drawn.
 */
export function inChecksTask(): Promise<void> {
  return new Promise((resolve) => {
    riding.push(resolve)
    schedule()
  })
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  nextTask(() => {
    scheduled = false
    const riders = riding
    riding = []
    for (const resolve of waiting.splice(0, CHECKS_PER_TASK)) resolve()
    for (const resolve of riders) resolve()
    if (waiting.length > 0) schedule()
  })
}
