// How much of some work a browser did in each task: a probe posted as a message looks, task
// after task, at how far the work has come; the steps between its looks are what the tasks
// between them did. Posted messages run in the order posted, so work that itself runs in posted
// tasks alternates with the looks. Counts, not times.

/** Runs `callback` in a task of its own (a posted message). */
function inNextTask(callback: () => void): void {
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    channel.port1.close()
    callback()
  }
  channel.port2.postMessage(null)
}

/**
 * The progress `done()` made between looks, starting in the first task after the current one's
 * microtasks, until it reaches `total`: one step per look (zero where nothing was done).
 */
export async function stepsPerTask(done: () => number, total: number): Promise<number[]> {
  const seen: number[] = []
  await new Promise<void>((resolve) => {
    const look = (): void => {
      seen.push(done())
      if (seen[seen.length - 1] >= total) resolve()
      else inNextTask(look)
    }
    queueMicrotask(() => inNextTask(look))
  })
  return seen.map((count, k) => count - (k === 0 ? 0 : seen[k - 1]))
}
