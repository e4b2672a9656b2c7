// The child process behind node-peer.ts: one y-webrtc peer (stock, or Parley's transport) in a
// realm of its own, driven over IPC. Run with `node --import tsx`; not a test file.
import wrtc from '@roamhq/wrtc'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { openTransport, type RtcImplementation } from '../../src/transport/index.js'
import { DeferredUpdates } from '../../src/history/index.js'
import { tappedWebSocket } from './signaling-tap.js'
import type { NodePeerCommand, NodePeerOptions, NodePeerReply, NodePeerState } from './node-peer.js'

/** The shared array the peers' texts are written to. */
const TEXTS = 'texts'

const options = JSON.parse(process.env.NODE_PEER_OPTIONS ?? '{}') as NodePeerOptions
const tap = tappedWebSocket(options.tap)
// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks; this one is tapped.
globalThis.WebSocket = tap.WebSocket

const doc = new Y.Doc()
const awareness = new Awareness(doc)
// Set, not left as the initial state: that one has clock 0, which other peers never apply.
awareness.setLocalState(options.awareness ?? { kind: options.kind })
const peerOpts = { wrtc, config: { iceServers: [] } }
let close: () => void
let stockProvider: WebrtcProvider | null = null
let transportSent: () => NodePeerState['transportSent'] = () => null
let liveLinks = (): number => 0
if (options.kind === 'stock') {
  const provider = new WebrtcProvider(options.topic, doc, {
    signaling: [options.signalingUrl],
    password: options.secret ?? undefined,
    awareness,
    peerOpts,
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
    wrtc: wrtc as unknown as RtcImplementation,
  })
  transportSent = () => transport.stats().sent
  liveLinks = () => transport.stats().liveLinks
  close = () => {
    changes.flush()
    transport.close()
    changes.destroy()
  }
}

function state(): NodePeerState {
  return {
    peerId: stockProvider?.room?.peerId ?? tap.counts.peerId,
    clientId: doc.clientID,
    awareness: [...awareness.getStates()].map(([client, value]) => ({ client, state: value })),
    texts: doc.getArray<string>(TEXTS).toArray(),
    tap: { ...tap.counts },
    transportSent: transportSent(),
    liveLinks: liveLinks(),
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
      doc.getArray<string>(TEXTS).push([command.text])
      return null
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
process.send?.({ id: 0, result: 'started' } satisfies NodePeerReply)
