// Messages that arrive while the page is hidden: the count in the title, system notifications
// (never for one's own messages), and the marker where new messages start.
//
// Playwright's pages stay visible (its focus emulation keeps them drawing, whatever tab or
// window is in front), so most tests here stand in for the browser: an init script makes
// `document.visibilityState`/`hidden` report what the test says and fires the same
// `visibilitychange` event the browser fires. It also records each `new Notification(...)`
// the page makes, then lets the real constructor run. The page hidden before its frame is a
// real hidden tab (`launchTabbedChromium`): its frames really stop.
import { describe, expect, it } from 'vitest'
import type { Browser, Locator, Page } from 'playwright-core'
import { topicFor } from '../../src/address/index.js'
import { roomDatabaseName } from '../../src/history/index.js'
import { launchTabbedChromium } from '../support/browsers.js'
import { storedInBrowser } from './history-harness.js'
import { composer, expectMessages, joinRoom, messageLog, roomUrl, sendMessage, uniqueRoom, withStepTimeouts } from './harness.js'
import { useEmbedStack } from './embed-pages.js'
import { PAGE_STATE_SCRIPT, notifications, setHidden } from './page-probes.js'

const stack = useEmbedStack()

/** Opens a page whose visibility the test controls and whose notifications it records. */
async function watchedPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext()
  await context.addInitScript(PAGE_STATE_SCRIPT)
  return context.newPage()
}

const title = (page: Page) => page.evaluate(() => document.title)

/** The log's lines in order: "author: text" for messages, the text for notices. */
function logLines(log: Locator): Promise<string[]> {
  return log
    .locator('article, .notice')
    .evaluateAll((entries) =>
      entries.map((entry) =>
        entry.localName === 'article'
          ? `${entry.querySelector('.author')?.textContent ?? ''}: ${entry.querySelector('p')?.textContent ?? ''}`
          : (entry.textContent ?? ''),
      ),
    )
}

