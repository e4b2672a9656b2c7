// WebRTC peers in Node for tests: one in a child process (y-webrtc keeps one room per topic and
// one signaling connection per URL in a realm, so each further peer of a topic needs its own).
import { fileURLToPath } from 'node:url'
import wrtc from '@roamhq/wrtc'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider, type Room as WebrtcRoom } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { IpcChild, type IpcReply } from './ipc-child.js'
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
  /** Data-channel messages a Parley peer sent (its transport's count); null for a stock peer. */
  transportSent: { liveness: number; data: number } | null
  /** Links to Parley peers whose liveness speaks now (0 for a stock peer). */
  liveLinks: number
}

/** Commands a child peer takes. */
export type NodePeerCommand =
  | { op: 'state' }
  | { op: 'setAwareness'; state: Record<string, unknown> | null }
  | { op: 'push'; text: string }
  | { op: 'close' }

/** A child peer's reply to command `id` (0: it has started). */
export type NodePeerReply = IpcReply

const CHILD_SCRIPT = fileURLToPath(new URL('./node-peer-child.ts', import.meta.url))

/** A y-webrtc peer in a child process; `close()` it when done. */
export class NodePeer {
  readonly #child: IpcChild<NodePeerCommand>

  private constructor(child: IpcChild<NodePeerCommand>) {
    this.#child = child
  }

  /** Starts a peer and resolves once its process runs the peer (it connects on its own after). */
  static async start(options: NodePeerOptions): Promise<NodePeer> {
    return new NodePeer(await IpcChild.start<NodePeerCommand>(CHILD_SCRIPT, { NODE_PEER_OPTIONS: JSON.stringify(options) }, 'node peer'))
  }

  /** The peer as it is now. */
  state(): Promise<NodePeerState> {
    return this.#child.call({ op: 'state' }) as Promise<NodePeerState>
  }

  /** Sets the peer's local awareness state. */
  async setAwareness(state: Record<string, unknown> | null): Promise<void> {
    await this.#child.call({ op: 'setAwareness', state })
  }

  /** Appends `text` to the shared array `texts`. */
  async push(text: string): Promise<void> {
    await this.#child.call({ op: 'push', text })
  }

  /** Kills the peer's process at once (SIGKILL): no goodbye reaches anyone. */
  kill(): Promise<void> {
    return this.#child.kill()
  }

  /** Closes the peer and waits for its process to end (killed if it does not). */
  close(): Promise<void> {
    return this.#child.close({ op: 'close' })
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
