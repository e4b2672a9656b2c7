// Reads a Chrome trace (CDP tracing, JSON) and tells what filled a page's longest main-thread
// tasks: self time per kind of work (events, timers, frames, style, layout, paint, GC), and counts.
import { basename } from 'node:path'

/** Trace categories that show a task's parts: scripts, events, style, layout, paint and GC ('blink' would add detail at many times the size). */
export const TASK_TRACE_CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'toplevel',
  'v8.execute',
  'blink.user_timing',
  'disabled-by-default-v8.gc',
]

/** One event of a Chrome trace (the fields read here). Times in µs. */
export interface TraceEvent {
  name: string
  cat?: string
  ph: string
  pid: number
  tid: number
  ts: number
  dur?: number
  /** Thread (CPU) time, where the trace gives it. */
  tdur?: number
  args?: Record<string, unknown>
}

/** One long task and what filled it. Times in ms. */
export interface TaskBreakdown {
  /** Start, from the first task of the thread traced. */
  atMs: number
  ms: number
  /** The thread's CPU time in it (less than `ms` when the thread waited for a core). */
  cpuMs: number
  /** Self time per kind of work, largest first (wall and CPU). */
  parts: { label: string; ms: number; cpuMs: number; count: number }[]
  /** Elements whose style was recalculated, and layout objects laid out (dirty / total, summed). */
  styledElements: number
  layoutDirty: number
  layoutTotal: number
}

/** Names of a task in the trace, newer and older Chromium. */
const TASK_NAMES = new Set(['RunTask', 'ThreadControllerImpl::RunTask'])

/** A task's parts listed per kind, at most. */
const MAX_PARTS = 14

const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
const numberOf = (value: unknown): number => (typeof value === 'number' ? value : 0)

/** What an event is, for grouping: its name, with the event type or function where the trace gives one. */
function labelOf(event: TraceEvent): string {
  const data = record(event.args?.data)
  if (event.name === 'EventDispatch' && typeof data.type === 'string') return `EventDispatch ${data.type}`
  if (event.name === 'FunctionCall' && typeof data.functionName === 'string') {
    const url = typeof data.url === 'string' && data.url !== '' ? ` ${basename(data.url)}:${numberOf(data.lineNumber)}` : ''
    return `FunctionCall ${data.functionName || '(anonymous)'}${url}`
  }
  return event.name
}

/** Self time (an event's duration less that of the events directly inside it), summed per kind of work; `events` sorted by start. */
function partsOf(events: TraceEvent[]): Map<string, { ms: number; cpuMs: number; count: number }> {
  const self = new Map<TraceEvent, { wall: number; cpu: number }>()
  const stack: TraceEvent[] = []
  for (const event of events) {
    while (stack.length > 0 && event.ts >= stack[stack.length - 1].ts + (stack[stack.length - 1].dur ?? 0)) stack.pop()
    self.set(event, { wall: event.dur ?? 0, cpu: event.tdur ?? 0 })
    const parent = self.get(stack[stack.length - 1])
    if (parent !== undefined) {
      parent.wall -= event.dur ?? 0
      parent.cpu -= event.tdur ?? 0
    }
    stack.push(event)
  }
  const parts = new Map<string, { ms: number; cpuMs: number; count: number }>()
  for (const [event, time] of self) {
    const label = labelOf(event)
    const part = parts.get(label) ?? { ms: 0, cpuMs: 0, count: 0 }
    part.ms += Math.max(0, time.wall) / 1000
    part.cpuMs += Math.max(0, time.cpu) / 1000
    part.count++
    parts.set(label, part)
  }
  return parts
}

/** Index of the first of `sorted` (by start) that starts at or after `ts`. */
function firstAtOrAfter(sorted: TraceEvent[], ts: number): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >> 1
    if (sorted[middle].ts < ts) low = middle + 1
    else high = middle
  }
  return low
}

/** The page's main-thread events (complete ones, sorted by start, enclosing first), or null without one. */
function ownEvents(events: TraceEvent[]): TraceEvent[] | null {
  const thread = mainThread(events)
  if (thread === null) return null
  return events
    .filter((event) => event.pid === thread.pid && event.tid === thread.tid && event.ph === 'X' && event.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0))
}

/** CPU time on the page's main thread per kind of work over the whole trace, largest first, at most `count`. */
export function cpuByKind(events: TraceEvent[], count: number): { label: string; ms: number; cpuMs: number; count: number }[] {
  const own = ownEvents(events)?.filter((event) => !TASK_NAMES.has(event.name)) ?? []
  return [...partsOf(own)]
    .map(([label, part]) => ({ label, ...part }))
    .sort((a, b) => b.cpuMs - a.cpuMs)
    .slice(0, count)
}

/** The renderer main thread with the most task time (the page's, when one page is traced). */
function mainThread(events: TraceEvent[]): { pid: number; tid: number } | null {
  const mains = new Set(
    events
      .filter((event) => event.ph === 'M' && event.name === 'thread_name' && record(event.args).name === 'CrRendererMain')
      .map((event) => `${event.pid}:${event.tid}`),
  )
  const busy = new Map<string, number>()
  for (const event of events) {
    const key = `${event.pid}:${event.tid}`
    if (TASK_NAMES.has(event.name) && event.ph === 'X' && mains.has(key)) busy.set(key, (busy.get(key) ?? 0) + (event.dur ?? 0))
  }
  const top = [...busy].sort((a, b) => b[1] - a[1])[0]
  if (top === undefined) return null
  const [pid, tid] = top[0].split(':').map(Number)
  return { pid, tid }
}

