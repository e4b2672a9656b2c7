// The adaptations of y-webrtc's room handlers, each applied alone to a real provider in this
// process, with a stock y-webrtc peer in a child process on the other end of a real link.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { dropBeforeUnloadHook, keepLivenessRemovalsLocal, relayDocumentChangesAfterDraw } from '../../src/transport/room-handlers.js'
import { LIVENESS_ORIGIN } from '../../src/transport/liveness.js'
import { openLocalProvider, type LocalPeer, type NodePeer, type NodePeerState } from '../support/node-peer.js'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { HeldChanges } from '../support/held-changes.js'

/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 40_000

const signaling = useSignalingServer('room-handlers')

/** A stock provider here and a stock peer in a child process, linked; both closed after the test. */
async function linkedPair(): Promise<{ local: LocalPeer; remote: NodePeer }> {
  const topic = signaling.topic()
  const local = openLocalProvider(topic, signaling.url())
  signaling.track(() => local.close())
  local.awareness.setLocalState({ name: 'local' })
  const remote = await signaling.startPeer({ kind: 'stock', topic, awareness: { name: 'remote' } })
  return { local, remote }
}

/** The awareness state `peer` holds for `client`, if any. */
function stateOf(peer: NodePeerState, client: number): unknown {
  return peer.awareness.find((entry) => entry.client === client)?.state
}

describe('keepLivenessRemovalsLocal', () => {
  it(
    'does not broadcast an awareness removal made with the liveness origin, while an ordinary change goes out',
    async () => {
      const { local, remote } = await linkedPair()
      keepLivenessRemovalsLocal(await local.room, LIVENESS_ORIGIN)
      // A third peer's state, as if heard from it directly; y-webrtc relays it to the remote peer.
      const third = new Awareness(new Y.Doc())
      third.setLocalState({ name: 'third' })
      applyAwarenessUpdate(local.awareness, encodeAwarenessUpdate(third, [third.clientID]), 'third peer')
      third.destroy()
      await expect
        .poll(async () => stateOf(await remote.state(), third.clientID), { timeout: CONNECT_TIMEOUT_MS })
        .toEqual({ name: 'third' })

      // This peer's link to the third one went silent: its state goes, here only.
      removeAwarenessStates(local.awareness, [third.clientID], LIVENESS_ORIGIN)
      expect(local.awareness.getStates().has(third.clientID)).toBe(false)
      // An ordinary change after it, on the same ordered channel: once it arrived, so had the removal.
      local.awareness.setLocalState({ name: 'local', mark: 2 })
      await expect.poll(async () => stateOf(await remote.state(), local.doc.clientID)).toEqual({ name: 'local', mark: 2 })
      expect(stateOf(await remote.state(), third.clientID)).toEqual({ name: 'third' })
    },
    TEST_TIMEOUT_MS,
  )
})

describe('relayDocumentChangesAfterDraw', () => {
  it(
    'sends a document change when the deferred source delivers it, not when the transaction ends',
    async () => {
      const { local, remote } = await linkedPair()
      const changes = new HeldChanges()
      relayDocumentChangesAfterDraw(await local.room, changes)
      await expect.poll(async () => stateOf(await remote.state(), local.doc.clientID), { timeout: CONNECT_TIMEOUT_MS }).toBeDefined()

      const before = Y.encodeStateVector(local.doc)
      local.doc.getArray<string>('texts').push(['held'])
      // A marker on the same ordered channel, sent after the transaction: the change would be ahead of it.
      local.awareness.setLocalState({ name: 'local', mark: 1 })
      await expect.poll(async () => stateOf(await remote.state(), local.doc.clientID)).toEqual({ name: 'local', mark: 1 })
      // Not sent as it was made: no update message reached the remote before delivery. The change
      // may still get there early in a sync step 2, the whole document answering the remote's
      // step 1: the link's own sync, if that step 1 (sent as the remote's side connected) is read
      // here only after the change.
      const early = await remote.state()
      expect(early.received.update).toBe(0)
      if (early.texts.length > 0) expect(early.received.syncStep2).toBeGreaterThan(0)

      changes.deliver(Y.encodeStateAsUpdate(local.doc, before))
      // Sent once delivered: one update on the one link.
      await expect.poll(async () => (await remote.state()).received.update).toBe(1)
      expect((await remote.state()).texts).toEqual(['held'])
    },
    TEST_TIMEOUT_MS,
  )
})

describe('dropBeforeUnloadHook', () => {
  /** Runs `body` with an EventTarget standing in for the page's `window` (y-webrtc hooks it when a room opens). */
  async function withWindow(body: (window: EventTarget) => Promise<void>): Promise<void> {
    const fake = new EventTarget()
    Object.defineProperty(globalThis, 'window', { value: fake, configurable: true })
    try {
      await body(fake)
    } finally {
      Reflect.deleteProperty(globalThis, 'window')
    }
  }

  it('y-webrtc leaves the room on beforeunload when the hook stays', async () => {
    await withWindow(async (window) => {
      const peer = openLocalProvider(signaling.topic(), signaling.url())
      signaling.track(() => peer.close())
      await peer.room
      window.dispatchEvent(new Event('beforeunload'))
      expect(peer.awareness.getLocalState()).toBeNull()
    })
  })

  it('keeps the room on beforeunload once the hook is dropped', async () => {
    await withWindow(async (window) => {
      const peer = openLocalProvider(signaling.topic(), signaling.url())
      signaling.track(() => peer.close())
      dropBeforeUnloadHook(await peer.room)
      window.dispatchEvent(new Event('beforeunload'))
      expect(peer.awareness.getLocalState()).not.toBeNull()
      expect(peer.provider.connected).toBe(true)
    })
  })
})
