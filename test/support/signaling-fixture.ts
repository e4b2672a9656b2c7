// A silent signaling server on port 0 for one test file, unique topics, and cleanup after each
// test of what the test opened: peers in this process first, then peers in child processes.
import { afterAll, afterEach, beforeAll } from 'vitest'
import { startSignalingServer, type SignalingServer } from '../../signaling/index.js'
import { NodePeer, type NodePeerOptions } from './node-peer.js'

/** What `useSignalingServer` gives a test file. */
export interface SignalingFixture {
  /** The server's WebSocket URL (from `beforeAll` on). */
  url(): string
  /** A topic no other test of the run uses. */
  topic(): string
  /** Registers something of this process to close after the current test, in order. */
  track(close: () => Promise<void> | void): void
  /** Starts a peer in a child process on this server, closed after the current test's own things. */
  startPeer(options: Omit<NodePeerOptions, 'signalingUrl'>): Promise<NodePeer>
}

/** Starts a server before the file's tests and closes it after them; closes tracked things after each test. */
export function useSignalingServer(name: string): SignalingFixture {
  let server: SignalingServer | null = null
  let topics = 0
  const closers: Array<() => Promise<void> | void> = []
  const peers: NodePeer[] = []
  const url = (): string => {
    if (server === null) throw new Error('the signaling server starts in beforeAll')
    return server.url
  }
  beforeAll(async () => {
    server = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  })
  afterEach(async () => {
    // This process's links close before their other ends go away: when it ran @roamhq/wrtc, a
    // remote end's closing that raced its own teardown sometimes crashed it (SIGSEGV).
    for (const close of closers.splice(0)) await close()
    await Promise.all(peers.splice(0).map((peer) => peer.close()))
  })
  afterAll(async () => {
    await server?.close()
  })
  return {
    url,
    topic: () => `${name}-${process.pid}-${topics++}`,
    track: (close) => closers.push(close),
    async startPeer(options) {
      const peer = await NodePeer.start({ ...options, signalingUrl: url() })
      peers.push(peer)
      return peer
    },
  }
}
