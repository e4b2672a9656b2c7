// The trace reader behind `bench/flood.ts --trace-tasks`: which tasks are longest, by wall or
// CPU time, and what filled them (self time per kind of work), on a small hand-made trace.
import { describe, expect, it } from 'vitest'
import { cpuByKind, longestTasks, threadSummary, type TraceEvent } from '../../bench/task-trace.js'

const PAGE = { pid: 7, tid: 1 }
const OTHER = { pid: 7, tid: 2 }

/** A complete event on `thread`, times in ms (the trace's are µs). */
function slice(name: string, atMs: number, ms: number, cpuMs: number, thread = PAGE, args?: Record<string, unknown>): TraceEvent {
  return { name, ph: 'X', ...thread, ts: atMs * 1000, dur: ms * 1000, tdur: cpuMs * 1000, args }
}

function trace(): TraceEvent[] {
  return [
    { name: 'thread_name', ph: 'M', ...PAGE, ts: 0, args: { name: 'CrRendererMain' } },
    { name: 'thread_name', ph: 'M', ...OTHER, ts: 0, args: { name: 'Compositor' } },
    // A long task that mostly waited for a core: 120 ms wall, 6 ms CPU.
    slice('ThreadControllerImpl::RunTask', 0, 120, 6),
    slice('RunTask', 0, 120, 6),
    slice('FunctionCall', 1, 10, 4, PAGE, { data: { functionName: 'onmessage', url: 'https://x/a/transport.js', lineNumber: 9 } }),
    slice('MinorGC', 2, 3, 1),
    slice('Commit', 20, 100, 2),
    // A shorter task with more work in it: 40 ms wall, 30 ms CPU, a style recalc and a layout.
    slice('RunTask', 200, 40, 30),
    slice('UpdateLayoutTree', 201, 15, 12, PAGE, { elementCount: 30 }),
    slice('Layout', 216, 20, 16, PAGE, { beginData: { dirtyObjects: 50, totalObjects: 900 } }),
    slice('EventDispatch', 236, 2, 2, PAGE, { data: { type: 'message' } }),
    // Another thread's long task is not the page's.
    slice('RunTask', 300, 500, 500, OTHER),
  ]
}

describe('longestTasks', () => {
  it('ranks the page thread’s outermost tasks by wall time, with self time per kind of work', () => {
    const [first, second, third] = longestTasks(trace(), 5)
    expect(third).toBeUndefined()
    expect(first).toMatchObject({ atMs: 0, ms: 120, cpuMs: 6, styledElements: 0 })
    const parts = Object.fromEntries(first.parts.map((part) => [part.label, part]))
    expect(parts.Commit).toEqual({ label: 'Commit', ms: 100, cpuMs: 2, count: 1 })
    // The call's own time excludes the collection inside it.
    expect(parts['FunctionCall onmessage transport.js:9']).toMatchObject({ ms: 7, cpuMs: 3, count: 1 })
    expect(parts.MinorGC).toMatchObject({ ms: 3, cpuMs: 1 })
    expect(parts['(task, not in a traced event)']).toMatchObject({ ms: 10 })
    expect(second).toMatchObject({ atMs: 200, ms: 40, styledElements: 30, layoutDirty: 50, layoutTotal: 900 })
    expect(second.parts.map((part) => part.label)).toEqual([
      'Layout',
      'UpdateLayoutTree',
      '(task, not in a traced event)',
      'EventDispatch message',
    ])
  })

  it('ranks by CPU time when asked', () => {
    expect(longestTasks(trace(), 1, 'cpu').map((task) => task.atMs)).toEqual([200])
  })

  it('finds nothing without a renderer main thread', () => {
    expect(
      longestTasks(
        trace().filter((event) => event.ph !== 'M'),
        3,
      ),
    ).toEqual([])
  })
})

describe('cpuByKind', () => {
  it('sums self CPU time per kind of work over every task of the page', () => {
    expect(cpuByKind(trace(), 3)).toEqual([
      { label: 'Layout', ms: 20, cpuMs: 16, count: 1 },
      { label: 'UpdateLayoutTree', ms: 15, cpuMs: 12, count: 1 },
      { label: 'FunctionCall onmessage transport.js:9', ms: 7, cpuMs: 3, count: 1 },
    ])
  })
})

describe('threadSummary', () => {
  it('counts tasks once, their wall and CPU time, and frames', () => {
    expect(threadSummary(trace())).toEqual({
      spanMs: 240,
      tasks: 2,
      busyMs: 160,
      cpuMs: 36,
      commits: 1,
      styleRecalcs: 1,
      layouts: 1,
    })
  })
})
