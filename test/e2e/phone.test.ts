// The chat on a phone, with a history as long as real rooms have: at 360 × 740 px the header,
// the members panel, the log and the composer each keep their own place on screen, and only
// the log scrolls. (With a screenful of messages the log used to spill over the header.) And on
// a touch screen, where "More actions" always shows, it covers no message's text.
import { mkdir } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { composer, joinRoom, messageLog, roomUrl, sendMessage, uniqueRoom, useChatStack, withStepTimeouts } from './harness.js'
import { seedParleyRoom, seededText } from './history-harness.js'
import { MAX_NAME_CHARS } from '../../src/room/index.js'

/** Where screenshots go (gitignored), to be looked at by a person. */
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url)
const PHONE = { width: 360, height: 740 }
/** Messages in the phone's room: a long history, far more than a screenful. */
const LONG_HISTORY_MESSAGES = 10_000
/** Time the test may take in all (seeding and syncing 10,000 messages on a loaded machine), in ms. */
const PHONE_TEST_TIMEOUT_MS = 120_000

const stack = useChatStack(1)

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true })
})

/** How many messages the page's chat holds. */
const heldCount = (page: Page): Promise<number> =>
  page.evaluate(() => (document.querySelector('parley-chat') as { messages?: unknown[] } | null)?.messages?.length ?? -1)

/** A part's box on screen; fails when the part is not rendered. */
async function box(page: Page, selector: string): Promise<{ top: number; bottom: number; left: number; right: number }> {
  const found = await page.locator(selector).first().boundingBox()
  if (found === null) throw new Error(`${selector} is not rendered`)
  return { top: found.y, bottom: found.y + found.height, left: found.x, right: found.x + found.width }
}

/** Checks that every part is on screen, in order from top to bottom, and none overlaps the next. */
async function expectPhoneLayout(page: Page): Promise<void> {
  const header = await box(page, 'parley-chat [part="header"]')
  const members = await box(page, 'parley-chat parley-members')
  const log = await box(page, 'parley-chat parley-message-list')
  const field = await box(page, 'parley-chat parley-composer')
  const parts = { header, members, log, field }
  for (const [name, part] of Object.entries(parts)) {
    expect(part.top, `${name} top`).toBeGreaterThanOrEqual(0)
    expect(part.bottom, `${name} bottom`).toBeLessThanOrEqual(PHONE.height)
    expect(part.left, `${name} left`).toBeGreaterThanOrEqual(0)
    expect(part.right, `${name} right`).toBeLessThanOrEqual(PHONE.width)
  }
  expect(header.bottom).toBeLessThanOrEqual(members.top)
  expect(members.bottom).toBeLessThanOrEqual(log.top)
  expect(log.bottom).toBeLessThanOrEqual(field.top)
  // The log gets the room that is left, not a sliver.
  expect(log.bottom - log.top).toBeGreaterThan(PHONE.height / 3)
  // Only the log scrolls: the page itself neither way.
  const page_ = await page.evaluate(() => ({ width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight }))
  expect(page_.width).toBeLessThanOrEqual(PHONE.width)
  expect(page_.height).toBeLessThanOrEqual(PHONE.height)
}