describe('while the page is hidden', () => {
  it('counts in the title what arrives on a page hidden before the frame its redraw waited for, and stores its own message', async () => {
    const room = uniqueRoom('unread-frame')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const tabs = await launchTabbedChromium()
    try {
      const b = await withStepTimeouts(tabs.context).newPage()
      await b.goto(url)
      await b.getByRole('textbox', { name: 'Your name' }).fill('Bob')
      await b.getByRole('button', { name: 'Join' }).click()
      await composer(b).waitFor()
      const a = await joinRoom(stack.browsers[0], url, 'Alice')
      await sendMessage(a, 'hello')
      await expectMessages(b, ['Alice: hello'])

      // Bob sends: his own message's redraw waits for the next frame, asked for while the page
      // is visible. The frame is late (the compositor is paused), and the window is minimised
      // before it comes: a hidden page draws no frames, so it never comes. A user switching
      // tabs within the frame after a send (or an arrival) does the same.
      tabs.pauseFrames()
      try {
        // A frame already on its way still comes: ask for frames until one does not.
        const frameComes = () =>
          b.evaluate(
            () =>
              new Promise<boolean>((resolve) => {
                requestAnimationFrame(() => resolve(true))
                setTimeout(() => resolve(false), 300)
              }),
          )
        await expect.poll(frameComes, { interval: 0 }).toBe(false)
        await b
          .evaluate(() => {
            const chat = document.querySelector('parley-chat') as unknown as { send(text: string): boolean }
            chat.send('stepping away')
            return document.visibilityState
          })
          .then((state) => expect(state).toBe('visible'))
        await tabs.setWindowState(b, 'minimized')
        await expect.poll(() => b.evaluate(() => document.visibilityState), { interval: 50 }).toBe('hidden')
      } finally {
        tabs.resumeFrames()
      }
      await expectMessages(a, ['Alice: hello', 'Bob: stepping away'])
      // Stored while hidden too: the store's write waited for the page to draw the message.
      const database = roomDatabaseName(topicFor({ name: room, secret: null }))
      await expect.poll(() => storedInBrowser(b, database, 'stepping away'), { timeout: 15_000, interval: 100 }).toBe(true)
      // The page really draws no frames while hidden.
      const frameOrNot = await b.evaluate(() =>
        Promise.race([
          new Promise((resolve) => requestAnimationFrame(() => resolve('frame'))),
          new Promise((resolve) => setTimeout(() => resolve('no frame'), 1_000)),
        ]),
      )
      expect(frameOrNot).toBe('no frame')

      await sendMessage(a, 'are you there?')
      await expect.poll(() => title(b), { timeout: 15_000, interval: 50 }).toBe(`(1) #${room} · Parley`)
      await tabs.setWindowState(b, 'normal')
      await expect.poll(() => title(b), { interval: 50 }).toBe(`#${room} · Parley`)
      await expectMessages(b, ['Alice: hello', 'Bob: stepping away', 'Alice: are you there?'])
      await a.close()
    } finally {
      await tabs.close()
    }
  }, 60_000)

  it("counts others' new messages in the title, notifies for them only, and marks where they start", async () => {
    const room = uniqueRoom('unread')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const a = await joinRoom(stack.browsers[0], url, 'Alice')
    const b = await joinRoom(stack.browsers[1], url, 'Bob', PAGE_STATE_SCRIPT)

    // Notifications are off until the user turns them on.
    await b.context().grantPermissions(['notifications'], { origin: new URL(stack.site.url).origin })
    await b.getByRole('button', { name: 'Turn on notifications' }).click()
    await b.getByRole('button', { name: 'Turn on notifications' }).waitFor({ state: 'detached' })

    await sendMessage(b, 'before I step away')
    await expectMessages(a, ['Bob: before I step away'])
    expect(await title(b)).toBe(`#${room} · Parley`)
    await setHidden(b, true)

    await sendMessage(a, 'one')
    await expect.poll(() => title(b), { interval: 50 }).toBe(`(1) #${room} · Parley`)
    await sendMessage(a, 'two')
    await expect.poll(() => title(b), { interval: 50 }).toBe(`(2) #${room} · Parley`)

    // Bob writes from another tab of the same profile: not unread, no notification.
    const otherTab = await b.context().newPage()
    await otherTab.goto(url)
    await sendMessage(otherTab, 'from my other tab')
    await expectMessages(b, ['Bob: before I step away', 'Alice: one', 'Alice: two', 'Bob: from my other tab'])
    await sendMessage(a, 'three')
    await expect.poll(() => title(b), { interval: 50 }).toBe(`(3) #${room} · Parley`)
    expect(await notifications(b)).toEqual([
      { title: `Alice in #${room}`, body: 'one' },
      { title: `Alice in #${room}`, body: 'two' },
      { title: `Alice in #${room}`, body: 'three' },
    ])
    expect(await title(otherTab)).toBe(`#${room} · Parley`)

    await setHidden(b, false)
    expect(await title(b)).toBe(`#${room} · Parley`)
    const log = messageLog(b)
    expect((await logLines(log)).filter((line) => !line.endsWith('joined'))).toEqual([
      'Bob: before I step away',
      'New messages',
      'Alice: one',
      'Alice: two',
      'Bob: from my other tab',
      'Alice: three',
    ])
    // Writing means the user has caught up: the marker goes.
    await sendMessage(b, 'back')
    await expect.poll(async () => (await logLines(log)).includes('New messages'), { interval: 50 }).toBe(false)
    await Promise.all([a.close(), b.close(), otherTab.close()])
  })

  it('hands the log the notices it holds again while the marker stays put: an arrival does not make them anew', async () => {
    const room = uniqueRoom('unread-notices')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const a = await joinRoom(stack.browsers[0], url, 'Alice')
    const b = await joinRoom(stack.browsers[1], url, 'Bob', PAGE_STATE_SCRIPT)
    await sendMessage(a, 'before')
    await expectMessages(b, ['Alice: before'])
    await setHidden(b, true)
    await sendMessage(a, 'one')
    await expectMessages(b, ['Alice: before', 'Alice: one'])
    const lines = () => logLines(messageLog(b))
    expect((await lines()).filter((line) => !line.endsWith('joined'))).toEqual(['Alice: before', 'New messages', 'Alice: one'])
    // The notices the log holds, marker and all, kept in the page to compare with after the next arrival.
    const keptNotices = () =>
      b.evaluate(() => {
        const log = document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list') as { notices: unknown } | null
        const page = window as unknown as { keptNotices?: unknown }
        const same = page.keptNotices === log?.notices
        page.keptNotices = log?.notices
        return same
      })
    await keptNotices()
    await sendMessage(a, 'two')
    await expectMessages(b, ['Alice: before', 'Alice: one', 'Alice: two'])
    expect((await lines()).filter((line) => !line.endsWith('joined'))).toEqual([
      'Alice: before',
      'New messages',
      'Alice: one',
      'Alice: two',
    ])
    // The same array: the log did not sort its notices again for the arrival (on main, a new one each time).
    expect(await keptNotices()).toBe(true)
    await Promise.all([a.close(), b.close()])
  })

  it('leaves the title of a page that embeds a chat alone unless notify is set, but still marks new messages', async () => {
    const room = uniqueRoom('unread-embed')
    const page = await watchedPage(stack.browsers[1])
    await page.goto(await stack.embeds.page('one-tag.html', room))
    await page.getByRole('textbox', { name: 'Your name' }).fill('Bob')
    await page.getByRole('button', { name: 'Join' }).click()
    const a = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, room), 'Alice')
    await setHidden(page, true)
    await sendMessage(a, 'while you were away')
    await expectMessages(page, ['Alice: while you were away'])
    expect(await title(page)).toBe('One tag')
    await setHidden(page, false)
    expect(await logLines(messageLog(page))).toContain('New messages')

    await page.locator('parley-chat').evaluate((chat) => chat.setAttribute('notify', ''))
    await setHidden(page, true)
    await sendMessage(a, 'and again')
    await expect.poll(() => title(page), { interval: 50 }).toBe('(1) One tag')
    await setHidden(page, false)
    expect(await title(page)).toBe('One tag')
    await Promise.all([a.close(), page.close()])
  })
})
