// A stock y-webrtc peer floods a room of two browsers slowly: messages signed with its own key,
// claiming times a person's pace apart, 45 a second, under the links' short rate (50 a second).
// On main it was never cut off and every message was stored and shown (40 a second for an hour
// is 144,000). The links' records are budgeted over minutes too: it is dropped within a minute,
// what it got in stays bounded, the people's messages still arrive, both pages hold the same, and
// the log says how many of its messages were refused.
import { describe, expect, it } from 'vitest'
import { SUSTAINED_RECORDS_BURST } from '../../src/transport/peer-guard.js'
import { expectRefusedLines, heldRecords, roomMessages, roomWithFlooder } from './flood-room.js'
import { sendMessage, useChatStack } from './harness.js'

const stack = useChatStack(2)
/** Messages the flooder writes at most: at its pace, a little under three minutes. */
const FLOOD_COUNT = 7_200
/** Messages to a transaction, and to a second. */
const BATCH = 9
const PER_SECOND = 45
/** Claimed time between two messages, in ms: the pace an author's budget allows (2 a second). */
const SPACING_MS = 500

describe('a slow own-key flood, under the links’ short rate', () => {
  it('is cut off within minutes, its refused messages counted in the log', { timeout: 300_000 }, async () => {
    const { alice, bob, pageErrors, flooder } = await roomWithFlooder(stack, 'slow-flood')
    try {
      const flooding = flooder.floodPaced(FLOOD_COUNT, BATCH, SPACING_MS, PER_SECOND).catch(() => {})
      await sendMessage(alice, 'still here')
      // Both pages drop the flooder before it wrote all it would (on main: never; it wrote them all).
      await flooding
      expect(await flooder.connectedLinks()).toBe(0)
      await expect.poll(async () => (await roomMessages(bob)).map((each) => each.text), { timeout: 60_000 }).toContain('still here')
      // Both hold the same, a bounded part of the flood: what a link may bring over minutes.
      let held = 0
      await expect
        .poll(
          async () => {
            held = await heldRecords(alice)
            return held === (await heldRecords(bob))
          },
          { timeout: 60_000, interval: 500 },
        )
        .toBe(true)
      expect(held - 2).toBeLessThan(2 * SUSTAINED_RECORDS_BURST)
      // The page whose guard refused what no page holds says so, from its count.
      await expectRefusedLines([alice, bob])
      expect(pageErrors).toEqual([])
    } finally {
      await flooder.close()
    }
    await Promise.all([alice.close(), bob.close()])
  })
})