/**
 * The `count` longest tasks on the page's main thread, by wall time or by the thread's CPU time
 * (on a loaded machine the two differ: a task waits for a core), each with its self time per kind of work.
 */
export function longestTasks(events: TraceEvent[], count: number, by: 'wall' | 'cpu' = 'wall'): TaskBreakdown[] {
  const own = ownEvents(events)
  if (own === null) return []
  // Outermost tasks only: Chromium nests a task event of one name in one of the other.
  const tasks: TraceEvent[] = []
  for (const event of own.filter((each) => TASK_NAMES.has(each.name))) {
    const outer = tasks[tasks.length - 1]
    if (outer === undefined || event.ts >= outer.ts + (outer.dur ?? 0)) tasks.push(event)
  }
  const firstTs = tasks[0]?.ts ?? 0
  const length = (task: TraceEvent) => (by === 'wall' ? task.dur : task.tdur) ?? 0
  const longest = [...tasks].sort((a, b) => length(b) - length(a)).slice(0, count)
  return longest.map((task) => {
    const end = task.ts + (task.dur ?? 0)
    const from = firstAtOrAfter(own, task.ts)
    const inside: TraceEvent[] = []
    for (let i = from; i < own.length && own[i].ts < end; i++) if (!TASK_NAMES.has(own[i].name)) inside.push(own[i])
    const parts = partsOf(inside)
    let styledElements = 0
    let layoutDirty = 0
    let layoutTotal = 0
    for (const event of inside) {
      const data = record(event.args?.data)
      const begin = record(event.args?.beginData)
      if (event.name === 'UpdateLayoutTree' || event.name === 'RecalculateStyles')
        styledElements += numberOf(event.args?.elementCount ?? data.elementCount)
      if (event.name === 'Layout') {
        layoutDirty += numberOf(begin.dirtyObjects)
        layoutTotal += numberOf(begin.totalObjects)
      }
    }
    const covered = [...parts.values()].reduce((sum, part) => sum + part.ms * 1000, 0)
    const coveredCpu = [...parts.values()].reduce((sum, part) => sum + part.cpuMs * 1000, 0)
    const untraced = ((task.dur ?? 0) - covered) / 1000
    if (untraced > 0) parts.set('(task, not in a traced event)', { ms: untraced, cpuMs: ((task.tdur ?? 0) - coveredCpu) / 1000, count: 1 })
    return {
      atMs: Math.round((task.ts - firstTs) / 1000),
      ms: (task.dur ?? 0) / 1000,
      cpuMs: (task.tdur ?? 0) / 1000,
      parts: [...parts]
        .map(([label, part]) => ({ label, ...part }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, MAX_PARTS),
      styledElements,
      layoutDirty,
      layoutTotal,
    }
  })
}

/** What the page's main thread did over the whole trace: tasks, CPU time, and frames. */
export interface ThreadSummary {
  spanMs: number
  tasks: number
  /** Wall and CPU time inside tasks. */
  busyMs: number
  cpuMs: number
  /** Frames committed to the compositor, style recalculations and layouts. */
  commits: number
  styleRecalcs: number
  layouts: number
}

/** Totals for the page's main thread over the trace: how much it ran, and how often it drew. */
export function threadSummary(events: TraceEvent[]): ThreadSummary | null {
  const thread = mainThread(events)
  if (thread === null) return null
  const own = events.filter((event) => event.pid === thread.pid && event.tid === thread.tid && event.ph === 'X')
  const count = (name: string) => own.filter((event) => event.name === name).length
  let tasks = 0
  let busy = 0
  let cpu = 0
  let end = Number.NEGATIVE_INFINITY
  let start = Number.POSITIVE_INFINITY
  for (const event of own.filter((each) => TASK_NAMES.has(each.name)).sort((a, b) => a.ts - b.ts)) {
    start = Math.min(start, event.ts)
    if (event.ts < end) continue // nested in the task before
    tasks++
    busy += event.dur ?? 0
    cpu += event.tdur ?? 0
    end = event.ts + (event.dur ?? 0)
  }
  return {
    spanMs: Math.round((end - start) / 1000),
    tasks,
    busyMs: Math.round(busy / 1000),
    cpuMs: Math.round(cpu / 1000),
    commits: count('Commit'),
    styleRecalcs: count('UpdateLayoutTree'),
    layouts: count('Layout'),
  }
}

/** The summary as one line. */
export function summaryLine(summary: ThreadSummary): string {
  return `Main thread over ${summary.spanMs} ms: ${summary.tasks} tasks, ${summary.busyMs} ms busy, ${summary.cpuMs} ms CPU; ${summary.commits} commits, ${summary.styleRecalcs} style recalcs, ${summary.layouts} layouts`
}

/** The breakdowns as text, one block per task. */
export function tasksReport(tasks: TaskBreakdown[]): string {
  return tasks
    .map((task) =>
      [
        `Task of ${task.ms.toFixed(1)} ms (CPU ${task.cpuMs.toFixed(1)} ms) at ${task.atMs} ms: style ${task.styledElements} elements, layout ${task.layoutDirty} dirty of ${task.layoutTotal} objects`,
        '    wall      CPU  count  self time in',
        ...task.parts.map(
          (part) =>
            `${part.ms.toFixed(1).padStart(8)} ${part.cpuMs.toFixed(1).padStart(8)}  ×${String(part.count).padEnd(5)} ${part.label}`,
        ),
      ].join('\n'),
    )
    .join('\n\n')
}
