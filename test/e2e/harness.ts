// What end-to-end tests share: the built site on a plain static server, the real signaling
// server on port 0, real Chromium processes, and the steps a user takes in the page.
import { randomUUID } from 'node:crypto'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, inject } from 'vitest'
import { startSignalingServer } from '../../signaling/index.js'
import {
  type KillableChromium,
  launchChromium as launchBareChromium,
  launchKillableChromium as launchBareKillableChromium,
  serveStatic,
  type Running,
} from '../support/browsers.js'

export { CHROMIUM_ARGS, resolveToLoopback, serveStatic, type KillableChromium, type Running } from '../support/browsers.js'

/**
 * How long a page's step (a click, a fill, a wait for an element, a locator's textContent) waits
 * for what it needs, in ms. Playwright's default is 30 s, and expect.poll lets the attempt under
 * way finish and then makes one more: a step that never comes inside a poll ate a test's 60 s and
 * failed as "Test timed out", naming nothing. At 10 s it fails naming its locator. A step that
 * legitimately waits longer says so (`{ timeout }`).
 */
export const STEP_TIMEOUT_MS = 10_000
/** How long a navigation (goto, reload, a wait for a load state) waits, in ms: Playwright's own. */
export const NAVIGATION_TIMEOUT_MS = 30_000

/** Gives every page of `context`, and those it opens later, the step and navigation timeouts. */
export function withStepTimeouts(context: BrowserContext): BrowserContext {
  context.setDefaultTimeout(STEP_TIMEOUT_MS)
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS)
  return context
}

/** Gives every context `browser` makes (each `newContext()`, `newPage()`) the step timeouts. */
function stepTimeoutsInEveryContext(browser: Browser): Browser {
  browser.on('context', withStepTimeouts)
  return browser
}

/** A separate headless Chromium (support/browsers.ts) whose pages' steps fail at STEP_TIMEOUT_MS. */
export async function launchChromium(...args: Parameters<typeof launchBareChromium>): Promise<Browser> {
  return stepTimeoutsInEveryContext(await launchBareChromium(...args))
}

/** A Chromium a test can kill or freeze (support/browsers.ts), its pages' steps failing at STEP_TIMEOUT_MS. */
export async function launchKillableChromium(): Promise<KillableChromium> {
  const killable = await launchBareKillableChromium()
  stepTimeoutsInEveryContext(killable.browser)
  return killable
}

/** What a test file chats over: the built site, a signaling server, and browser processes. */
export interface ChatStack {
  site: Running
  signaling: Running
  browsers: Browser[]
}

/**
 * Starts, for the tests of one file, the built site on a plain static server (under
 * `sitePath`, `/` by default), the real signaling server on port 0 and `browserCount`
 * separate Chromium processes; stops them after the file. Read the fields inside tests or
 * hooks, once they have started.
 */
export function useChatStack(browserCount: number, sitePath = '/'): ChatStack {
  const stack = { browsers: [] } as unknown as ChatStack
  beforeAll(async () => {
    stack.site = await serveStatic(inject('siteDir'), sitePath)
    stack.signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    stack.browsers = await Promise.all(Array.from({ length: browserCount }, () => launchChromium()))
  })
  afterAll(async () => {
    await Promise.allSettled(stack.browsers.map((browser) => browser.close()))
    await Promise.allSettled([stack.signaling?.close(), stack.site?.close()])
  })
  return stack
}

/** A room name no other test uses. */
export function uniqueRoom(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`
}

/** The page URL for a room, pointed at a signaling server, with host candidates only. */
export function roomUrl(siteUrl: string, signalingUrl: string, room: string): string {
  return `${siteUrl}?signaling=${encodeURIComponent(signalingUrl)}&ice=#${encodeURIComponent(room)}`
}

/**
 * Opens the room in a new window (a browser context of its own, like a separate profile)
 * and joins under `name`; `initScript` runs in the page before its own scripts (to observe it).
 * More tabs of that profile: `page.context().newPage()`.
 */
export async function joinRoom(browser: Browser, url: string, name: string, initScript?: (() => void) | string): Promise<Page> {
  // Also for a browser launched elsewhere; the same timeouts again for one launched here.
  const context = withStepTimeouts(await browser.newContext())
  if (initScript !== undefined) await context.addInitScript(initScript)
  const page = await context.newPage()
  await page.goto(url)
  await page.getByRole('textbox', { name: 'Your name' }).fill(name)
  await page.getByRole('button', { name: 'Join' }).click()
  await composer(page).waitFor({ state: 'visible' })
  return page
}

/** The message field. */
export function composer(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Message' })
}

/** The message log. */
export function messageLog(page: Page): Locator {
  return page.getByRole('log', { name: 'Messages' })
}

/** Types a message and presses Enter, as a user does. */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await composer(page).fill(text)
  await composer(page).press('Enter')
}

/** The messages shown in a page, as "author: text" lines. */
export async function shownMessages(page: Page): Promise<string[]> {
  return messageLog(page)
    .locator('article')
    .evaluateAll((articles) =>
      articles.map((article) => `${article.querySelector('.author')?.textContent ?? ''}: ${article.querySelector('p')?.textContent ?? ''}`),
    )
}

/** Waits until a page shows exactly these messages. */
export async function expectMessages(page: Page, expected: string[], timeout = 15_000): Promise<void> {
  await expect.poll(() => shownMessages(page), { timeout, interval: 50 }).toEqual(expected)
}

/** The members list as shown: one "name (you) N tabs ✎ typing" line per user (key fingerprints aside). */
export async function shownMembers(page: Page): Promise<string[]> {
  return page
    .getByRole('list', { name: 'Members' })
    .getByRole('listitem')
    .evaluateAll((items) =>
      items.map((item) => {
        const copy = item.cloneNode(true) as Element
        copy.querySelector('.fingerprint')?.remove()
        return (copy.textContent ?? '').replace(/\s+/g, ' ').trim()
      }),
    )
}

/** The presence lines in the log ("Carol joined") drawn now: those among the entries near the view. */
export async function shownNotices(page: Page): Promise<string[]> {
  return messageLog(page).locator('.notice').allTextContents()
}

/**
 * Every line the log places among its messages ("Carol joined", "N messages from X hidden"), in its
 * order, drawn or not: the log draws only the entries near the view, and a line that later
 * arrivals pushed far above the newest is not in the DOM (`shownNotices`), though a reader
 * scrolling up finds it.
 */
export async function logNotices(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const list = (document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list') ?? null) as unknown as {
      notices: readonly { id: number; text: string; after: number }[]
    } | null
    if (list === null) throw new Error('logNotices: no message list')
    return [...list.notices].sort((a, b) => a.after - b.after || a.id - b.id).map((notice) => notice.text)
  })
}

/** The typing line ("Bob is typing…"), or "". */
export async function shownTyping(page: Page): Promise<string> {
  // The chat's typing line, not the header's connection line (also a status).
  return ((await page.locator('parley-chat p.typing').first().textContent()) ?? '').trim()
}

/** The key fingerprints shown in the members list, by member name. */
export async function shownFingerprints(page: Page): Promise<Record<string, string>> {
  return page
    .getByRole('list', { name: 'Members' })
    .getByRole('listitem')
    .evaluateAll((items) =>
      Object.fromEntries(
        items.map((item) => [
          item.querySelector('.name')?.textContent?.trim() ?? '',
          item.querySelector('.fingerprint')?.textContent?.trim() ?? '',
        ]),
      ),
    )
}
