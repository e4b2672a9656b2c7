// The benchmark's reference: stock y-webrtc and y-protocols awareness, as an app would use
// them without Parley's leave detection. Query: ?signaling=<ws url>&room=<name>&name=<name>.
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'

const params = new URLSearchParams(location.search)
const doc = new Y.Doc()
const provider = new WebrtcProvider(params.get('room') ?? 'bench', doc, {
  signaling: [params.get('signaling') ?? 'ws://localhost:4444'],
  peerOpts: { config: { iceServers: [] } },
})
const awareness = provider.awareness
awareness.setLocalState({ name: params.get('name') ?? 'anonymous', typing: false })
document.querySelector('textarea')?.addEventListener('input', () => awareness.setLocalStateField('typing', true))

/** What the benchmark reads: how many others are present, and whether one is typing. */
const bench = {
  others: () =>
    [...awareness.getStates().keys()].filter((id) => id !== awareness.clientID && awareness.getStates().get(id)?.name !== undefined).length,
  names: () => [...awareness.getStates()].filter(([id]) => id !== awareness.clientID).map(([, state]) => state.name),
  someoneTyping: () => [...awareness.getStates()].some(([id, state]) => id !== awareness.clientID && state.typing === true),
}
Object.assign(window, { bench })