describe('on a phone', () => {
  it(
    'keeps header, members, log and composer in place with 10,000 messages, at the newest and scrolled up',
    async () => {
      const room = uniqueRoom('phone')
      const seeder = await seedParleyRoom({ room, signalingUrl: stack.signaling.url, count: LONG_HISTORY_MESSAGES })
      let page: Page
      try {
        page = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, room), 'Alice')
        await page.setViewportSize(PHONE)
        await expect.poll(() => heldCount(page), { timeout: 60_000, interval: 250 }).toBe(LONG_HISTORY_MESSAGES)
      } finally {
        seeder.close()
      }
      const newest = seededText(LONG_HISTORY_MESSAGES - 1)
      await expect.poll(() => messageLog(page).locator('article p').last().textContent(), { timeout: 15_000 }).toBe(newest)
      await expectPhoneLayout(page)
      await page.screenshot({ path: new URL('phone-long-history.png', ARTIFACTS).pathname })
      // The newest message is in view (also after the viewport shrank), not hidden under the composer.
      const newestBelowLog = async () =>
        (await box(page, 'parley-chat parley-message-list >> article >> nth=-1')).bottom -
        (await box(page, 'parley-chat parley-message-list')).bottom
      await expect.poll(newestBelowLog, { timeout: 5_000 }).toBeLessThanOrEqual(1)

      // Scrolled far up, the layout holds, and so it does after sending from there.
      await messageLog(page).evaluate((element) => {
        element.scrollTop = element.scrollHeight / 3
      })
      await expectPhoneLayout(page)
      await sendMessage(page, 'Sent from a phone')
      await expect.poll(() => heldCount(page)).toBe(LONG_HISTORY_MESSAGES + 1)
      await expect(composer(page).inputValue()).resolves.toBe('')
      await expectPhoneLayout(page)
      await page.close()
    },
    PHONE_TEST_TIMEOUT_MS,
  )

  it('shows "More actions" beside each message\'s text on a touch screen, never over it', async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('touch'))
    // A phone: no hover, so the button shows on every message all the time (not only on hover).
    const context = withStepTimeouts(await stack.browsers[0].newContext({ viewport: PHONE, isMobile: true, hasTouch: true }))
    const page = await context.newPage()
    await page.goto(url)
    await page.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await page.getByRole('button', { name: 'Join' }).click()
    const texts = [
      'A first line long enough to reach the right edge of a phone screen and wrap',
      '`inline_code_that_is_very_long_and_has_no_spaces_at_all_in_it` end',
      '```\nconst aVeryLongIdentifierName = someFunction(argumentNumberOne, argumentNumberTwo)\n```',
    ]
    for (const text of texts) await sendMessage(page, text)
    const more = messageLog(page).getByRole('button', { name: 'More actions' })
    await expect.poll(() => more.count()).toBe(texts.length)
    await page.screenshot({ path: new URL('phone-touch-actions.png', ARTIFACTS).pathname })
    // Each line box of each message's text, against its button: none may overlap it.
    const overlaps = await messageLog(page)
      .locator('article')
      .evaluateAll((articles) =>
        articles.flatMap((article, index) => {
          const button = article.querySelector('.more')?.getBoundingClientRect()
          const text = article.querySelector('p')
          if (button === undefined || text === null) return [`message ${index}: no button or text`]
          const range = document.createRange()
          range.selectNodeContents(text)
          return [...range.getClientRects()]
            .filter(
              (line) =>
                line.width > 0 &&
                line.right > button.left &&
                line.left < button.right &&
                line.bottom > button.top &&
                line.top < button.bottom,
            )
            .map(
              (line) =>
                `message ${index}: text ${Math.round(line.left)}–${Math.round(line.right)} under the button at ${Math.round(button.left)}`,
            )
        }),
      )
    expect(overlaps).toEqual([])
    await context.close()
  })

  it('keeps "N new messages ↓" within the log when the screen gets very short, off the members panel', async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('short'))
    const context = withStepTimeouts(await stack.browsers[0].newContext({ viewport: { width: 360, height: 640 } }))
    const alice = await context.newPage()
    await alice.goto(url)
    await alice.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await alice.getByRole('button', { name: 'Join' }).click()
    // More than a screenful, so that Alice can read further up.
    for (let n = 1; n <= 20; n++) await sendMessage(alice, `line ${n}`)
    const bob = await joinRoom(stack.browsers[0], url, 'Bob')
    await expect.poll(() => alice.locator('parley-chat parley-members li').count(), { timeout: 30_000 }).toBe(2)
    await messageLog(alice).evaluate((log) => {
      log.scrollTop = 0
    })
    await sendMessage(bob, 'while Alice reads up')
    const pill = alice.getByRole('button', { name: '1 new message' })
    await pill.waitFor({ timeout: 30_000 })
    await alice.setViewportSize({ width: 360, height: 360 })
    await expect.poll(async () => (await box(alice, 'parley-chat parley-message-list')).bottom).toBeLessThanOrEqual(360)
    const log = await box(alice, 'parley-chat parley-message-list')
    const members = await box(alice, 'parley-chat parley-members')
    const shown = await box(alice, 'parley-chat parley-message-list .jump')
    await alice.screenshot({ path: new URL('phone-short-new-messages.png', ARTIFACTS).pathname })
    expect(shown.top, "the button's top, against the log's").toBeGreaterThanOrEqual(log.top - 0.5)
    expect(shown.bottom).toBeLessThanOrEqual(log.bottom + 0.5)
    expect(shown.top).toBeGreaterThanOrEqual(members.bottom - 0.5)
    await Promise.all([context.close(), bob.context().close()])
  }, 90_000)

  it('fits names of one long word on the screen: header, members, log, notices and the typing line', async () => {
    // A name may be 64 characters without a space, and a peer picks it. Seen on a 360 px phone:
    // such a name pushed the page 1,032 px wide and the message's time off screen.
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('long-name'))
    const [mine, theirs] = ['W'.repeat(MAX_NAME_CHARS), 'M'.repeat(MAX_NAME_CHARS)]
    const page = await joinRoom(stack.browsers[0], url, mine)
    await page.setViewportSize(PHONE)
    const other = await joinRoom(stack.browsers[0], url, theirs)
    await sendMessage(page, 'hello from a long name')
    await sendMessage(other, 'and from another')
    await expect.poll(() => messageLog(page).locator('article').count(), { timeout: 15_000 }).toBe(2)
    await composer(other).pressSequentially('typing')
    await expect.poll(() => page.locator('parley-chat p.typing').textContent()).toContain('is typing')
    await page.screenshot({ path: new URL('phone-long-names.png', ARTIFACTS).pathname })
    // Every element of the page and of the chat's shadow roots within the screen's width.
    const outside = await page.evaluate((width) => {
      const found: string[] = []
      const visit = (root: Document | ShadowRoot): void => {
        for (const element of root.querySelectorAll('*')) {
          const box = element.getBoundingClientRect()
          if (box.width > 0 && box.right > width + 0.5)
            found.push(`${element.localName}.${element.className} ends at ${Math.round(box.right)}`)
          if (element.shadowRoot !== null) visit(element.shadowRoot)
        }
      }
      visit(document)
      return found
    }, PHONE.width)
    expect(outside).toEqual([])
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await Promise.all([page.close(), other.close()])
  })
})
