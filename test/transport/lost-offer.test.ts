// Our offer breaks the link a stock peer was beginning to us, and it announces again: a Parley peer
// (child) offers anew at once instead of after its stuck-link timer. All peers on node-datachannel: the
// Parley peer closes a connection whose setup is under way, which is where @roamhq/wrtc segfaults.
import { describe, expect, it } from 'vitest'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for child peers to start and link over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 80_000

const signaling = useSignalingServer('lost-offer')

describe('an offer to a stock peer that broke its own new link', () => {
  it(
    'is made anew when the stock peer announces again, not by the stuck-link timer',
    async () => {
      const topic = signaling.topic()
      const parley = await signaling.startPeer({ kind: 'parley', topic, rtc: 'node-datachannel' })
      await expect.poll(async () => (await parley.state()).tap.subscribed, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
      // It offers no link past its one to us (maxConns): its leaving makes us announce again.
      const leaving = await signaling.startPeer({ kind: 'stock', topic, maxConns: 1, rtc: 'node-datachannel' })
      await expect.poll(async () => (await parley.state()).links.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
      // The joiner's announcement makes us offer; its tap holds our offer until we announce again,
      // and its offering links fail on an offer (as one broken by a crossed offer does).
      const joiner = await signaling.startPeer({
        kind: 'stock',
        topic,
        tap: { holdFirstOfferUntilAnnounce: true },
        refuseOffersWhileOffering: true,
        rtc: 'node-datachannel',
      })
      await expect.poll(async () => (await joiner.state()).tap.heldOffers, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
      // We announce again; the joiner begins a link to us, gets our offer on it before its own
      // offer is out, and gives that link up as it fails: it announces again.
      await leaving.close()
      await expect.poll(async () => (await joiner.state()).links.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
      const state = await parley.state()
      const joinerState = await joiner.state()
      const seen = JSON.stringify({ join: state.join, tap: state.tap, joiner: joinerState.tap })
      // Our first offer, and the one made anew on the joiner's announcement; no timer replaced a link.
      expect(state.join, seen).toMatchObject({ lostOffers: 1, reoffers: 0, reinvitations: 0 })
      // Counted per peer: the link to the leaving peer is the setup's. In one CI run at load 25 that
      // peer got two offers (so it announced twice: stock y-webrtc announces again when a link
      // errs or closes), the joiner two, and every join counter was as here; why the leaving
      // peer's first link did not last was not recorded, and is not what this test is about.
      expect(joinerState.peerId).not.toBeNull()
      expect(state.tap.offersByPeer[joinerState.peerId ?? ''], seen).toBe(2)
    },
    TEST_TIMEOUT_MS,
  )
})
