// Process tests of the CLI: the URL line, --help, usage errors, and graceful SIGTERM.
// Spawns `node --import tsx signaling/cli.ts`, the same code `npm run signaling` runs, and the
// production path: the build of `npm run build:signaling`, started by `npm run serve:signaling`.

import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CLOSE_GOING_AWAY } from '../../signaling/protocol.js'
import { killProcessGroup, portAnswers, processGroupAlive, spawnNpmScript } from '../support/process-tree.js'
import { TestClient, cleanup, track, waitUntil, withTimeout } from './helpers.js'

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

function runCli(args: readonly string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [...CLI_ARGS, ...args], {
    cwd: process.cwd(),
    env: { ...process.env, SIGNALING_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return watch(child)
}

/** Records a child's output and exit; `cleanup()` kills it if a test left it running. */
function watch(child: ChildProcess): Cli {
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

  // A copy of the project's package.json in a scratch folder (node_modules resolve from the
  // repository above it) holds the build, so the test leaves the real dist-signaling/ alone.
  it('runs as deployed: built, started by npm run serve:signaling, and stopped by SIGTERM to npm alone', { timeout: 60_000 }, async () => {
    const project = join('test-artifacts', `signaling-serve-${process.pid}`)
    track(async () => rmSync(project, { recursive: true, force: true }))
    mkdirSync(project, { recursive: true })
    copyFileSync('package.json', join(project, 'package.json'))
    const outDir = join(project, 'dist-signaling')
    const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.signaling.json', '--outDir', outDir], {
      encoding: 'utf8',
    })
    expect(build.stdout + build.stderr).toBe('')
    expect(build.status).toBe(0)

    const npm = spawnNpmScript('serve:signaling', ['--host', '127.0.0.1', '--port', '0'], {
      cwd: project,
      env: { SIGNALING_LOG_LEVEL: 'silent' },
    })
    const group = npm.pid ?? 0
    track(async () => killProcessGroup(group))
    const cli = watch(npm)
    const url = await waitForUrl(cli)
    const [a, b] = await Promise.all([TestClient.connect(url), TestClient.connect(url)])
    a.send({ type: 'subscribe', topics: ['room'] })
    b.send({ type: 'subscribe', topics: ['room'] })
    await Promise.all([a.sync(), b.sync()])
    a.send({ type: 'publish', topic: 'room', data: 'built' })
    await b.waitFor((frame) => frame.type === 'publish' && frame.message['data'] === 'built', 'b gets the publish')

    // As systemd (KillMode=process) or `docker stop` do: the signal goes to npm, not its group.
    npm.kill('SIGTERM')
    expect((await withTimeout(a.closed, 'the server closes its clients')).code).toBe(CLOSE_GOING_AWAY)
    await withTimeout(cli.exited, 'npm exits', START_TIMEOUT_MS)
    await waitUntil(() => !processGroupAlive(group), 'no process of npm run serve:signaling is left', START_TIMEOUT_MS)
    expect(await portAnswers(Number(new URL(url).port))).toBe(false)
  })
})
