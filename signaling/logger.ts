// Structured logging for the signaling server: one JSON object per line, filtered by level.
// Quiet by default; the sink is injectable so tests can capture lines instead of printing them.

/** Log levels from most to least quiet; a logger prints its level and everything above it. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug'

/** Every LogLevel, in order of increasing verbosity. */
export const LOG_LEVELS: readonly LogLevel[] = ['silent', 'error', 'warn', 'info', 'debug']

/** Extra fields of one log line; values must be JSON-serialisable. */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>

/** Writes one already-formatted line (without the trailing newline). */
export type LogSink = (line: string) => void

/** A levelled logger; `event` is a short snake_case name such as `connection_dropped`. */
export interface Logger {
  readonly level: LogLevel
  error(event: string, fields?: LogFields): void
  warn(event: string, fields?: LogFields): void
  info(event: string, fields?: LogFields): void
  debug(event: string, fields?: LogFields): void
}

/** True if `value` names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)
}

/** The default sink: standard error, so standard output stays free for the CLI's URL line. */
export const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n')
}

/** Creates a logger that writes lines at `level` or more severe to `sink`. */
export function createLogger(level: LogLevel, sink: LogSink = stderrSink, now: () => Date = () => new Date()): Logger {
  const threshold = LOG_LEVELS.indexOf(level)
  const emit = (lineLevel: Exclude<LogLevel, 'silent'>, event: string, fields: LogFields = {}): void => {
    if (LOG_LEVELS.indexOf(lineLevel) > threshold) return
    sink(JSON.stringify({ time: now().toISOString(), level: lineLevel, event, ...fields }))
  }
  return {
    level,
    error: (event, fields) => emit('error', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    info: (event, fields) => emit('info', event, fields),
    debug: (event, fields) => emit('debug', event, fields),
  }
}
