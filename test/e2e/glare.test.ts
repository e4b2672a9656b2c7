// Peers that offer to each other at the same moment (offer glare), in real Chromium and Node
// over real WebRTC: when one peer leaves just as another arrives, the one that stays announces
// itself again while the newcomer announces itself, and both offer. Stock y-webrtc 10.3 left
// such pairs stuck in "connecting" (6 of 16 rounds here); Parley must connect them every time.
import { describe, expect, it } from 'vitest'
import { Room } from '../../src/room/index.js'
import { joinRoom, roomUrl, uniqueRoom, useChatStack } from './harness.js'
import { nodeRtc, seedParleyRoom } from './history-harness.js'

/** Rounds of leave-and-arrive; each had about a one-in-three chance of sticking before. */
const ROUNDS = 6
/** Messages the page holds, so that the newcomer has something to receive. */
const HISTORY_MESSAGES = 20

const stack = useChatStack(1)

describe('a newcomer arriving as another peer leaves', () => {
  it('connects to the peer that stays, and gets the history from it', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const room = uniqueRoom(`glare-${round}`)
      const leaving = await seedParleyRoom({ room, signalingUrl: stack.signaling.url, count: HISTORY_MESSAGES })
      const page = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, room), 'Alice')
      await expect
        .poll(
          () => page.evaluate(() => (document.querySelector('parley-chat') as { messages?: unknown[] } | null)?.messages?.length ?? -1),
          { timeout: 15_000 },
        )
        .toBe(HISTORY_MESSAGES)
      leaving.close()
      const newcomer = new Room({
        name: room,
        secret: null,
        signalingUrls: [stack.signaling.url],
        iceServers: [],
        wrtc: nodeRtc,
        persist: false,
      })
      try {
        await expect
          .poll(() => newcomer.messages.length, { timeout: 20_000, interval: 100, message: `round ${round}` })
          .toBe(HISTORY_MESSAGES)
      } finally {
        newcomer.close()
        await page.context().close()
      }
    }
  })
})
