// Every long task of a page's main thread in a Chrome trace, and what ran in it: its wall and CPU
// time and, from the V8 samples the trace holds (`bench/flood.ts --trace-tasks --trace-file PATH`
// adds them), the functions that ran in it, by self time and by the time under each of Parley's
// own functions (src/). A task whose CPU is far below its wall time waited for a core.
// Run: npx tsx bench/trace-long-tasks.ts TRACE.json [--over 50] [--top 8]
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { longestTasks, type TaskBreakdown, type TraceEvent } from './task-trace.js'

interface ProfileNode {
  id: number
  parent?: number
  callFrame: { functionName: string; url?: string; lineNumber?: number }
}

/** A V8 sample: when it was taken, and the stack it saw (innermost first). */
interface Sample {
  ts: number
  stack: string[]
}

/** The samples of the profile taken on `pid`/`tid` (the CPU profiler's trace events). */
export function samplesOf(events: TraceEvent[], pid: number, tid: number): Sample[] {
  const profiles = new Map<string, { ts: number; nodes: Map<number, ProfileNode>; samples: Sample[] }>()
  const idOf = (event: TraceEvent) => String((event as unknown as { id?: string }).id)
  for (const event of events) {
    if (event.name === 'Profile' && event.pid === pid) {
      const data = (event.args?.data ?? {}) as { startTime?: number }
      profiles.set(idOf(event), { ts: data.startTime ?? event.ts, nodes: new Map(), samples: [] })
    }
  }
  const frame = (node: ProfileNode | undefined): string => {
    if (node === undefined) return '?'
    const { functionName, url, lineNumber } = node.callFrame
    return `${functionName || '(anonymous)'} ${basename(url ?? '')}:${(lineNumber ?? 0) + 1}`
  }
  for (const event of events) {
    if (event.name !== 'ProfileChunk' || event.pid !== pid) continue
    const profile = profiles.get(idOf(event))
    if (profile === undefined) continue
    const data = (event.args?.data ?? {}) as {
      cpuProfile?: { nodes?: ProfileNode[]; samples?: number[] }
      timeDeltas?: number[]
    }
    for (const node of data.cpuProfile?.nodes ?? []) profile.nodes.set(node.id, node)
    const ids = data.cpuProfile?.samples ?? []
    const deltas = data.timeDeltas ?? []
    for (let i = 0; i < ids.length; i++) {
      profile.ts += deltas[i] ?? 0
      const stack: string[] = []
      for (
        let node = profile.nodes.get(ids[i]);
        node !== undefined;
        node = node.parent === undefined ? undefined : profile.nodes.get(node.parent)
      )
        stack.push(frame(node))
      profile.samples.push({ ts: profile.ts, stack })
    }
  }
  void tid // one profile per renderer here: the main thread's
  return [...profiles.values()].flatMap((profile) => profile.samples).sort((a, b) => a.ts - b.ts)
}

/** The main thread the trace's tasks ran on (the one `longestTasks` reads). */
function mainThreadOf(events: TraceEvent[]): { pid: number; tid: number } | null {
  const busy = new Map<string, number>()
  for (const event of events)
    if ((event.name === 'RunTask' || event.name === 'ThreadControllerImpl::RunTask') && event.ph === 'X')
      busy.set(`${event.pid}:${event.tid}`, (busy.get(`${event.pid}:${event.tid}`) ?? 0) + (event.dur ?? 0))
  const mains = new Set(
    events
      .filter((event) => event.ph === 'M' && event.name === 'thread_name' && (event.args as { name?: string })?.name === 'CrRendererMain')
      .map((event) => `${event.pid}:${event.tid}`),
  )
  const top = [...busy].filter(([key]) => mains.has(key)).sort((a, b) => b[1] - a[1])[0]
  if (top === undefined) return null
  const [pid, tid] = top[0].split(':').map(Number)
  return { pid, tid }
}

/** Milliseconds per sample key, largest first. */
function tally(entries: Iterable<[string, number]>, top: number): [string, number][] {
  const sums = new Map<string, number>()
  for (const [key, ms] of entries) sums.set(key, (sums.get(key) ?? 0) + ms)
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top)
}

