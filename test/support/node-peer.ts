// WebRTC peers in Node for tests: one in a child process (y-webrtc keeps one room per topic and
// one signaling connection per URL in a realm, so each further peer of a topic needs its own).
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider, type Room as WebrtcRoom } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { IpcChild, type IpcReply } from './ipc-child.js'
import type { TapCounts, TapOptions } from './signaling-tap.js'
import type { SendCounts } from './counting-rtc.js'
import { nodeRtc, type NodeRtcName } from './node-rtc.js'
import type { CapJoinCounts } from '../../src/transport/join-state.js'

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
  /** The WebRTC library (default node-datachannel; see node-rtc.ts for why not @roamhq/wrtc). */
  rtc?: NodeRtcName
  /** y-webrtc's `maxConns`: the most links this peer offers (it still answers offers past it). */
  maxConns?: number
  /** Counts what its data channels send (see counting-rtc.ts); `counts()` reads it. */
  countSends?: boolean
  /** Joins the room only on `join()`, so that peers started one by one can join at once. */
  deferJoin?: boolean
  /**
   * Delays each offer its connections create by this many ms, as a slow machine would: an
   * offer from a peer that comes meanwhile is answered first (stock y-webrtc then answers it
   * with the link it began to offer on).
   */
  offerDelayMs?: number
  /**
   * Its offering connections fail to apply an offer from the peer (as a link broken by a crossed
   * offer): stock y-webrtc then gives that link up and announces itself again.
   */
  refuseOffersWhileOffering?: boolean
  /**
   * Its first this many answering connections fail once their answer is out: ICE reports
   * 'failed' and simple-peer gives the link up, as it does in a browser whose DTLS handshake
   * failed. Nothing tells the offering end, whose link may stay as it was.
   */
  failAnswers?: number
  /**
   * Its first this many offering connections fail once the peer's answer is set, as `failAnswers`
   * does to answering ones: the answering end gets no word of it.
   */
  failOffers?: number
  /**
   * Delays each getStats of its connections by this many ms, as a slow machine would: simple-peer
   * reports a link connected only after one (and y-webrtc counts it so only then), so its data
   * channels open, and the peer at the other end speaks on them, that much before.
   */
  getStatsDelayMs?: number
  /**
   * False: its awareness never renews its own state (y-protocols does every 15 s), so that nothing
   * but what a test does makes it send on its links once they are up.
   */
  renewAwareness?: false
}

/** y-webrtc messages a peer sent or received on its links' data channels, by kind (read from each message's first bytes). */
export interface SentCounts {
  /** Sync step 1: requests for what the sender lacks. */
  syncStep1: number
  /** Sync step 2: answers to a step 1. */
  syncStep2: number
  /** Document updates (sync type 2): a change as it is broadcast or relayed. */
  update: number
  awareness: number
  other: number
}

/** A room a started peer may join instead of the one it started with. */
export type NodePeerRoom = Pick<NodePeerOptions, 'kind' | 'topic' | 'maxConns'>

/** What a counting peer's data channels sent, and its links. */
export interface NodePeerCounts {
  sends: SendCounts
  /** Peer connections whose y-webrtc channel is open (more than linked peers if y-webrtc left some behind). */
  openChannels: number
  /** Its y-webrtc peer id, once its room is open. */
  peerId: string | null
  /** The peers y-webrtc holds a connected link with. */
  linkedPeers: string[]
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
  /** The y-webrtc peer ids of its connected links (none before it joins). */
  links: string[]
  /** What it sent on y-webrtc's data channels since it joined the room it is in. */
  sent: SentCounts
  /** What arrived on y-webrtc's data channels since it joined (a message Parley's framing reassembled counts once). */
  received: SentCounts
  /** Whether a document change happened since the last batch its transport got (a Parley peer's; false for stock). */
  unsentChanges: boolean
  /** A Parley peer's relay counters (null for stock). */
  relay: { relayed: number; pruned: number; repairRequests: number } | null
  /** Data-channel messages a Parley peer sent (its transport's count); null for a stock peer. */
  transportSent: { liveness: number; data: number } | null
  /** Links to Parley peers whose liveness speaks now (0 for a stock peer). */
  liveLinks: number
  /** Peers a Parley session's guards banned for flooding (TransportStats.bannedPeers); null for stock. */
  bannedPeers: number | null
  /** A Parley session's join counters (see TransportStats.join); null for stock. */
  join: { invitations: number; lostOffers: number; reoffers: number; reinvitations: number; lapseOffers: number; cap: CapJoinCounts } | null
}

