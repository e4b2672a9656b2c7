// The child process behind node-peer.ts: one y-webrtc peer (stock, or Parley's transport) in a
// realm of its own, driven over IPC. Run with `node --import tsx`; not a test file.
import * as Y from 'yjs'
import { Room as WebrtcRoom, WebrtcProvider } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { openTransport, type RtcImplementation } from '../../src/transport/index.js'
import { DeferredUpdates } from '../../src/history/index.js'
import { tappedWebSocket } from './signaling-tap.js'
import { countingRtc, type CountingRtc } from './counting-rtc.js'
import { nodeRtc } from './node-rtc.js'
import type { NodePeerCommand, NodePeerOptions, NodePeerReply, NodePeerState } from './node-peer.js'

/** The shared array the peers' texts are written to. */
const TEXTS = 'texts'

const options = JSON.parse(process.env.NODE_PEER_OPTIONS ?? '{}') as NodePeerOptions
const tap = tappedWebSocket(options.tap)
// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks; this one is tapped.
globalThis.WebSocket = tap.WebSocket

/** This machine's clock in ms since the epoch, sub-ms (comparable between processes). */
const now = (): number => performance.timeOrigin + performance.now()

const baseRtc = nodeRtc(options.rtc ?? 'wrtc')
const counting: CountingRtc | null = options.countSends === true ? countingRtc(baseRtc) : null
const rtc: RtcImplementation = counting?.rtc ?? baseRtc
// The y-webrtc room this peer opens (Parley's transport keeps its own to itself): noted as it
// connects, for the peers it has links with. Test instrumentation only.
let openedRoom: WebrtcRoom | null = null
const connectRoom = WebrtcRoom.prototype.connect
WebrtcRoom.prototype.connect = function (this: WebrtcRoom) {
  openedRoom = this
  connectRoom.call(this)
}

/** One membership of a room: a document and awareness of its own, joined once. */
class Session {
  readonly doc = new Y.Doc()
  readonly awareness = new Awareness(this.doc)
  /** When each text from another peer was applied here, and when each own text was pushed. */
  readonly applied: Record<string, number> = {}
  readonly pushed: Record<string, number> = {}
  stockProvider: WebrtcProvider | null = null
  #close: (() => void) | null = null
  readonly #options: NodePeerOptions

  constructor(sessionOptions: NodePeerOptions) {
    this.#options = sessionOptions
    // Set, not left as the initial state: that one has clock 0, which other peers never apply.
    this.awareness.setLocalState(sessionOptions.awareness ?? { kind: sessionOptions.kind })
    this.doc.getArray<string>(TEXTS).observe((event) => {
      if (event.transaction.local) return
      const at = now()
      for (const item of event.changes.added) for (const text of item.content.getContent() as string[]) this.applied[text] ??= at
    })
  }

  join(): void {
    if (this.#close !== null) return
    const { doc, awareness } = this
    const room = this.#options
    const peerOpts = { wrtc: rtc, config: { iceServers: [] } }
    if (room.kind === 'stock') {
      const provider = new WebrtcProvider(room.topic, doc, {
        signaling: [room.signalingUrl],
        password: room.secret ?? undefined,
        awareness,
        peerOpts,
        maxConns: room.maxConns,
      })
      this.stockProvider = provider
      this.#close = () => {
        provider.disconnect()
        provider.destroy()
      }
    } else {
      const changes = new DeferredUpdates(doc)
      const transport = openTransport({
        topic: room.topic,
        secret: room.secret ?? null,
        doc,
        awareness,
        changes,
        signalingUrls: [room.signalingUrl],
        iceServers: [],
        wrtc: rtc,
        maxConns: room.maxConns,
      })
      this.#close = () => {
        changes.flush()
        transport.close()
        changes.destroy()
      }
    }
  }

  close(): void {
    this.#close?.()
    this.awareness.destroy()
    this.doc.destroy()
  }
}

let session = new Session(options)
if (options.deferJoin !== true) session.join()

function state(): NodePeerState {
  return {
    peerId: session.stockProvider?.room?.peerId ?? tap.counts.peerId,
    clientId: session.doc.clientID,
    awareness: [...session.awareness.getStates()].map(([client, value]) => ({ client, state: value })),
    texts: session.doc.getArray<string>(TEXTS).toArray(),
    tap: { ...tap.counts },
  }
}

function run(command: NodePeerCommand): unknown {
  switch (command.op) {
    case 'state':
      return state()
    case 'setAwareness':
      session.awareness.setLocalState(command.state)
      return null
    case 'push':
      session.pushed[command.text] = now()
      session.doc.getArray<string>(TEXTS).push([command.text])
      return null
    case 'join':
      if (command.room !== undefined) {
        session.close()
        openedRoom = null
        session = new Session({ ...options, ...command.room })
      }
      session.join()
      return null
    case 'leave':
      session.close()
      openedRoom = null
      session = new Session(options)
      return null
    case 'counts':
      return {
        sends: counting?.counts() ?? {},
        openChannels: counting?.openLinks() ?? 0,
        peerId: openedRoom?.peerId ?? null,
        linkedPeers: [...(openedRoom?.webrtcConns ?? [])].filter(([, conn]) => conn.connected).map(([id]) => id),
      }
    case 'resetCounts':
      counting?.reset()
      return null
    case 'arrivals':
      return { applied: session.applied, pushed: session.pushed }
    case 'close':
      session.close()
      // Exits once the reply is out; y-webrtc and wrtc leave handles that would keep it running.
      setTimeout(() => process.exit(0), 100)
      return null
  }
}

process.on('message', (message: { id: number; command: NodePeerCommand }) => {
  let reply: NodePeerReply
  try {
    reply = { id: message.id, result: run(message.command) }
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }
  }
  process.send?.(reply)
})
// The parent went (finished, crashed, interrupted): nothing drives this peer any more.
process.on('disconnect', () => process.exit(0))
process.send?.({ id: 0, result: 'started' } satisfies NodePeerReply)
