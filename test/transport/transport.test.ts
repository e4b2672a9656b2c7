// openTransport as the room layer uses it: it applies the adaptations (seen here through the
// document relay) against a Parley peer in a child process, and refuses a y-webrtc it does not know.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { HeldChanges } from '../support/held-changes.js'
import { openLocalTransport } from '../support/local-transport.js'

/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 40_000

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('transport')

/** Opens a transport in this process (see local-transport.ts). */
const open = (topic: string, changes: HeldChanges) => openLocalTransport(signaling, topic, changes)

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
      // Not sent as it was made: no update message reached the remote before delivery. The
      // change may still get there early in a sync step 2, the whole document answering the
      // remote's step 1: the link's own sync, if that step 1 is read here only after the change
      // (the remote sends it as its side connects; our awareness can reach it before we read
      // it), or the relay's repair.
      const early = await remote.state()
      expect(early.received.update).toBe(0)
      if (early.texts.length > 0) expect(early.received.syncStep2).toBeGreaterThan(0)
      changes.deliver(Y.encodeStateAsUpdate(doc, before))
      // Sent once delivered: one update on the one link.
      await expect.poll(async () => (await remote.state()).received.update).toBe(1)
      expect((await remote.state()).texts).toEqual(['held'])
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
