// The tab's download queue: at most `limit` downloads run, the rest wait in the order they asked,
// and a finished, failed or cancelled one (running or waiting) makes room for the next.
import { describe, expect, it } from 'vitest'
import {
  DownloadSlots,
  DownloadWaitCancelled,
  EMPTY_QUEUE,
  dequeue,
  enqueue,
  started,
  type DownloadQueue,
} from '../../src/components/download-queue.js'

/** The queue after tickets 1..count asked, in order, with room for `limit`. */
const asked = (count: number, limit: number): DownloadQueue =>
  Array.from({ length: count }, (_, index) => index + 1).reduce((queue, ticket) => enqueue(queue, ticket, limit), EMPTY_QUEUE)

describe('download queue', () => {
  it('runs the first `limit` at once and queues the rest in order, without changing the queue it was given', () => {
    const three = asked(3, 3)
    expect(three).toEqual({ running: [1, 2, 3], waiting: [] })
    const five = enqueue(enqueue(three, 4, 3), 5, 3)
    expect(five).toEqual({ running: [1, 2, 3], waiting: [4, 5] })
    expect(three).toEqual({ running: [1, 2, 3], waiting: [] })
    expect(enqueue(five, 4, 3)).toBe(five)
  })

  it('lets the first waiting one run when a running one ends, and drops a waiting one that is cancelled', () => {
    const five = asked(5, 3)
    const after = dequeue(five, 2, 3)
    expect(after).toEqual({ running: [1, 3, 4], waiting: [5] })
    expect(started(five, after)).toEqual([4])
    const cancelled = dequeue(after, 5, 3)
    expect(cancelled).toEqual({ running: [1, 3, 4], waiting: [] })
    expect(started(after, cancelled)).toEqual([])
    expect(dequeue(cancelled, 99, 3)).toEqual(cancelled)
  })

  it('fills every free slot when the limit leaves room for more than one', () => {
    const queue: DownloadQueue = { running: [1], waiting: [2, 3, 4] }
    expect(dequeue(queue, 1, 2)).toEqual({ running: [2, 3], waiting: [4] })
  })
})

describe('DownloadSlots', () => {
  it('gives a slot at once while there is one, then in turn as slots are freed', async () => {
    const slots = new DownloadSlots(2)
    const order: string[] = []
    const take = (name: string) =>
      slots.take().then((free) => {
        order.push(name)
        return free
      })
    const [a, b] = await Promise.all([take('a'), take('b')])
    const c = take('c')
    const d = take('d')
    await Promise.resolve()
    expect(order).toEqual(['a', 'b'])
    expect(slots.queue.waiting).toHaveLength(2)
    a()
    a() // freeing twice frees one slot
    const freeC = await c
    expect(order).toEqual(['a', 'b', 'c'])
    expect(slots.queue.waiting).toHaveLength(1)
    b()
    freeC()
    ;(await d)()
    expect(order).toEqual(['a', 'b', 'c', 'd'])
    expect(slots.queue).toEqual(EMPTY_QUEUE)
  })

  it('takes a cancelled wait out of the queue, and refuses a wait already cancelled', async () => {
    const slots = new DownloadSlots(1)
    const free = await slots.take()
    const abort = new AbortController()
    const waiting = slots.take(abort.signal)
    const next = slots.take()
    abort.abort()
    await expect(waiting).rejects.toBeInstanceOf(DownloadWaitCancelled)
    await expect(waiting).rejects.toMatchObject({ reason: 'cancelled' })
    expect(slots.queue.waiting).toHaveLength(1)
    free()
    ;(await next)()
    expect(slots.queue).toEqual(EMPTY_QUEUE)
    await expect(slots.take(abort.signal)).rejects.toBeInstanceOf(DownloadWaitCancelled)
    expect(slots.queue).toEqual(EMPTY_QUEUE)
  })
})