/** What ran, by self and by Parley's own functions, in the samples from `from` to `to` (µs). */
function whatRan(
  samples: Sample[],
  from: number,
  to: number,
  top: number,
): { self: [string, number][]; own: [string, number][]; sampled: number } {
  const inside: { ms: number; stack: string[] }[] = []
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]
    if (sample.ts < from || sample.ts > to) continue
    const next = samples[i + 1]
    inside.push({ ms: Math.min(next === undefined ? 0 : next.ts - sample.ts, to - sample.ts) / 1000, stack: sample.stack })
  }
  const isIdle = (stack: string[]) => stack[0]?.startsWith('(idle)') === true
  const busy = inside.filter((sample) => !isIdle(sample.stack))
  const self = tally(
    busy.map((sample) => [sample.stack[0] ?? '?', sample.ms]),
    top,
  )
  // Under each function of Parley's own code (or Yjs, lib0, y-webrtc), counted once per sample.
  const own = tally(
    busy.flatMap((sample) =>
      [...new Set(sample.stack.filter((name) => !name.startsWith('(') && !/^\S* :/.test(name) && !name.startsWith('(anonymous)')))].map(
        (name) => [name, sample.ms] as [string, number],
      ),
    ),
    top,
  )
  return { self, own, sampled: busy.reduce((sum, sample) => sum + sample.ms, 0) }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2]
  const flag = (name: string, fallback: number) => {
    const index = process.argv.indexOf(name)
    return index > 0 ? Number(process.argv[index + 1]) : fallback
  }
  const overMs = flag('--over', 50)
  const top = flag('--top', 8)
  const trace = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[]
  const events = Array.isArray(trace) ? trace : trace.traceEvents
  const thread = mainThreadOf(events)
  if (thread === null) throw new Error('no renderer main thread in the trace')
  const samples = samplesOf(events, thread.pid, thread.tid)
  const tasks = longestTasks(events, 100_000, 'wall').filter((task) => task.ms > overMs)
  const byCpu = longestTasks(events, 100_000, 'cpu').filter((task) => task.cpuMs > overMs)
  const firstTask = events
    .filter((e) => e.pid === thread.pid && e.tid === thread.tid && e.ph === 'X')
    .reduce((min, e) => Math.min(min, e.ts), Infinity)
  // The V8 sampler's start (the trace's, with --trace-file) is a task of about 100 ms of CPU in V8's interrupts: not the page's.
  const profilerStart = (task: TaskBreakdown) =>
    task.parts.some((part) => part.label === 'V8.InvokeApiInterruptCallbacks' && part.cpuMs > task.cpuMs / 2)
  const pages = longestTasks(events, 100_000, 'cpu').filter((task) => !profilerStart(task))
  const waited = tasks.filter((task) => task.cpuMs <= overMs).length
  console.log(
    `${file}: ${tasks.length} tasks over ${overMs} ms wall (${waited} of them with ${overMs} ms of CPU or less: waits for a core), ${byCpu.length} over ${overMs} ms CPU (${byCpu.length - byCpu.filter((task) => !profilerStart(task)).length} the sampler's start); longest ${Math.max(0, ...tasks.map((task) => task.ms)).toFixed(0)} ms wall; most CPU in one task besides the sampler's start ${(pages[0]?.cpuMs ?? 0).toFixed(1)} ms; ${samples.length} samples`,
  )
  const seen = new Set<number>()
  for (const task of [...byCpu, ...tasks]) {
    if (seen.has(task.atMs)) continue
    seen.add(task.atMs)
    const from = firstTask + task.atMs * 1000
    const ran = whatRan(samples, from, from + task.ms * 1000, top)
    const parts = task.parts
      .slice(0, 4)
      .map((part) => `${part.label} ${part.cpuMs.toFixed(1)}`)
      .join('; ')
    console.log(
      `\nTask at ${task.atMs} ms: ${task.ms.toFixed(1)} ms wall, ${task.cpuMs.toFixed(1)} ms CPU (${ran.sampled.toFixed(1)} ms sampled). Parts (CPU): ${parts}`,
    )
    console.log(`  self: ${ran.self.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(' | ')}`)
    console.log(`  under: ${ran.own.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(' | ')}`)
  }
}
