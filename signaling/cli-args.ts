// Turns command-line flags and environment variables into SignalingOptions, without side effects.
// One table (OPTION_SPECS) drives parsing, precedence (flag > env > default) and --help.

import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import { isLogLevel } from './logger.js'
import type { SignalingOptions } from './options.js'
import { DEFAULT_OPTIONS } from './options.js'

type Key = Exclude<keyof SignalingOptions, 'logSink' | 'closeGraceMs' | 'redisStartupWaitMs'>

/** One option: its flag, the environment variables that set it (first wins) and a help line. */
export interface OptionSpec {
  readonly key: Key
  readonly flag: string
  readonly env: readonly string[]
  readonly kind: 'integer' | 'string' | 'boolean' | 'log-level'
  readonly help: string
}

/** Every option the CLI understands. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: 'port', flag: '--port', env: ['SIGNALING_PORT', 'PORT'], kind: 'integer', help: 'TCP port (0 = any free port)' },
  { key: 'host', flag: '--host', env: ['SIGNALING_HOST', 'HOST'], kind: 'string', help: 'interface to bind (default: all)' },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: ['SIGNALING_LOG_LEVEL', 'LOG_LEVEL'],
    kind: 'log-level',
    help: 'silent|error|warn|info|debug',
  },
  {
    key: 'maxPayloadBytes',
    flag: '--max-payload-bytes',
    env: ['SIGNALING_MAX_PAYLOAD_BYTES'],
    kind: 'integer',
    help: 'largest frame accepted',
  },
  {
    key: 'maxTopicsPerConnection',
    flag: '--max-topics-per-connection',
    env: ['SIGNALING_MAX_TOPICS_PER_CONNECTION'],
    kind: 'integer',
    help: 'topics one connection may hold (0 = unlimited)',
  },
  {
    key: 'maxSubscribersPerTopic',
    flag: '--max-subscribers-per-topic',
    env: ['SIGNALING_MAX_SUBSCRIBERS_PER_TOPIC'],
    kind: 'integer',
    help: 'connections one topic may have (0 = unlimited)',
  },
  {
    key: 'maxConnectionsPerIp',
    flag: '--max-connections-per-ip',
    env: ['SIGNALING_MAX_CONNECTIONS_PER_IP'],
    kind: 'integer',
    help: 'concurrent connections per IP (0 = unlimited)',
  },
  {
    key: 'rateLimitPerSecond',
    flag: '--rate-limit-per-second',
    env: ['SIGNALING_RATE_LIMIT_PER_SECOND'],
    kind: 'integer',
    help: 'sustained frames/s per connection (0 = unlimited)',
  },
  {
    key: 'rateLimitBurst',
    flag: '--rate-limit-burst',
    env: ['SIGNALING_RATE_LIMIT_BURST'],
    kind: 'integer',
    help: 'frames per connection in a burst',
  },
  {
    key: 'maxBufferedBytes',
    flag: '--max-buffered-bytes',
    env: ['SIGNALING_MAX_BUFFERED_BYTES'],
    kind: 'integer',
    help: 'unsent bytes before a slow client is dropped (0 = unlimited)',
  },
  {
    key: 'heartbeatIntervalMs',
    flag: '--heartbeat-interval-ms',
    env: ['SIGNALING_HEARTBEAT_INTERVAL_MS'],
    kind: 'integer',
    help: 'ping interval; a missed pong terminates',
  },
  {
    key: 'redisUrl',
    flag: '--redis',
    env: ['SIGNALING_REDIS_URL', 'REDIS_URL'],
    kind: 'string',
    help: 'redis://host:port to share topics between instances',
  },
  {
    key: 'redisChannelPrefix',
    flag: '--redis-prefix',
    env: ['SIGNALING_REDIS_PREFIX'],
    kind: 'string',
    help: 'prefix of Redis channel names',
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy',
    env: ['SIGNALING_TRUST_PROXY'],
    kind: 'boolean',
    help: 'take the client IP from X-Forwarded-For',
  },
]

/** Outcome of parsing: options to start with, a request for help, or a usage error. */
export type CliParse =
  | { readonly kind: 'start'; readonly options: Partial<SignalingOptions> }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string }

