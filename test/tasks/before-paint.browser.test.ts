// beforeNextPaint in Chromium: callbacks asked before one frame run at it, in the order asked,
// each a frame callback of its own, with one fallback timer for all of them (a send asks for a
// few before its message leaves, an arrival for two). Counts, not times.
import { describe, expect, it } from 'vitest'
import { beforeNextPaint } from '../../src/tasks/index.js'
import { countCalls } from '../support/count-calls.js'

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve))

describe('beforeNextPaint', () => {
  it('runs the callbacks asked before a frame at that frame, in order, with one fallback timer for them all', async () => {
    await nextFrame()
    const timers = countCalls(window, 'setTimeout')
    const ran: string[] = []
    let frames = 0
    const counting = () => {
      frames++
      requestAnimationFrame(counting)
    }
    requestAnimationFrame(counting)
    beforeNextPaint(() => ran.push(`first at ${frames}`))
    const cancel = beforeNextPaint(() => ran.push('cancelled'))
    beforeNextPaint(() => {
      ran.push(`third at ${frames}`)
      // Asked from a frame callback: at the next frame.
      beforeNextPaint(() => ran.push(`fourth at ${frames}`))
      queueMicrotask(() => ran.push('third’s microtask'))
    })
    beforeNextPaint(() => ran.push(`fifth at ${frames}`))
    cancel()
    const asked = timers.take()
    await nextFrame()
    await nextFrame()
    await nextFrame()
    expect(ran).toEqual(['first at 1', 'third at 1', 'third’s microtask', 'fifth at 1', 'fourth at 2'])
    expect(asked).toBe(1)
  })
})
