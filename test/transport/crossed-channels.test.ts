// A link whose two ends each opened y-webrtc's data channel (stock y-webrtc answers an offer that
// crossed its own with its offering link) is made again: a Parley peer in this process, stock peers in children.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { HeldChanges } from '../support/held-changes.js'
import { openLocalTransport } from '../support/local-transport.js'

/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 60_000
/** How much later the joiner's connections make their offers: long enough to answer ours first. */
const JOINER_OFFER_DELAY_MS = 500

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('crossed')

/** Opens a Parley transport in this process with `text` in its document; closed after the test. */
function openParley(topic: string, text: string): void {
  const doc = new Y.Doc()
  doc.getArray<string>('texts').push([text])
  openLocalTransport(signaling, topic, new HeldChanges(), doc)
}

describe('crossed channels', () => {
  it(
    'a stock peer that got our offer while it began its own link to us gets the document',
    async () => {
      const topic = signaling.topic()
      openParley(topic, 'before')
      // It offers no link past its one to us (maxConns), so the joiner's first offer is ours.
      const leaving = await signaling.startPeer({ kind: 'stock', topic, maxConns: 1 })
      await expect.poll(async () => (await leaving.state()).texts, { timeout: CONNECT_TIMEOUT_MS }).toEqual(['before'])
      // The joiner's announcement makes us offer; its tap holds that offer until we announce again.
      const joiner = await signaling.startPeer({
        kind: 'stock',
        topic,
        tap: { holdFirstOfferUntilAnnounce: true },
        offerDelayMs: JOINER_OFFER_DELAY_MS,
        rtc: 'node-datachannel',
      })
      await expect.poll(async () => (await joiner.state()).tap.heldOffers, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
      // A peer leaves: we announce again (y-webrtc does when a link closes). The joiner begins a
      // link to us, reads our offer before its own offer is made, and answers with that link.
      await leaving.close()
      await expect.poll(async () => (await joiner.state()).texts, { timeout: CONNECT_TIMEOUT_MS }).toEqual(['before'])
    },
    TEST_TIMEOUT_MS,
  )
})
