// The child process behind bench/joins.ts: one y-webrtc peer (stock, or Parley's transport) that
// joins its room on command and reports its connected links by ICE ufrag. Not run on its own.
import { appendFileSync } from 'node:fs'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { openTransport, type RtcImplementation } from '../src/transport/index.js'
import { DeferredUpdates } from '../src/history/index.js'
import { exitWithParent } from '../test/support/ipc-child.js'
import { nodeRtc } from '../test/support/node-rtc.js'
import { tappedWebSocket, type TapCounts } from '../test/support/signaling-tap.js'

/** What the parent passes in NODE_JOINS_PEER. */
export interface JoinsPeerOptions {
  kind: 'stock' | 'parley'
  signalingUrl: string
  /** The Node WebRTC library: @roamhq/wrtc, or node-datachannel's polyfill (as test/support/node-rtc.ts adapts it). */
  rtc: 'wrtc' | 'node-datachannel'
  /** A file to append every peer-connection call to (which one was last before a crash). */
  traceFile?: string
}

/** One peer connection whose ICE is connected: its own and the remote ufrag (pairs match on them). */
export interface LinkUfrags {
  local: string
  remote: string
}

/** What the child reports about the room it is in. */
export interface JoinsPeerState {
  links: LinkUfrags[]
  /** Peer connections made so far (a re-offer makes one more). */
  peerConnections: number
  tap: TapCounts
}

/** Join a room (one at a time), report, leave it, end the process. */
export type JoinsPeerCommand = { op: 'join'; topic: string } | { op: 'state' } | { op: 'leave' } | { op: 'exit' }

const options = JSON.parse(process.env.NODE_JOINS_PEER ?? '{}') as JoinsPeerOptions
let tap = tappedWebSocket()

const base: RtcImplementation = nodeRtc(options.rtc)

/** The peer connections made since the last join. */
let made: RTCPeerConnection[] = []
let traceSeq = 0
const trace = (pcId: number, what: string, pc: RTCPeerConnection): void => {
  if (options.traceFile === undefined) return
  const state = `${pc.signalingState}/${pc.iceGatheringState}/${pc.iceConnectionState}`
  appendFileSync(options.traceFile, `${Date.now()} ${traceSeq++} pc${pcId} ${what} ${state}\n`)
}

/** The library's RTCPeerConnection, remembered (and traced) so that links can be reported. */
class RecordedPeerConnection extends base.RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super(config)
    const id = made.push(this) - 1
    if (options.traceFile === undefined) return
    trace(id, 'new', this)
    for (const method of [
      'close',
      'setLocalDescription',
      'setRemoteDescription',
      'addIceCandidate',
      'createOffer',
      'createAnswer',
    ] as const) {
      const original = (this[method] as (...args: unknown[]) => unknown).bind(this)
      ;(this as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        trace(id, method, this)
        const result = original(...args)
        if (result instanceof Promise)
          void result.then(
            () => trace(id, `${method} done`, this),
            (error: unknown) => trace(id, `${method} failed ${String(error)}`, this),
          )
        return result
      }
    }
  }
}
const rtc: RtcImplementation = { ...base, RTCPeerConnection: RecordedPeerConnection as unknown as typeof RTCPeerConnection }

function ufrag(sdp: string | undefined): string | null {
  return /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? null
}

function links(): LinkUfrags[] {
  const found: LinkUfrags[] = []
  for (const pc of made) {
    if (pc.iceConnectionState !== 'connected' && pc.iceConnectionState !== 'completed') continue
    const local = ufrag(pc.localDescription?.sdp)
    const remote = ufrag(pc.remoteDescription?.sdp)
    if (local !== null && remote !== null) found.push({ local, remote })
  }
  return found
}

let leave = (): void => {}

function join(topic: string): void {
  leave()
  made = []
  // lib0's WebSocket client uses the global WebSocket, which Node 20 lacks; a fresh tap counts this room's frames.
  tap = tappedWebSocket()
  globalThis.WebSocket = tap.WebSocket
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  awareness.setLocalState({ kind: options.kind })
  if (options.kind === 'stock') {
    const provider = new WebrtcProvider(topic, doc, {
      signaling: [options.signalingUrl],
      awareness,
      peerOpts: { wrtc: rtc, config: { iceServers: [] } },
    })
    leave = () => {
      provider.disconnect()
      provider.destroy()
      leave = () => {}
    }
    return
  }
  const changes = new DeferredUpdates(doc)
  const transport = openTransport({
    topic,
    secret: null,
    doc,
    awareness,
    changes,
    signalingUrls: [options.signalingUrl],
    iceServers: [],
    wrtc: rtc,
  })
  leave = () => {
    transport.close()
    changes.destroy()
    leave = () => {}
  }
}

function run(command: JoinsPeerCommand): unknown {
  switch (command.op) {
    case 'join':
      join(command.topic)
      return null
    case 'state':
      return { links: links(), peerConnections: made.length, tap: { ...tap.counts } } satisfies JoinsPeerState
    case 'leave':
      leave()
      return null
    case 'exit':
      leave()
      // Exits once the reply is out; the WebRTC libraries leave handles that keep it running.
      setTimeout(() => process.exit(0), 100)
      return null
  }
}

process.on('message', (message: { id: number; command: JoinsPeerCommand }) => {
  try {
    process.send?.({ id: message.id, result: run(message.command) })
  } catch (error) {
    process.send?.({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  }
})
exitWithParent()
process.send?.({ id: 0, result: 'started' })
