// The child process behind node-peer.ts: one y-webrtc peer (stock, or Parley's transport) in a
// realm of its own, driven over IPC. Run with `node --import tsx`; not a test file.
import wrtc from '@roamhq/wrtc'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { openTransport, type RtcImplementation } from '../../src/transport/index.js'
import { DeferredUpdates } from '../../src/history/index.js'
import { tappedWebSocket } from './signaling-tap.js'
import type { NodePeerCommand, NodePeerOptions, NodePeerReply, NodePeerState, SentCounts } from './node-peer.js'

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
const sent: SentCounts = { syncStep1: 0, syncStep2: 0, update: 0, awareness: 0, other: 0 }
const countedWrtc = countingSends(wrtc as unknown as RtcImplementation)
const peerOpts = { wrtc: countedWrtc, config: { iceServers: [] } }
const maxConns = options.maxConns === undefined ? {} : { maxConns: options.maxConns }
let close: () => void
let stockProvider: WebrtcProvider | null = null
let links: () => string[]
let relay: () => NodePeerState['relay'] = () => null
let unsentChanges = false
if (options.kind === 'stock') {
  const provider = new WebrtcProvider(options.topic, doc, {
    signaling: [options.signalingUrl],
    password: options.secret ?? undefined,
    awareness,
    peerOpts,
    ...maxConns,
  })
  stockProvider = provider
  links = () => [...(provider.room?.webrtcConns ?? [])].filter(([, conn]) => conn.connected).map(([peerId]) => peerId)
  close = () => {
    provider.disconnect()
    provider.destroy()
  }
} else {
  const changes = new DeferredUpdates(doc)
  doc.on('afterTransaction', (transaction: Y.Transaction) => {
    if ([...transaction.afterState].some(([client, clock]) => transaction.beforeState.get(client) !== clock)) unsentChanges = true
  })
  changes.on(() => {
    unsentChanges = false
  })
  const transport = openTransport({
    topic: options.topic,
    secret: options.secret ?? null,
    doc,
    awareness,
    changes,
    signalingUrls: [options.signalingUrl],
    iceServers: [],
    wrtc: countedWrtc,
    ...maxConns,
  })
  links = () => transport.links()
  relay = () => {
    const { relayed, pruned, repairRequests } = transport.stats().relay
    return { relayed, pruned, repairRequests }
  }
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
    links: links(),
    sent: { ...sent },
    unsentChanges,
    relay: relay(),
  }
}

/**
 * The WebRTC classes with every send on y-webrtc's own data channel counted by message kind;
 * innermost, so what Parley's framing passes on (small messages: whole) is what is counted.
 */
function countingSends(rtc: RtcImplementation): RtcImplementation {
  const count = (channel: RTCDataChannel): void => {
    const send = channel.send.bind(channel) as (data: unknown) => void
    Object.defineProperty(channel, 'send', {
      configurable: true,
      value: (data: unknown) => {
        countSent(data)
        send(data)
      },
    })
  }
  class CountingPeerConnection extends rtc.RTCPeerConnection {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      if (init?.negotiated !== true) count(channel)
      return channel
    }
    override dispatchEvent(event: Event): boolean {
      // wrtc hands the answering side its channel through dispatchEvent (framed by then for Parley).
      const channel = (event as { channel?: RTCDataChannel }).channel
      if (event.type === 'datachannel' && channel !== undefined && channel.negotiated !== true) count(channel)
      return super.dispatchEvent(event)
    }
  }
  return { ...rtc, RTCPeerConnection: CountingPeerConnection }
}

function countSent(data: unknown): void {
  const bytes = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : null
  if (bytes === null || bytes.length < 1) sent.other++
  else if (bytes[0] === 1) sent.awareness++
  else if (bytes[0] !== 0 || bytes.length < 2) sent.other++
  else if (bytes[1] === 0) sent.syncStep1++
  else if (bytes[1] === 1) sent.syncStep2++
  else if (bytes[1] === 2) sent.update++
  else sent.other++
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
