// Test helpers for the signaling server: a tracked server on port 0 and a small ws client.
// Everything started here is closed by `cleanup()`, which each test file calls in afterEach.

import { WebSocket } from 'ws'
import { startSignalingServer } from '../../signaling/server.js'
import type { SignalingServer } from '../../signaling/server.js'
import type { SignalingOptions } from '../../signaling/options.js'
import type { LogLevel } from '../../signaling/logger.js'
import { isLogLevel } from '../../signaling/logger.js'
import type { ServerFrame } from '../../signaling/protocol.js'
import { parseServerFrame } from '../../signaling/protocol.js'

/** How long a helper waits for an expected event before failing the test. */
export const WAIT_TIMEOUT_MS = 5_000

const envLevel = process.env['SIGNALING_LOG_LEVEL']
/** Tests are silent unless SIGNALING_LOG_LEVEL asks for logs while debugging. */
export const TEST_LOG_LEVEL: LogLevel = isLogLevel(envLevel) ? envLevel : 'silent'

const closers: Array<() => Promise<void>> = []

/** Registers something to close in `cleanup()`. */
export function track(close: () => Promise<void>): void {
  closers.push(close)
}

/** Closes everything started since the last cleanup, newest first. */
export async function cleanup(): Promise<void> {
  const pending = closers.splice(0).reverse()
  for (const close of pending) await close()
}

/** Starts a silent server on 127.0.0.1:0 that `cleanup()` will close. */
export async function startTestServer(options: Partial<SignalingOptions> = {}): Promise<SignalingServer> {
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: TEST_LOG_LEVEL, closeGraceMs: 200, ...options })
  track(() => server.close())
  return server
}

/** Rejects after `ms` with `message`, unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, message: string, ms = WAIT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${message}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Polls `condition` until it is true, failing with `message` after the timeout. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  message: string,
  ms = WAIT_TIMEOUT_MS,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${message}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** How a connection ended, as the client saw it. */
export interface CloseInfo {
  readonly code: number
  readonly reason: string
}

/** A WebSocket client that records every server frame and can wait for one. */
export class TestClient {
  readonly frames: ServerFrame[] = []
  readonly invalidFrames: string[] = []
  readonly closed: Promise<CloseInfo>
  private readonly listeners = new Set<() => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined) // failures surface through `closed` and timeouts
    ws.on('message', (data, isBinary) => {
      const parsed = parseServerFrame(isBinary ? 'binary' : data.toString())
      if (parsed.ok) this.frames.push(parsed.frame)
      else this.invalidFrames.push(data.toString())
      for (const listener of [...this.listeners]) listener()
    })
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    })
  }

  /** Opens a client to `url` and resolves once it is open. */
  static async connect(url: string, options: { track?: boolean } = {}): Promise<TestClient> {
    const ws = new WebSocket(url)
    const client = new TestClient(ws)
    if (options.track !== false) track(() => client.close())
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve())
        ws.once('error', reject)
      }),
      `connect to ${url}`,
    )
    return client
  }

  /** Sends a value as JSON (or a string as-is). */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Resolves with the first recorded frame (past or future) matching `predicate`. */
  waitFor(predicate: (frame: ServerFrame) => boolean, what = 'a matching frame'): Promise<ServerFrame> {
    return withTimeout(
      new Promise<ServerFrame>((resolve) => {
        const check = (): void => {
          const found = this.frames.find(predicate)
          if (found === undefined) return
          this.listeners.delete(check)
          resolve(found)
        }
        this.listeners.add(check)
        check()
      }),
      what,
    )
  }

  /** Publish frames received for `topic`. */
  publishes(topic: string): Array<Extract<ServerFrame, { type: 'publish' }>> {
    return this.frames.flatMap((frame) => (frame.type === 'publish' && frame.topic === topic ? [frame] : []))
  }

  /** Round-trips a ping: every frame the server sent this client before it has then arrived. */
  async sync(): Promise<void> {
    const pongsBefore = this.frames.filter((frame) => frame.type === 'pong').length
    this.send({ type: 'ping' })
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.frames.filter((frame) => frame.type === 'pong').length <= pongsBefore) return
          this.listeners.delete(check)
          resolve()
        }
        this.listeners.add(check)
        check()
      }),
      'pong',
    )
  }

  /** Closes the connection and waits until it is closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
    else this.ws.close()
    await withTimeout(this.closed, 'client close').catch(() => this.ws.terminate())
  }
}
