// beforeNextPaint in Chromium: callbacks asked before one frame run at it, in the order asked,
// each a frame callback of its own, with one fallback timer for all of them (a send asks for a
// few before its message leaves, an arrival for two); one asked at a frame waits for the next.
// Counts, not times: a callback may run before its frame only from its fallback timer, which
// waits FRAME_FALLBACK_MS (100 ms) from when it was asked, and a busy machine can go that long
// without a frame (CI did, once: a callback asked at a frame ran from the frame before's timer).
import { describe, expect, it } from 'vitest'
import { beforeNextPaint } from '../../src/tasks/index.js'
import { countCalls } from '../support/count-calls.js'

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve))
/** FRAME_FALLBACK_MS, less a ms of timer rounding. */
const FALLBACK_AT_LEAST_MS = 99

describe('beforeNextPaint', () => {
  it('runs the callbacks asked before a frame at that frame, in order, with one fallback timer for them all', async () => {
    await nextFrame()
    const timers = countCalls(window, 'setTimeout')
    /** What ran, at which count of frames, and how long after it was asked (ms). */
    const ran: { label: string; frame: number; waitedMs: number }[] = []
    let frames = 0
    const counting = () => {
      frames++
      requestAnimationFrame(counting)
    }
    requestAnimationFrame(counting)
    const ask = (label: string, then?: () => void) => {
      const askedAt = performance.now()
      return beforeNextPaint(() => {
        ran.push({ label, frame: frames, waitedMs: performance.now() - askedAt })
        then?.()
      })
    }
    ask('first')
    const cancel = ask('cancelled')
    ask('third', () => {
      // Asked from a frame callback: at the next frame.
      ask('fourth')
      queueMicrotask(() => ran.push({ label: 'third’s microtask', frame: frames, waitedMs: 0 }))
    })
    ask('fifth')
    cancel()
    const asked = timers.take()
    await nextFrame()
    await nextFrame()
    await nextFrame()
    expect(asked).toBe(1)
    expect(ran.map(({ label }) => label)).toEqual(['first', 'third', 'third’s microtask', 'fifth', 'fourth'])
    const [first, third, , fifth, fourth] = ran
    // The first three together, at the frame, or (no frame for 100 ms) from the timer before it.
    expect([third.frame, fifth.frame]).toEqual([first.frame, first.frame])
    if (first.frame !== 1) expect([first.frame, first.waitedMs]).toEqual([0, expect.any(Number)])
    if (first.frame === 0) expect(first.waitedMs).toBeGreaterThanOrEqual(FALLBACK_AT_LEAST_MS)
    // The fourth at the frame after the third's, or from a timer of its own, 100 ms after it asked.
    if (fourth.frame === first.frame) expect(fourth.waitedMs).toBeGreaterThanOrEqual(FALLBACK_AT_LEAST_MS)
    else expect(fourth.frame).toBe(first.frame + 1)
  })
})
