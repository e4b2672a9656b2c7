// Process helpers for tests that start npm scripts: a process group per script, so a test can
// signal npm alone and then check that nothing it started is left running or listening.
import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'

/**
 * Runs `npm run <script> -- <args>` as the leader of a new process group (its pid is the group
 * id), with stdout and stderr piped. npm comes from PATH, as when a user types the command.
 */
export function spawnNpmScript(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const npmArgs = args.length === 0 ? ['run', script] : ['run', script, '--', ...args]
  return spawn('npm', npmArgs, {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
}

/** True while any process of group `pgid` is alive (signal 0 only checks, it sends nothing). */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ESRCH') return false
    throw error
  }
}

/** Kills whatever is left of group `pgid`, so a failing test leaves no server behind. */
export function killProcessGroup(pgid: number): void {
  if (processGroupAlive(pgid)) process.kill(-pgid, 'SIGKILL')
}

/** Resolves true if something accepts a TCP connection on 127.0.0.1:`port`, false if refused. */
export function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