type Value = string | number | boolean

function convert(spec: OptionSpec, raw: string): Value | Error {
  switch (spec.kind) {
    case 'integer': {
      const n = Number(raw)
      return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(n)
        ? n
        : new Error(`${spec.flag} expects a non-negative integer, got "${raw}"`)
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true
      if (/^(0|false|no|off|)$/i.test(raw)) return false
      return new Error(`${spec.flag} expects true or false, got "${raw}"`)
    case 'log-level':
      return isLogLevel(raw) ? raw : new Error(`${spec.flag} expects silent|error|warn|info|debug, got "${raw}"`)
    case 'string':
      return raw
  }
}

/** The flags as util.parseArgs declares them: every spec by name without "--", and --help / -h. */
const PARSE_ARGS_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(OPTION_SPECS.map((spec) => [spec.flag.slice(2), { type: spec.kind === 'boolean' ? 'boolean' : 'string' }])),
}

const SPEC_BY_NAME = new Map(OPTION_SPECS.map((spec) => [spec.flag.slice(2), spec]))

/**
 * Parses `argv` (without node and script) and `env` into options.
 * util.parseArgs splits the arguments (`--flag value`, `--flag=value`, `-h`, `--`); it runs
 * non-strict and hands back its tokens so that a value like `-1` still reaches the converter
 * (and gets its own error), and `--trust-proxy=false` works as the environment variable does.
 */
export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliParse {
  const { tokens } = parseArgs({ args: [...argv], options: PARSE_ARGS_OPTIONS, strict: false, allowPositionals: true, tokens: true })
  const fromFlags = new Map<Key, Value>()
  for (const token of tokens) {
    if (token.kind === 'option' && token.name === 'help') return { kind: 'help' }
    const spec = token.kind === 'option' ? SPEC_BY_NAME.get(token.name) : undefined
    if (token.kind !== 'option' || spec === undefined) {
      return { kind: 'error', message: `unknown argument "${argv[token.index] ?? ''}" (try --help)` }
    }
    const raw = token.value ?? (spec.kind === 'boolean' ? 'true' : undefined)
    if (raw === undefined) return { kind: 'error', message: `${spec.flag} needs a value` }
    const value = convert(spec, raw)
    if (value instanceof Error) return { kind: 'error', message: value.message }
    fromFlags.set(spec.key, value)
  }
  const options: Record<string, Value> = {}
  for (const spec of OPTION_SPECS) {
    const flagValue = fromFlags.get(spec.key)
    if (flagValue !== undefined) {
      options[spec.key] = flagValue
      continue
    }
    const envName = spec.env.find((name) => (env[name] ?? '') !== '')
    if (envName === undefined) continue
    const value = convert(spec, env[envName] ?? '')
    if (value instanceof Error) return { kind: 'error', message: `${envName}: ${value.message}` }
    options[spec.key] = value
  }
  return { kind: 'start', options: options as Partial<SignalingOptions> }
}

/** The --help text, generated from OPTION_SPECS and the defaults. */
export function helpText(): string {
  const lines = [
    'Parley signaling server (y-webrtc signaling protocol)',
    '',
    'Usage: npm run signaling -- [options]',
    '',
    'Options (flag, environment variables, default):',
  ]
  for (const spec of OPTION_SPECS) {
    const fallback = DEFAULT_OPTIONS[spec.key]
    const flag = spec.kind === 'boolean' ? spec.flag : `${spec.flag} <value>`
    lines.push(`  ${flag.padEnd(38)} ${spec.help}`)
    lines.push(`  ${''.padEnd(38)} env ${spec.env.join(' | ')}; default ${fallback === undefined ? 'none' : String(fallback)}`)
  }
  lines.push('  --help                                 show this text')
  lines.push('', 'Endpoints: ws://host:port (signaling), GET /healthz, GET /metrics')
  return lines.join('\n')
}
