// A history is this browser's once it is shown: a late joiner whose tab closes right after its
// history appeared, the one peer that brought it gone, finds all of it again on its own disk.
// The parts in which a page passes a history on are paced for the peers (20,000 records: 100
// parts, two seconds); what reaches IndexedDB must not wait for them.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { joinRoom, messageLog, roomUrl, uniqueRoom, useChatStack } from './harness.js'
import { seedParleyRoom, seededText } from './history-harness.js'

/** Messages in the history: a hundred of the parts a page passes on, and light enough for a test. */
const HISTORY_MESSAGES = 20_000
/** Bound for the history to arrive, or to load from the disk, in ms (speed is the benchmark's). */
const ARRIVAL_BOUND_MS = 60_000

const stack = useChatStack(1)

/** How many messages the page's chat holds. */
const heldCount = (page: Page): Promise<number> =>
  page.evaluate(() => (document.querySelector('parley-chat') as { messages?: unknown[] } | null)?.messages?.length ?? -1)

/** Waits until the page's chat holds `count` messages and draws the newest, `newest`. */
async function expectShown(page: Page, count: number, newest: string): Promise<void> {
  await expect.poll(() => heldCount(page), { timeout: ARRIVAL_BOUND_MS, interval: 100 }).toBe(count)
  await expect
    .poll(() => messageLog(page).locator('article p').last().textContent(), { timeout: ARRIVAL_BOUND_MS, interval: 100 })
    .toBe(newest)
}

describe('a late joiner’s history', () => {
  it('stays in its browser when the tab closes as soon as the history is shown and its only holder leaves', {
    timeout: 180_000,
  }, async () => {
    const room = uniqueRoom('kept')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const newest = seededText(HISTORY_MESSAGES - 1)
    const seeder = await seedParleyRoom({ room, signalingUrl: stack.signaling.url, count: HISTORY_MESSAGES })
    let profile: Awaited<ReturnType<Page['context']>>
    try {
      const joiner = await joinRoom(stack.browsers[0], url, 'Alice')
      profile = joiner.context()
      await expectShown(joiner, HISTORY_MESSAGES, newest)
      // Closed at once, as a user closes a tab: nothing waited for the disk.
      await joiner.close()
    } finally {
      seeder.close()
    }
    // Nobody holds the room now but this browser's disk.
    const back = await profile.newPage()
    await back.goto(url)
    await expectShown(back, HISTORY_MESSAGES, newest)
    await profile.close()
  })
})
