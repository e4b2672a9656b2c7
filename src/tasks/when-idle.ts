// Work the page can leave for an idle moment (a cache kept warm, storage's merge), but that must
// still run on a busy page: after `timeoutMs` at the latest.

/** Runs `task` in an idle moment of the page (requestIdleCallback), at most `timeoutMs` later; at once where there is none (Node). */
export function whenIdle(task: () => void, timeoutMs: number): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(() => task(), { timeout: timeoutMs })
  else task()
}
