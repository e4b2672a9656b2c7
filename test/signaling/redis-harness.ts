// Starts and stops a real, throw-away redis-server for tests (no persistence, loopback only).
// A missing binary is a test failure with install instructions, never a silent skip.

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { findRedisServer, redisServerPath } from '../../scripts/find-redis-server.js'
import { withTimeout } from './helpers.js'

/** The redis-server binary; REDIS_SERVER_BIN overrides the Debian package's path. */
export const REDIS_SERVER_BIN = redisServerPath()
const REDIS_START_TIMEOUT_MS = 10_000
const REDIS_STOP_TIMEOUT_MS = 5_000
const READY_LINE = 'Ready to accept connections'

/** A running redis-server. */
export interface RedisHandle {
  readonly port: number
  readonly url: string
  /** Stops it (SIGKILL simulates a crash); resolves once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Throws a clear error if redis-server cannot be run. */
export function requireRedisServer(): void {
  if (findRedisServer() === null) {
    throw new Error(
      `redis-server not found at ${REDIS_SERVER_BIN}: install it with \`apt-get install redis-server\` (or set REDIS_SERVER_BIN)`,
    )
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Starts redis-server on `port` (a free one by default) and waits until it accepts connections. */
export async function startRedis(port?: number): Promise<RedisHandle> {
  requireRedisServer()
  const chosenPort = port ?? (await freePort())
  const child = spawn(
    REDIS_SERVER_BIN,
    ['--port', String(chosenPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.includes(READY_LINE)) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)}:\n${output}`)))
  })
  try {
    await withTimeout(ready, `redis-server on port ${chosenPort} is ready`, REDIS_START_TIMEOUT_MS)
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return {
    port: chosenPort,
    url: `redis://127.0.0.1:${chosenPort}`,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const exited = waitForExit(child)
      child.kill(signal)
      await withTimeout(exited, 'redis-server stops', REDIS_STOP_TIMEOUT_MS).catch(async () => {
        child.kill('SIGKILL')
        await exited
      })
    },
  }
}
