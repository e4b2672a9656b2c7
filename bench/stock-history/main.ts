// The history benchmark's reference: a late joiner with stock y-webrtc, as an app would use it
// without Parley's framing. Query: ?signaling=<ws url>&room=<name>&count=<messages expected>.
// It publishes the same probe as Parley's pages (window.historyProbe, performance.now() stamps).
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'

const params = new URLSearchParams(location.search)
const expected = Number(params.get('count') ?? '0')
const probe = { connectedAt: null as number | null, heldAt: null as number | null, shownAt: null as number | null, held: 0 }
Object.assign(window, { historyProbe: probe })

const Base = window.RTCPeerConnection
window.RTCPeerConnection = class extends Base {
  constructor(config?: RTCConfiguration) {
    super(config)
    this.addEventListener('connectionstatechange', () => {
      if (this.connectionState === 'connected') probe.connectedAt ??= performance.now()
    })
  }
}

const doc = new Y.Doc()
const messages = doc.getArray('messages')
messages.observe(() => {
  probe.held = messages.length
  if (messages.length >= expected && probe.heldAt === null) probe.heldAt = probe.shownAt = performance.now()
})
void new WebrtcProvider(params.get('room') ?? 'bench', doc, {
  signaling: [params.get('signaling') ?? 'ws://localhost:4444'],
  peerOpts: { config: { iceServers: [] } },
})
