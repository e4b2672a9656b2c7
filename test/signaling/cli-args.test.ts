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

  it('ignores empty environment variables', () => {
    expect(parseCliArgs([], { PORT: '' })).toEqual({ kind: 'start', options: {} })
  })

  it('asks for help', () => {
    expect(parseCliArgs(['--port', '1', '--help'], {})).toEqual({ kind: 'help' })
    expect(helpText()).toContain('--max-connections-per-ip')
  })

  it('reports usage errors', () => {
    expect(parseCliArgs(['--nope'], {})).toMatchObject({ kind: 'error' })
    expect(parseCliArgs(['--port'], {})).toMatchObject({ kind: 'error', message: '--port needs a value' })
    expect(parseCliArgs(['--port', '-1'], {})).toMatchObject({ kind: 'error' })
    expect(parseCliArgs(['--log-level', 'loud'], {})).toMatchObject({ kind: 'error' })
    expect(parseCliArgs([], { SIGNALING_MAX_PAYLOAD_BYTES: '1e9' })).toMatchObject({ kind: 'error' })
  })

  it('has a flag for every documented limit, all accepted by resolveOptions', () => {
    const keys = OPTION_SPECS.map((spec) => spec.key)
    for (const key of ['maxPayloadBytes', 'maxTopicsPerConnection', 'maxConnectionsPerIp', 'rateLimitPerSecond', 'rateLimitBurst', 'maxBufferedBytes', 'heartbeatIntervalMs', 'redisUrl'] as const) {
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
