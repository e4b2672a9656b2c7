// WebRTC peers in Node for tests: one in a child process (y-webrtc keeps one room per topic and
// one signaling connection per URL in a realm, so each further peer of a topic needs its own).
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import wrtc from '@roamhq/wrtc'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider, type Room as WebrtcRoom } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import type { TapCounts, TapOptions } from './signaling-tap.js'

/** What a child peer runs, and how. */
export interface NodePeerOptions {
  /** Stock y-webrtc 10.3, or Parley's transport (`openTransport`, with all its adaptations). */
  kind: 'stock' | 'parley'
  /** The y-webrtc room name (Parley's hashed topic). */
  topic: string
  signalingUrl: string
  secret?: string | null
  /** The local awareness state to start with (default `{ kind }`). */
  awareness?: Record<string, unknown>
  /** Frames the peer's signaling socket drops or delays (see signaling-tap.ts). */
  tap?: TapOptions
}

/** A child peer as it is now. */
export interface NodePeerState {
  /** Its y-webrtc peer id, once known (a Parley peer's from its first announcement, so public rooms only). */
  peerId: string | null
  /** Its Yjs client id (the key of its awareness state). */
  clientId: number
  awareness: Array<{ client: number; state: unknown }>
  /** The shared array `texts` of its document. */
  texts: string[]
  tap: TapCounts
}

/** Commands a child peer takes. */
export type NodePeerCommand =
  | { op: 'state' }
  | { op: 'setAwareness'; state: Record<string, unknown> | null }
  | { op: 'push'; text: string }
  | { op: 'close' }

/** A child peer's reply to command `id` (0: it has started). */
export type NodePeerReply = { id: number; result: unknown } | { id: number; error: string }

/** How long a closing peer may take to exit before it is killed, in ms. */
const CLOSE_TIMEOUT_MS = 5000

const CHILD_SCRIPT = fileURLToPath(new URL('./node-peer-child.ts', import.meta.url))

/** A y-webrtc peer in a child process; `close()` it when done. */
export class NodePeer {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  readonly #exit: Promise<void>
  #nextId = 1
  #exited = false

  private constructor(child: ChildProcess) {
    this.#child = child
    child.on('message', (reply: NodePeerReply) => {
      const pending = this.#pending.get(reply.id)
      this.#pending.delete(reply.id)
      if ('error' in reply) pending?.reject(new Error(`node peer: ${reply.error}`))
      else pending?.resolve(reply.result)
    })
    this.#exit = new Promise((resolve) => {
      child.on('exit', (code) => {
        this.#exited = true
        for (const { reject } of this.#pending.values()) reject(new Error(`node peer exited (${code})`))
        this.#pending.clear()
        resolve()
      })
    })
  }

  /** Starts a peer and resolves once its process runs the peer (it connects on its own after). */
  static async start(options: NodePeerOptions): Promise<NodePeer> {
    const child = fork(CHILD_SCRIPT, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NODE_PEER_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const peer = new NodePeer(child)
    await new Promise<void>((resolve, reject) => {
      peer.#pending.set(0, { resolve: () => resolve(), reject })
    })
    return peer
  }

  /** The peer as it is now. */
  state(): Promise<NodePeerState> {
    return this.#call({ op: 'state' }) as Promise<NodePeerState>
  }

  /** Sets the peer's local awareness state. */
  async setAwareness(state: Record<string, unknown> | null): Promise<void> {
    await this.#call({ op: 'setAwareness', state })
  }

  /** Appends `text` to the shared array `texts`. */
  async push(text: string): Promise<void> {
    await this.#call({ op: 'push', text })
  }

  /** Closes the peer and waits for its process to end (killed if it does not). */
  async close(): Promise<void> {
    await this.#call({ op: 'close' }).catch(() => this.#child.kill())
    const timer = setTimeout(() => this.#child.kill(), CLOSE_TIMEOUT_MS)
    await this.#exit
    clearTimeout(timer)
  }

  #call(command: NodePeerCommand): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error('node peer has exited'))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#child.send({ id, command })
    })
  }
}

/**
 * A stock y-webrtc provider in this process, over Node's WebRTC, host candidates only. Its
 * awareness has a local state that peers take (an Awareness's initial state has clock 0, which
 * other peers never apply).
 */
export function openLocalProvider(topic: string, signalingUrl: string, secret: string | null = null): LocalPeer {
  // lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
  globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  awareness.setLocalState({ kind: 'local' })
  const provider = new WebrtcProvider(topic, doc, {
    signaling: [signalingUrl],
    password: secret ?? undefined,
    awareness,
    peerOpts: { wrtc, config: { iceServers: [] } },
  })
  return {
    provider,
    doc,
    awareness,
    room: Promise.resolve(provider.key).then(() => {
      if (provider.room === null) throw new Error('y-webrtc did not open the room')
      return provider.room
    }),
    close() {
      provider.disconnect()
      provider.destroy()
      awareness.destroy()
      doc.destroy()
    },
  }
}

/** A provider of `openLocalProvider`, with its document and awareness. */
export interface LocalPeer {
  provider: WebrtcProvider
  doc: Y.Doc
  awareness: Awareness
  /** The provider's y-webrtc room, once open (the adaptations take it). */
  room: Promise<WebrtcRoom>
  close(): void
}