/** Commands a child peer takes. */
export type NodePeerCommand =
  | { op: 'state' }
  | { op: 'setAwareness'; state: Record<string, unknown> | null }
  | { op: 'push'; text: string }
  | { op: 'pushAll'; texts: string[] }
  | { op: 'join'; room?: NodePeerRoom }
  | { op: 'leave' }
  | { op: 'counts' }
  | { op: 'resetCounts' }
  | { op: 'arrivals' }
  | { op: 'close' }
  | { op: 'sendLiveness'; frame: string }
  | { op: 'applyAwareness'; update: string }
  | { op: 'sendJunkAwareness'; bytes: number; count: number; client: number }
  | { op: 'sendRaw'; messages: string[] }
  | { op: 'delaySignals'; ms: number }
  | { op: 'hearAnnounces'; on: boolean }
  | { op: 'holdSends'; peerId: string | null }

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

  /** Whether the peer's process has ended (crashed, or closed). */
  get exited(): boolean {
    return this.#child.exited
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

  /** Appends `texts` to the shared array `texts` in one transaction: one update, sent whole. */
  async pushAll(texts: string[]): Promise<void> {
    await this.#child.call({ op: 'pushAll', texts })
  }

  /**
   * Joins the room it started with (a peer started with `deferJoin`), or, given `room`, leaves
   * the one it is in and joins that one with a new document and awareness.
   */
  async join(room?: NodePeerRoom): Promise<void> {
    await this.#child.call({ op: 'join', room })
  }

  /** Leaves the room it is in; its next document and awareness are new. */
  async leave(): Promise<void> {
    await this.#child.call({ op: 'leave' })
  }

  /** What the peer's data channels sent since it started or since `resetCounts()` (needs `countSends`). */
  counts(): Promise<NodePeerCounts> {
    return this.#child.call({ op: 'counts' }) as Promise<NodePeerCounts>
  }

  /** Starts counting sends afresh. */
  async resetCounts(): Promise<void> {
    await this.#child.call({ op: 'resetCounts' })
  }

  /**
   * When each text of `texts` written by another peer was applied here, and when each of the
   * peer's own was pushed: ms since the epoch with sub-ms resolution (one machine's clock).
   */
  arrivals(): Promise<{ applied: Record<string, number>; pushed: Record<string, number> }> {
    return this.#child.call({ op: 'arrivals' }) as Promise<{ applied: Record<string, number>; pushed: Record<string, number> }>
  }

  /** Sends `frame` as it is on every open liveness side channel of a Parley peer (a liar's words); returns how many took it. */
  sendLiveness(frame: string): Promise<number> {
    return this.#child.call({ op: 'sendLiveness', frame }) as Promise<number>
  }

  /** Applies an awareness update (of other tabs, as if heard from peers) to the peer's awareness: y-webrtc sends them on each new link. */
  async applyAwareness(update: Uint8Array): Promise<void> {
    await this.#child.call({ op: 'applyAwareness', update: Buffer.from(update).toString('base64') })
  }

  /**
   * Sends `count` awareness messages of about `bytes` bytes each, as they are, on every connected
   * y-webrtc link (a liar's words: see signed-awareness.ts `junkAwarenessUpdate`), each for a
   * made-up client from `client` on; a Parley peer's framing frames and deflates them. Stops on a
   * link once it closed (the other side dropped it); returns the messages sent, over all links.
   */
  sendJunkAwareness(bytes: number, count: number, client: number): Promise<number> {
    return this.#child.call({ op: 'sendJunkAwareness', bytes, count, client }) as Promise<number>
  }

  /**
   * Sends `messages`, byte for byte, in order, on every connected y-webrtc link, as a hostile peer
   * would (crafted sync messages, say); a Parley peer's framing frames them. Stops on a link once
   * it closed (the other side dropped it); returns the messages sent, over all links.
   */
  sendRaw(messages: readonly Uint8Array[]): Promise<number> {
    return this.#child.call({ op: 'sendRaw', messages: messages.map((each) => Buffer.from(each).toString('base64')) }) as Promise<number>
  }

  /** From now on, delays each signal addressed to this peer by `ms` (signaling-tap.ts `delaySignalsMs`): a slow network from here on. */
  async delaySignals(ms: number): Promise<void> {
    await this.#child.call({ op: 'delaySignals', ms })
  }

  /** Whether it hears other peers' announcements from now on (off: each is dropped, as if heard on no server of this peer). */
  async hearAnnounces(on: boolean): Promise<void> {
    await this.#child.call({ op: 'hearAnnounces', on })
  }

  /**
   * From now on holds what y-webrtc sends on its link to `peerId`, as a slow path from here to that
   * peer would, until `releaseSends`; the peer's other links send as they do.
   */
  async holdSends(peerId: string): Promise<void> {
    await this.#child.call({ op: 'holdSends', peerId })
  }

  /** Sends what `holdSends` held, in order, and holds nothing from then on. */
  async releaseSends(): Promise<void> {
    await this.#child.call({ op: 'holdSends', peerId: null })
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
 * A stock y-webrtc provider in this process, over node-datachannel (test/support/node-rtc.ts; @roamhq/wrtc
 * crashed at teardown, taking the test worker with it), host candidates only. Its
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
    peerOpts: { wrtc: nodeRtc('node-datachannel'), config: { iceServers: [] } },
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
