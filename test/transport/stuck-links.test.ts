// reofferStuckLinks on a real provider in this process, against a stock y-webrtc peer in a child
// process whose signaling loses the first offer: the link that never connects is offered again.
import { describe, expect, it } from 'vitest'
import type { WebrtcConn } from 'y-webrtc'
import { reofferStuckLinks } from '../../src/transport/stuck-links.js'
import { openLocalProvider } from '../support/node-peer.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 40_000

const signaling = useSignalingServer('stuck-links')

describe('reofferStuckLinks', () => {
  it(
    'replaces a link whose offer was lost with a fresh offer, which connects',
    async () => {
      const topic = signaling.topic()
      const local = openLocalProvider(topic, signaling.url())
      signaling.track(() => local.close())
      const room = await local.room
      signaling.track(reofferStuckLinks(room, { quietMs: 1000, checkIntervalMs: 100 }))
      const firstLinks = new Map<string, WebrtcConn>()
      local.provider.on('peers', ({ added }) => {
        for (const peerId of added) {
          const link = room.webrtcConns.get(peerId)
          if (link !== undefined && !firstLinks.has(peerId)) firstLinks.set(peerId, link)
        }
      })
      // Subscribed before the other peer arrives, so that its announcement makes this one offer.
      await expect.poll(() => local.provider.signalingConns[0]?.connected, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)

      const remote = await signaling.startPeer({ kind: 'stock', topic, tap: { dropOfferLinks: 1 } })
      await expect.poll(async () => (await remote.state()).tap.droppedOfferLinks, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
      const remotePeerId = (await remote.state()).peerId as string
      const first = firstLinks.get(remotePeerId)
      expect(first?.peer.initiator).toBe(true)

      await expect.poll(() => room.webrtcConns.get(remotePeerId)?.connected, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
      await expect
        .poll(async () => (await remote.state()).awareness.some(({ client }) => client === local.doc.clientID), {
          timeout: CONNECT_TIMEOUT_MS,
        })
        .toBe(true)
      const connected = room.webrtcConns.get(remotePeerId)
      expect(connected).not.toBe(first)
      expect(connected?.peer.initiator).toBe(true)
      expect(first?.closed).toBe(true)
      expect((await remote.state()).tap.offersReceived).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})
