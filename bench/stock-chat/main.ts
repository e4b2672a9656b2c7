// The send benchmark's reference: the smallest chat on stock y-webrtc 10.3, as an app would
// write it. Enter appends the draft to a Y.Array; the log draws each appended message as text.
// Query: ?signaling=<ws url>&room=<name>.
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'

const params = new URLSearchParams(location.search)
const doc = new Y.Doc()
const messages = doc.getArray<{ text: string; sentAt: number }>('messages')
const log = document.querySelector('[role=log]') as HTMLElement
const field = document.querySelector('textarea') as HTMLTextAreaElement

messages.observe((event) => {
  for (const delta of event.changes.delta)
    for (const message of (delta.insert ?? []) as Array<{ text: string }>) {
      const line = document.createElement('p')
      line.textContent = message.text
      log.append(line)
    }
})
field.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return
  event.preventDefault()
  if (field.value.trim() === '') return
  messages.push([{ text: field.value, sentAt: Date.now() }])
  field.value = ''
})
void new WebrtcProvider(params.get('room') ?? 'bench', doc, {
  signaling: [params.get('signaling') ?? 'ws://localhost:4444'],
  peerOpts: { config: { iceServers: [] } },
})
