// openTransport as the room layer uses it: it applies the adaptations (seen here through the
// document relay) against a Parley peer in a child process, and refuses a y-webrtc it does not know.
import wrtc from '@roamhq/wrtc'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { Awareness } from 'y-protocols/awareness'
import { openTransport, type RtcImplementation, type Transport } from '../../src/transport/index.js'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { HeldChanges } from '../support/held-changes.js'

/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 40_000

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('transport')

/** Opens a transport in this process; it, its document and its awareness are closed after the test. */
function open(topic: string, changes: HeldChanges): { doc: Y.Doc; awareness: Awareness; transport: Transport } {
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  awareness.setLocalState({ kind: 'local' })
  let transport: Transport | null = null
  signaling.track(() => {
    transport?.close()
    awareness.destroy()
    doc.destroy()
  })
  transport = openTransport({
    topic,
    secret: null,
    doc,
    awareness,
    changes,
    signalingUrls: [signaling.url()],
    iceServers: [],
    wrtc: wrtc as unknown as RtcImplementation,
  })
  return { doc, awareness, transport }
}

describe('openTransport', () => {
  it(
    'links two Parley peers and relays document changes only as the changes source delivers them',
    async () => {
      const topic = signaling.topic()
      const changes = new HeldChanges()
      const { doc, awareness } = open(topic, changes)
      const remote = await signaling.startPeer({ kind: 'parley', topic })
      const localState = async () => (await remote.state()).awareness.find(({ client }) => client === doc.clientID)?.state
      await expect.poll(localState, { timeout: CONNECT_TIMEOUT_MS }).toEqual({ kind: 'local' })

      const before = Y.encodeStateVector(doc)
      doc.getArray<string>('texts').push(['held'])
      awareness.setLocalState({ kind: 'local', mark: 1 })
      await expect.poll(localState).toEqual({ kind: 'local', mark: 1 })
      // Not sent as it was made. (The relay's repair may fetch it early: a digest round after
      // the links settle asks for what a peer lacks. Then the remote counted that request.)
      const early = await remote.state()
      if (early.texts.length > 0) expect(early.relay?.repairRequests).toBeGreaterThan(0)
      else expect(early.texts).toEqual([])
      changes.deliver(Y.encodeStateAsUpdate(doc, before))
      await expect.poll(async () => (await remote.state()).texts).toEqual(['held'])
    },
    TEST_TIMEOUT_MS,
  )

  it('throws, naming the member, when y-webrtc lacks one the adaptations rely on', () => {
    const connected = Object.getOwnPropertyDescriptor(WebrtcProvider.prototype, 'connected') as PropertyDescriptor
    Reflect.deleteProperty(WebrtcProvider.prototype, 'connected')
    try {
      expect(() => open(signaling.topic(), new HeldChanges())).toThrow('y-webrtc changed: provider.connected is missing')
    } finally {
      Object.defineProperty(WebrtcProvider.prototype, 'connected', connected)
    }
  })
})
