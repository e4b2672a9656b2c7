// Work the page can leave for an idle moment (a cache kept warm, storage's merge), but that must
// still run on a busy page: after `timeoutMs` at the latest.

/**
 * Runs `task` in an idle moment of the page (requestIdleCallback), at most `timeoutMs` later; at
 * once where there is none (Node). `timeLeft` says how many ms of the idle moment are left (0
 * when the timeout ran it, or in Node): a task in steps may run several while it lasts.
 */
export function whenIdle(task: (timeLeft: () => number) => void, timeoutMs: number): void {
  if (typeof requestIdleCallback === 'function')
    requestIdleCallback((deadline) => task(() => (deadline.didTimeout ? 0 : deadline.timeRemaining())), { timeout: timeoutMs })
  else task(() => 0)
}
