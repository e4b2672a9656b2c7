// Process helpers for tests that start npm scripts or browsers: a process group per script, so a
// test can signal npm alone and then check that nothing it started is left running or listening.
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

/**
 * Starts a watchdog that SIGKILLs group `pgid` once this process has ended, however it ended, and
 * then removes `leftovers` (e.g. the browser's profile): a SIGKILL (a vitest worker past its
 * timeout, or crashed) runs no exit handler, and a detached group outlives its parent. The
 * watchdog, a shell in a group of its own, waits for its stdin (a pipe from here) to close.
 * Returns a stop that ends the watchdog without killing or removing anything.
 */
export function killGroupWhenThisProcessEnds(pgid: number, leftovers: readonly string[] = []): () => void {
  // dash's `read` returns at end of input, and its `kill` takes no `--`. The removal waits (up to
  // 5 s: an init that reaps no zombies must not keep it polling) until no dying process writes.
  const script =
    'read -r _; kill -9 "-$1"; n=0; while kill -0 "-$1" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n+1)); done; shift; rm -rf -- "$@"'
  const watchdog = spawn('sh', ['-c', script, 'group-watchdog', String(pgid), ...leftovers], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  })
  return () => {
    watchdog.kill('SIGKILL')
  }
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
