// How many file downloads a tab runs at once: the rest wait their turn, in the order they asked.
// The queue is data and pure functions; DownloadSlots wraps it for the file elements of a tab.

/** Downloads a tab runs at once; the others wait ("Waiting…" in their file element). */
export const MAX_CONCURRENT_DOWNLOADS = 3

/** Which downloads run and which wait, by ticket, each in the order they asked. */
export interface DownloadQueue {
  readonly running: readonly number[]
  readonly waiting: readonly number[]
}

/** No download running or waiting. */
export const EMPTY_QUEUE: DownloadQueue = { running: [], waiting: [] }

/** Adds download `ticket`: it runs at once while fewer than `limit` run, else it waits its turn. */
export function enqueue(queue: DownloadQueue, ticket: number, limit: number): DownloadQueue {
  if (queue.running.includes(ticket) || queue.waiting.includes(ticket)) return queue
  return queue.running.length < limit
    ? { ...queue, running: [...queue.running, ticket] }
    : { ...queue, waiting: [...queue.waiting, ticket] }
}

/** Removes `ticket` (finished, failed or cancelled; running or waiting); the first waiting ones run in its place. */
export function dequeue(queue: DownloadQueue, ticket: number, limit: number): DownloadQueue {
  const running = queue.running.filter((each) => each !== ticket)
  const waiting = queue.waiting.filter((each) => each !== ticket)
  const free = Math.max(0, limit - running.length)
  return { running: [...running, ...waiting.slice(0, free)], waiting: waiting.slice(free) }
}

/** The tickets that run in `after` and did not in `before`: the downloads to start now. */
export function started(before: DownloadQueue, after: DownloadQueue): number[] {
  return after.running.filter((ticket) => !before.running.includes(ticket))
}

/** A wait for a download slot ended by its abort signal; `reason` as a cancelled fetch says it. */
export class DownloadWaitCancelled extends Error {
  readonly reason = 'cancelled'
  constructor() {
    super('download cancelled while waiting for a slot')
  }
}

/** The download slots of one tab, over a DownloadQueue. */
export class DownloadSlots {
  readonly limit: number
  #queue: DownloadQueue = EMPTY_QUEUE
  #nextTicket = 1
  /** Who waits for each waiting ticket to run. */
  readonly #wakers = new Map<number, () => void>()

  constructor(limit = MAX_CONCURRENT_DOWNLOADS) {
    this.limit = limit
  }

  /** The queue as it is now. */
  get queue(): DownloadQueue {
    return this.#queue
  }

  /**
   * Resolves, once a slot is free, to the function that frees it again (call it when the
   * download ends, however it ends); rejects with DownloadWaitCancelled if `signal` aborts first.
   */
  take(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new DownloadWaitCancelled())
    const ticket = this.#nextTicket++
    let freed = false
    const free = (): void => {
      if (freed) return
      freed = true
      signal?.removeEventListener('abort', onAbort)
      this.#set(dequeue(this.#queue, ticket, this.limit))
    }
    // Only a waiting ticket has a waker; a running one is freed when its download ends.
    const onAbort = (): void => this.#wakers.get(ticket)?.()
    return new Promise((resolve, reject) => {
      this.#wakers.set(ticket, () => {
        this.#wakers.delete(ticket)
        if (signal?.aborted) {
          free()
          reject(new DownloadWaitCancelled())
        } else {
          resolve(free)
        }
      })
      signal?.addEventListener('abort', onAbort)
      this.#set(enqueue(this.#queue, ticket, this.limit))
    })
  }

  #set(next: DownloadQueue): void {
    const before = this.#queue
    this.#queue = next
    for (const ticket of started(before, next)) this.#wakers.get(ticket)?.()
  }
}
