// Process tests of the CLI: the URL line, --help, usage errors, and graceful SIGTERM.
// Spawns `node --import tsx signaling/cli.ts`, the same code `npm run signaling` runs, and the
// production path: `npm run build:signaling`, then the command of `npm run serve:signaling`.

import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLOSE_GOING_AWAY } from '../../signaling/protocol.js'
import { TestClient, cleanup, track, withTimeout } from './helpers.js'

afterEach(cleanup)

const CLI_ARGS = ['--import', 'tsx', 'signaling/cli.ts']
/** tsx compiles on first start, which is slow on a busy two-core machine. */
const START_TIMEOUT_MS = 15_000

interface Cli {
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  stdout: string
  stderr: string
}

function runCli(args: readonly string[], env: Record<string, string> = {}, nodeArgs: readonly string[] = CLI_ARGS): Cli {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: process.cwd(),
    env: { ...process.env, SIGNALING_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const cli: Cli = {
    child,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    stdout: '',
    stderr: '',
  }
  child.stdout?.on('data', (chunk: Buffer) => {
    cli.stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    cli.stderr += chunk.toString()
  })
  track(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await cli.exited
  })
  return cli
}

async function waitForUrl(cli: Cli): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const match = /listening on (ws:\/\/\S+)/.exec(cli.stdout)
        if (match?.[1] !== undefined) resolve(match[1])
      }
      cli.child.stdout?.on('data', check)
      void cli.exited.then((code) => reject(new Error(`CLI exited with ${code}: ${cli.stderr}`)))
      check()
    }),
    'the CLI prints its URL',
    START_TIMEOUT_MS,
  )
}

describe('signaling CLI', () => {
  it('prints one URL line, serves clients, and on SIGTERM closes them with 1001 and exits 0', { timeout: 30_000 }, async () => {
    const cli = runCli(['--host', '127.0.0.1'], { PORT: '0' })
    const url = await waitForUrl(cli)
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    expect(cli.stdout.trim().split('\n')).toHaveLength(1)
    const client = await TestClient.connect(url)
    await client.sync()
    cli.child.kill('SIGTERM')
    expect((await withTimeout(client.closed, 'client closed by shutdown')).code).toBe(CLOSE_GOING_AWAY)
    expect(await withTimeout(cli.exited, 'CLI exits', START_TIMEOUT_MS)).toBe(0)
  })

  it('prints help and exits 0; rejects unknown flags with exit code 2', { timeout: 30_000 }, async () => {
    const help = runCli(['--help'])
    expect(await withTimeout(help.exited, 'help exits', START_TIMEOUT_MS)).toBe(0)
    expect(help.stdout).toContain('--port')
    expect(help.stdout).toContain('REDIS_URL')
    const bad = runCli(['--bogus'])
    expect(await withTimeout(bad.exited, 'usage error exits', START_TIMEOUT_MS)).toBe(2)
    expect(bad.stderr).toContain('unknown argument "--bogus"')
  })

  it('runs as deployed: built to JavaScript and started by the serve:signaling command', { timeout: 60_000 }, async () => {
    const outDir = join('test-artifacts', `signaling-build-${process.pid}`)
    track(async () => rmSync(outDir, { recursive: true, force: true }))
    const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.signaling.json', '--outDir', outDir], {
      encoding: 'utf8',
    })
    expect(build.stdout + build.stderr).toBe('')
    expect(build.status).toBe(0)

    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts
    const [command, ...serveArgs] = (scripts['serve:signaling'] ?? '').split(/\s+/)
    expect(command).toBe('node')
    const nodeArgs = serveArgs.map((arg) => arg.replace(/^dist-signaling\//, `${outDir}/`))
    const cli = runCli(['--host', '127.0.0.1', '--port', '0'], {}, nodeArgs)
    const url = await waitForUrl(cli)
    const [a, b] = await Promise.all([TestClient.connect(url), TestClient.connect(url)])
    a.send({ type: 'subscribe', topics: ['room'] })
    b.send({ type: 'subscribe', topics: ['room'] })
    await Promise.all([a.sync(), b.sync()])
    a.send({ type: 'publish', topic: 'room', data: 'built' })
    await b.waitFor((frame) => frame.type === 'publish' && frame.message['data'] === 'built', 'b gets the publish')
    cli.child.kill('SIGTERM')
    expect(await withTimeout(cli.exited, 'CLI exits', START_TIMEOUT_MS)).toBe(0)
  })
})
