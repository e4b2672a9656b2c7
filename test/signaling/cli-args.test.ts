// Unit tests of CLI flag and environment parsing: precedence, conversions and usage errors.
// parseCliArgs is pure, so the real process environment is never touched.

import { describe, expect, it } from 'vitest'
import { OPTION_SPECS, helpText, parseCliArgs } from '../../signaling/cli-args.js'
import { resolveOptions } from '../../signaling/options.js'

describe('parseCliArgs', () => {
  it('reads flags in both --flag value and --flag=value forms', () => {
    expect(parseCliArgs(['--port', '5000', '--host=127.0.0.1', '--trust-proxy'], {})).toEqual({
      kind: 'start',
      options: { port: 5000, host: '127.0.0.1', trustProxy: true },
    })
  })

  it('reads environment variables, flags winning over them', () => {
    const env = { PORT: '1', SIGNALING_PORT: '2', HOST: 'h', REDIS_URL: 'redis://r:1', SIGNALING_LOG_LEVEL: 'debug' }
    expect(parseCliArgs([], env)).toEqual({
      kind: 'start',
      options: { port: 2, host: 'h', redisUrl: 'redis://r:1', logLevel: 'debug' },
    })
    expect(parseCliArgs(['--port', '3'], env)).toMatchObject({ kind: 'start', options: { port: 3 } })
  })

  it('reads the subscriber cap per topic from its flag or environment variable', () => {
    expect(parseCliArgs(['--max-subscribers-per-topic', '0'], {})).toEqual({ kind: 'start', options: { maxSubscribersPerTopic: 0 } })
    expect(parseCliArgs([], { SIGNALING_MAX_SUBSCRIBERS_PER_TOPIC: '64' })).toEqual({
      kind: 'start',
      options: { maxSubscribersPerTopic: 64 },
    })
    expect(helpText()).toContain('--max-subscribers-per-topic')
    expect(resolveOptions().maxSubscribersPerTopic).toBe(256)
  })

  it('ignores empty environment variables', () => {
    expect(parseCliArgs([], { PORT: '' })).toEqual({ kind: 'start', options: {} })
  })

  it('takes the last of a repeated flag', () => {
    expect(parseCliArgs(['--port=1', '--port', '2'], {})).toEqual({ kind: 'start', options: { port: 2 } })
  })

  it('reads a boolean flag bare or with a value, and from the environment', () => {
    expect(parseCliArgs(['--trust-proxy=false'], {})).toEqual({ kind: 'start', options: { trustProxy: false } })
    expect(parseCliArgs(['--trust-proxy=yes'], {})).toEqual({ kind: 'start', options: { trustProxy: true } })
    expect(parseCliArgs([], { SIGNALING_TRUST_PROXY: 'off' })).toEqual({ kind: 'start', options: { trustProxy: false } })
    expect(parseCliArgs(['--trust-proxy'], { SIGNALING_TRUST_PROXY: 'off' })).toEqual({ kind: 'start', options: { trustProxy: true } })
  })

  it('asks for help', () => {
    expect(parseCliArgs(['--port', '1', '--help'], {})).toEqual({ kind: 'help' })
    expect(parseCliArgs(['-h'], {})).toEqual({ kind: 'help' })
    expect(parseCliArgs(['--help', '--nope'], {})).toEqual({ kind: 'help' })
  })

  it('lists every flag with its environment variables and default in the help', () => {
    const lines = helpText().split('\n')
    for (const spec of OPTION_SPECS) {
      const line = lines.findIndex((text) => text.startsWith(`  ${spec.flag} `))
      expect(line, spec.flag).toBeGreaterThan(0)
      expect(lines[line + 1], spec.flag).toContain(`env ${spec.env.join(' | ')}; default `)
    }
    expect(lines).toContain(`  ${'--port <value>'.padEnd(38)} TCP port (0 = any free port)`)
    expect(lines.some((text) => text.includes('default 4444'))).toBe(true)
    expect(lines.some((text) => text.startsWith('  --help '))).toBe(true)
  })

  it('reports usage errors', () => {
    expect(parseCliArgs(['--nope'], {})).toEqual({ kind: 'error', message: 'unknown argument "--nope" (try --help)' })
    expect(parseCliArgs(['--nope=3'], {})).toEqual({ kind: 'error', message: 'unknown argument "--nope=3" (try --help)' })
    expect(parseCliArgs(['-x'], {})).toEqual({ kind: 'error', message: 'unknown argument "-x" (try --help)' })
    expect(parseCliArgs(['5000'], {})).toEqual({ kind: 'error', message: 'unknown argument "5000" (try --help)' })
    expect(parseCliArgs(['--', '--port'], {})).toEqual({ kind: 'error', message: 'unknown argument "--" (try --help)' })
    expect(parseCliArgs(['--trust-proxy', 'false'], {})).toEqual({ kind: 'error', message: 'unknown argument "false" (try --help)' })
    expect(parseCliArgs(['--nope', '--help'], {})).toMatchObject({ kind: 'error' })
    expect(parseCliArgs(['--port'], {})).toMatchObject({ kind: 'error', message: '--port needs a value' })
    expect(parseCliArgs(['--port', '-1'], {})).toEqual({ kind: 'error', message: '--port expects a non-negative integer, got "-1"' })
    expect(parseCliArgs(['--port='], {})).toMatchObject({ kind: 'error', message: '--port expects a non-negative integer, got ""' })
    expect(parseCliArgs(['--log-level', 'loud'], {})).toMatchObject({ kind: 'error' })
    expect(parseCliArgs(['--trust-proxy=maybe'], {})).toEqual({
      kind: 'error',
      message: '--trust-proxy expects true or false, got "maybe"',
    })
    expect(parseCliArgs([], { SIGNALING_MAX_PAYLOAD_BYTES: '1e9' })).toEqual({
      kind: 'error',
      message: 'SIGNALING_MAX_PAYLOAD_BYTES: --max-payload-bytes expects a non-negative integer, got "1e9"',
    })
  })

  it('has a flag for every documented limit, all accepted by resolveOptions', () => {
    const keys = OPTION_SPECS.map((spec) => spec.key)
    for (const key of [
      'maxPayloadBytes',
      'maxTopicsPerConnection',
      'maxSubscribersPerTopic',
      'maxConnectionsPerIp',
      'rateLimitPerSecond',
      'rateLimitBurst',
      'maxBufferedBytes',
      'heartbeatIntervalMs',
      'redisUrl',
    ] as const) {
      expect(keys).toContain(key)
    }
    const argv = OPTION_SPECS.flatMap((spec) => {
      if (spec.kind === 'boolean') return [spec.flag]
      if (spec.kind === 'log-level') return [spec.flag, 'info']
      if (spec.key === 'redisUrl') return [spec.flag, 'redis://localhost:6379']
      return spec.kind === 'integer' ? [spec.flag, '7'] : [spec.flag, 'x']
    })
    const parsed = parseCliArgs(argv, {})
    expect(parsed.kind).toBe('start')
    if (parsed.kind === 'start') expect(() => resolveOptions(parsed.options)).not.toThrow()
  })
})

describe('resolveOptions', () => {
  it('fills defaults and rejects invalid values', () => {
    expect(resolveOptions({ port: undefined }).port).toBe(4444)
    expect(() => resolveOptions({ port: 70_000 })).toThrow(/port/)
    expect(() => resolveOptions({ rateLimitBurst: 0 })).toThrow(/rateLimitBurst/)
    expect(() => resolveOptions({ redisUrl: 'http://x' })).toThrow(/redisUrl/)
  })
})
