// An optional per-process log of how a Node peer's links come about (signaling frames, links
// opened and lost, the WebRTC library's errors), read by bench/join-trace.ts. Off unless JOIN_TRACE_DIR is set.
import { appendFileSync } from 'node:fs'

/** The folder the logs go to (one file per process, named by pid), or undefined: tracing is off. */
export const JOIN_TRACE_DIR: string | undefined = process.env.JOIN_TRACE_DIR

/** Whether lines are written at all (callers skip building them otherwise). */
export const joinTraceOn = JOIN_TRACE_DIR !== undefined

/** Appends one line, prefixed with the time in ms since the epoch, to this process's log. */
export function traceLine(line: string): void {
  if (JOIN_TRACE_DIR === undefined) return
  appendFileSync(`${JOIN_TRACE_DIR}/${process.pid}.log`, `${Date.now()} ${line}\n`)
}

/** Signaling payload fields a traced frame shows. */
interface TracedPayload {
  type?: unknown
  from?: unknown
  to?: unknown
  token?: unknown
  signal?: { type?: unknown; candidate?: unknown }
  parley?: unknown
}

/**
 * Traces one signaling frame as `in|out publish <announce|signal> <from> <to> <signal kind> <token> <mark>`
 * (empty fields as `-`); other frames as their type alone.
 */
export function traceFrame(direction: 'in' | 'out', text: unknown): void {
  if (JOIN_TRACE_DIR === undefined || typeof text !== 'string') return
  const frame = JSON.parse(text) as { type?: unknown; data?: TracedPayload }
  const data = frame.data
  if (frame.type !== 'publish' || typeof data !== 'object' || data === null) {
    traceLine(`${direction} ${String(frame.type)}`)
    return
  }
  const kind = data.signal === undefined ? '-' : String(data.signal.type ?? (data.signal.candidate === undefined ? '?' : 'candidate'))
  const field = (value: unknown) => (value === undefined || value === '' ? '-' : String(value))
  traceLine(
    `${direction} publish ${field(data.type)} ${field(data.from)} ${field(data.to)} ${kind} ${field(data.token)} ${field(data.parley)}`,
  )
}
