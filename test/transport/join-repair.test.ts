// A link that fails during its setup, between two Parley peers in child processes: the peer that
// offered announces again, the other invites it at once, and the pair links without a stuck-link timeout.
import { describe, expect, it } from 'vitest'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for two child peers to start and link over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 70_000

const signaling = useSignalingServer('join-repair')

describe('a link that fails while it connects', () => {
  it(
    'is offered anew on the invitation that answers the offerer announcing again, not on a timer',
    async () => {
      const topic = signaling.topic()
      // Whichever has the smaller id offers; the first answer it gets is broken, so applying it
      // fails and its link is given up. The answering side's link would wait for the timer.
      const tap = { breakAnswers: 1 }
      const first = await signaling.startPeer({ kind: 'parley', topic, tap })
      await expect.poll(async () => (await first.state()).tap.subscribed, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
      const second = await signaling.startPeer({ kind: 'parley', topic, tap })
      const peers = [first, second]
      await expect
        .poll(async () => (await Promise.all(peers.map((peer) => peer.state()))).every((state) => state.links.length === 1), {
          timeout: CONNECT_TIMEOUT_MS,
        })
        .toBe(true)
      const states = await Promise.all(peers.map((peer) => peer.state()))
      const offerer = states.find((state) => state.tap.brokenAnswers === 1)
      const answerer = states.find((state) => state !== offerer)
      expect(offerer?.tap.offersSent).toBe(2)
      expect(answerer?.tap.offersSent).toBe(0)
      // The repair was the answerer's invitation on the offerer's new announcement: no link
      // of either waited out the no-progress time (8 s) to be replaced.
      for (const state of states) expect(state.join).toMatchObject({ reoffers: 0, reinvitations: 0 })
      expect(answerer?.join?.invitations).toBeGreaterThanOrEqual(1)
    },
    TEST_TIMEOUT_MS,
  )
})
