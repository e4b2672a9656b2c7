// A helper process for tests, driven over IPC: commands go out numbered, replies come back by
// number, and a crash rejects what was pending. Node peers and the flooder are built on it.
import { type ChildProcess, fork } from 'node:child_process'

/** A child's reply to command `id` (0: it has started). */
export type IpcReply = { id: number; result: unknown } | { id: number; error: string }

/** How long a closing child may take to exit before it is killed, in ms. */
const CLOSE_TIMEOUT_MS = 5000

/** Children of this process still running: killed when it exits, whatever the tests' own cleanup did. */
const running = new Set<ChildProcess>()

/**
 * Called by a child script at its start: it exits once its parent is gone (the IPC channel closed:
 * the parent finished, crashed or was killed), instead of running on, unseen, and holding the run open.
 */
export function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0))
}

/** A TypeScript child process (`node --import tsx`) taking commands of type `Command`. */
export class IpcChild<Command> {
  readonly #child: ChildProcess
  readonly #label: string
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  readonly #exit: Promise<void>
  #nextId = 1
  #exited = false
  /** How the process ended (its signal, or its exit code), once it has. */
  #exitReason = ''

  private constructor(child: ChildProcess, label: string) {
    this.#child = child
    this.#label = label
    child.on('message', (reply: IpcReply) => {
      const pending = this.#pending.get(reply.id)
      this.#pending.delete(reply.id)
      if ('error' in reply) pending?.reject(new Error(`${label}: ${reply.error}`))
      else pending?.resolve(reply.result)
    })
    // A process that could not start or be signalled: what waits on it fails, not the test run.
    child.on('error', (error) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`${label}: ${error.message}`))
      this.#pending.clear()
    })
    this.#exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.#exited = true
        this.#exitReason = String(signal ?? code)
        for (const { reject } of this.#pending.values()) reject(new Error(`${label} exited (${this.#exitReason})`))
        this.#pending.clear()
        resolve()
      })
    })
  }

  /** Starts `script` with `env` added, and resolves once it replied to id 0 (it runs). */
  static async start<Command>(script: string, env: Record<string, string>, label: string): Promise<IpcChild<Command>> {
    const child = fork(script, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    // A test process that ends (a worker torn down, a test that threw before its cleanup) takes its children along.
    if (!process.listeners('exit').includes(killRunning)) process.on('exit', killRunning)
    running.add(child)
    child.once('exit', () => running.delete(child))
    const started = new IpcChild<Command>(child, label)
    await new Promise<void>((resolve, reject) => {
      started.#pending.set(0, { resolve: () => resolve(), reject })
    })
    return started
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.#exited
  }

  /** Sends `command` and resolves with the child's result. */
  call(command: Command): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error(`${this.#label} has exited (${this.#exitReason})`))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      // A child killed a moment ago has closed its channel before its exit is reported: the send
      // fails (EPIPE) and rejects, rather than throwing outside the test.
      this.#child.send({ id, command }, (error) => {
        if (error === null) return
        this.#pending.delete(id)
        reject(new Error(`${this.#label}: ${error.message}`))
      })
    })
  }

  /** Kills the process with SIGKILL (no goodbye, no cleanup) and waits until it has ended. */
  async kill(): Promise<void> {
    this.#child.kill('SIGKILL')
    await this.#exit
  }

  /** Sends `command` (the child's own close), then waits for the process, killing it if it lingers. */
  async close(command: Command): Promise<void> {
    await this.call(command).catch(() => this.#child.kill('SIGKILL'))
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), CLOSE_TIMEOUT_MS)
    await this.#exit
    clearTimeout(timer)
  }
}

/** Kills every child still running (on this process's exit: synchronous, so SIGKILL, no goodbye). */
function killRunning(): void {
  for (const child of running) child.kill('SIGKILL')
}
