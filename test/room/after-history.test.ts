// The budgets' checks and the log's draw wait for a late joiner's history to be all here
// (room/after-history.ts): checked after every part, the newest of each part were checked
// (CHECKED_NEWEST per part); drawn after every part, each was drawn only to be drawn over.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AfterHistory, HISTORY_WAIT_MS } from '../../src/room/after-history.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('AfterHistory', () => {
  it('runs at once while no history is arriving', () => {
    const runs: string[] = []
    new AfterHistory(() => false).run(() => runs.push('now'))
    expect(runs).toEqual(['now'])
  })

  it('holds what comes while parts arrive, and runs each once, in order, when the last part released it', () => {
    let arriving = true
    const after = new AfterHistory(() => arriving)
    const runs: number[] = []
    // Three parts: each part's change asks for a check; none runs before the history is here.
    for (const part of [1, 2, 3]) {
      after.run(() => runs.push(part))
      after.release()
    }
    expect(runs).toEqual([])
    arriving = false
    after.release()
    expect(runs).toEqual([1, 2, 3])
    after.release()
    expect(runs).toEqual([1, 2, 3])
  })

  it('waits HISTORY_WAIT_MS at most for a history that stops coming', () => {
    vi.useFakeTimers()
    const after = new AfterHistory(() => true)
    const runs: number[] = []
    after.run(() => runs.push(1))
    vi.advanceTimersByTime(HISTORY_WAIT_MS - 1)
    expect(runs).toEqual([])
    vi.advanceTimersByTime(1)
    expect(runs).toEqual([1])
    // And again as long for what comes after.
    after.run(() => runs.push(2))
    vi.advanceTimersByTime(HISTORY_WAIT_MS)
    expect(runs).toEqual([1, 2])
  })

  it('keeps the order: a callback after held ones waits for them though the history is here', () => {
    let arriving = true
    const after = new AfterHistory(() => arriving)
    const runs: number[] = []
    after.run(() => runs.push(1))
    arriving = false
    after.run(() => runs.push(2))
    expect(runs).toEqual([])
    after.release()
    expect(runs).toEqual([1, 2])
  })

  it('runs nothing it was told to drop, and keeps no timer for it: a wait after starts its own', () => {
    vi.useFakeTimers()
    let arriving = true
    const after = new AfterHistory(() => arriving)
    const runs: number[] = []
    const dropFirst = after.run(() => runs.push(1))
    after.run(() => runs.push(2))
    dropFirst()
    arriving = false
    after.release()
    expect(runs).toEqual([2])
    // The log's draw waits, then its change finds the history here and drops the wait.
    arriving = true
    after.run(() => runs.push(3))()
    vi.advanceTimersByTime(HISTORY_WAIT_MS / 2)
    after.run(() => runs.push(4))
    vi.advanceTimersByTime(HISTORY_WAIT_MS - 1)
    expect(runs).toEqual([2])
    vi.advanceTimersByTime(1)
    expect(runs).toEqual([2, 4])
    after.run(() => runs.push(5))()
    expect(after.run(() => runs.push(6))).toBeTypeOf('function')
    arriving = false
    after.release()
    expect(runs).toEqual([2, 4, 6])
  })

  it('runs nothing once closed', () => {
    vi.useFakeTimers()
    const after = new AfterHistory(() => true)
    const runs: number[] = []
    after.run(() => runs.push(1))
    after.close()
    vi.advanceTimersByTime(HISTORY_WAIT_MS)
    expect(runs).toEqual([])
  })
})
