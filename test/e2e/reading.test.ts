// Reading a long room as a user does, in the site, with two browsers: a run of one person's
// messages under one header, "N new messages" while reading further up, and search that
// jumps to a match anywhere in the history and gives the keyboard back where it was.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { joinRoom, messageLog, roomUrl, sendMessage, uniqueRoom, useChatStack } from './harness.js'
import { seedParleyRoom, seededText } from './history-harness.js'

/** Messages already in the room: far more than a screenful, so the log is a window. */
const HISTORY_MESSAGES = 2_000
const SYNC_TIMEOUT_MS = 60_000

const stack = useChatStack(2)

/** How many messages the page's chat holds. */
const heldCount = (page: Page): Promise<number> =>
  page.evaluate(() => (document.querySelector('parley-chat') as { messages?: unknown[] } | null)?.messages?.length ?? -1)

/** Whether the log's last message says `text` and is in view. */
const newestInView = (page: Page, text: string): Promise<boolean> =>
  messageLog(page).evaluate((log, expected) => {
    const articles = log.querySelectorAll('article')
    const last = articles[articles.length - 1]
    if (last?.querySelector('p')?.textContent !== expected) return false
    return last.getBoundingClientRect().bottom <= log.getBoundingClientRect().bottom + 1
  }, text)

describe('reading a long room', () => {
  it(
    'groups a run of messages, counts what arrives while reading above, and finds old messages',
    async () => {
      const room = uniqueRoom('reading')
      const url = roomUrl(stack.site.url, stack.signaling.url, room)
      const seeder = await seedParleyRoom({ room, signalingUrl: stack.signaling.url, count: HISTORY_MESSAGES })
      let bob: Page
      try {
        bob = await joinRoom(stack.browsers[1], url, 'Bob')
        await expect.poll(() => heldCount(bob), { timeout: SYNC_TIMEOUT_MS, interval: 250 }).toBe(HISTORY_MESSAGES)
      } finally {
        seeder.close()
      }
      const alice = await joinRoom(stack.browsers[0], url, 'Alice')
      await expect.poll(() => heldCount(alice), { timeout: SYNC_TIMEOUT_MS, interval: 250 }).toBe(HISTORY_MESSAGES)

      // Bob reads the beginning; Alice writes twice.
      await messageLog(bob).evaluate((log) => {
        log.scrollTop = 0
      })
      const jump = bob.getByRole('button', { name: /new messages?|Jump to newest/ })
      await expect.poll(() => jump.textContent()).toMatch(/Jump to newest/)
      await sendMessage(alice, 'Lunch at noon?')
      await sendMessage(alice, 'The usual place')
      await expect.poll(() => jump.textContent(), { timeout: 15_000 }).toMatch(/^2 new messages/)
      expect(await messageLog(bob).evaluate((log) => log.scrollTop)).toBe(0)

      // One click takes him to them: Alice's second line sits under her first one's header.
      await jump.click()
      await expect.poll(() => newestInView(bob, 'The usual place'), { timeout: 15_000 }).toBe(true)
      await expect.poll(() => jump.count()).toBe(0)
      const lastTwo = await messageLog(bob)
        .locator('article')
        .evaluateAll((articles) =>
          articles.slice(-2).map((article) => ({
            continued: article.classList.contains('continued'),
            author: article.querySelector('.author')?.textContent,
          })),
        )
      expect(lastTwo).toEqual([
        { continued: false, author: 'Alice' },
        { continued: true, author: 'Alice' },
      ])

      // Search by keyboard for a line near the start, jump to it, and close with Escape.
      const searchButton = bob.getByRole('button', { name: 'Search' })
      await searchButton.click()
      const field = bob.getByRole('searchbox', { name: 'Search messages' })
      await expect.poll(() => field.evaluate((element) => element === (element.getRootNode() as ShadowRoot).activeElement)).toBe(true)
      await bob.keyboard.type('message 17 of')
      await expect.poll(() => bob.locator('parley-message-list output').textContent()).toBe('1 of 1')
      const hit = messageLog(bob).locator('article.hit')
      await expect.poll(() => hit.locator('p').textContent()).toBe(seededText(17))
      const hitBox = await hit.boundingBox()
      const logBox = await messageLog(bob).boundingBox()
      expect(hitBox !== null && logBox !== null && hitBox.y >= logBox.y && hitBox.y + hitBox.height <= logBox.y + logBox.height).toBe(true)
      await bob.keyboard.press('Escape')
      await expect.poll(() => field.count()).toBe(0)
      await expect
        .poll(() => searchButton.evaluate((element) => element === (element.getRootNode() as ShadowRoot).activeElement))
        .toBe(true)

      // Sending from up there brings him back down to what he wrote.
      await sendMessage(bob, 'Sounds good')
      await expect.poll(() => newestInView(bob, 'Sounds good'), { timeout: 15_000 }).toBe(true)
      await Promise.all([alice.close(), bob.close()])
    },
    3 * SYNC_TIMEOUT_MS,
  )
})
