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

const doc = new Y.Doc()
const awareness = new Awareness(doc)
// Set, not left as the initial state: that one has clock 0, which other peers never apply.
awareness.setLocalState(options.awareness ?? { kind: options.kind })
const baseRtc = nodeRtc(options.rtc ?? 'wrtc')
const counting: CountingRtc | null = options.countSends === true ? countingRtc(baseRtc) : null
const rtc: RtcImplementation = counting?.rtc ?? baseRtc
/** When each text from another peer was applied here, and when each own text was pushed. */
const applied: Record<string, number> = {}
const pushed: Record<string, number> = {}
doc.getArray<string>(TEXTS).observe((event) => {
  if (event.transaction.local) return
  const at = now()
  for (const item of event.changes.added) for (const text of item.content.getContent() as string[]) applied[text] ??= at
})
let close = (): void => {}
// The y-webrtc room this peer opens (Parley's transport keeps its own to itself): noted as it
// connects, for the peers it has links with. Test instrumentation only.
let openedRoom: WebrtcRoom | null = null
const connectRoom = WebrtcRoom.prototype.connect
WebrtcRoom.prototype.connect = function (this: WebrtcRoom) {
  openedRoom = this
  connectRoom.call(this)
}
let stockProvider: WebrtcProvider | null = null

let joined = false

function join(): void {
  if (joined) return
  joined = true
  const peerOpts = { wrtc: rtc, config: { iceServers: [] } }
  if (options.kind === 'stock') {
    const provider = new WebrtcProvider(options.topic, doc, {
      signaling: [options.signalingUrl],
      password: options.secret ?? undefined,
      awareness,
      peerOpts,
      maxConns: options.maxConns,
    })
    stockProvider = provider
    close = () => {
      provider.disconnect()
      provider.destroy()
    }
  } else {
    const changes = new DeferredUpdates(doc)
    const transport = openTransport({
      topic: options.topic,
      secret: options.secret ?? null,
      doc,
      awareness,
      changes,
      signalingUrls: [options.signalingUrl],
      iceServers: [],
      wrtc: rtc,
      maxConns: options.maxConns,
    })
    close = () => {
      changes.flush()
      transport.close()
      changes.destroy()
    }
  }
}
if (options.deferJoin !== true) join()

function state(): NodePeerState {
  return {
    peerId: stockProvider?.room?.peerId ?? tap.counts.peerId,
    clientId: doc.clientID,
    awareness: [...awareness.getStates()].map(([client, value]) => ({ client, state: value })),
    texts: doc.getArray<string>(TEXTS).toArray(),
    tap: { ...tap.counts },
  }
}

function run(command: NodePeerCommand): unknown {
  switch (command.op) {
    case 'state':
      return state()
    case 'setAwareness':
      awareness.setLocalState(command.state)
      return null
    case 'push':
      pushed[command.text] = now()
      doc.getArray<string>(TEXTS).push([command.text])
      return null
    case 'join':
      join()
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
      return { applied, pushed }
    case 'close':
      close()
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
