// What end-to-end tests share: the built site on a plain static server, the real signaling
// server on port 0, real Chromium processes, and the steps a user takes in the page.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { chromium, type Browser, type Locator, type Page } from 'playwright-core'
import { expect } from 'vitest'
import sirv from 'sirv'
import { findChromium } from '../../scripts/find-chromium.js'

/** Chromium flags for a headless run on a machine with no internet (see DEVELOPERS.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]

/** Something started by a test that must be stopped afterwards. */
export interface Running {
  url: string
  close (): Promise<void>
}

/** Serves a folder over HTTP on 127.0.0.1 at `basePath` (e.g. "/tools/chat/"). */
export async function serveStatic (dir: string, basePath = '/'): Promise<Running> {
  const files = sirv(dir, { dev: true, etag: false })
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/'
    if (!url.startsWith(basePath)) {
      response.writeHead(404).end('not found')
      return
    }
    request.url = '/' + url.slice(basePath.length)
    files(request, response, () => { response.writeHead(404).end('not found') })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    close: () => new Promise(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

/** Launches a separate headless Chromium process. */
export async function launchChromium (): Promise<Browser> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('Chromium not found: run `npm test` (it installs it) or set CHROMIUM_PATH')
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS })
}

/** A room name no other test uses. */
export function uniqueRoom (label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`
}

/** The page URL for a room, pointed at a signaling server, with host candidates only. */
export function roomUrl (siteUrl: string, signalingUrl: string, room: string): string {
  return `${siteUrl}?signaling=${encodeURIComponent(signalingUrl)}&ice=#${encodeURIComponent(room)}`
}

/**
 * Opens the room in a new window (a browser context of its own, like a separate profile)
 * and joins under `name`. More tabs of that profile: `page.context().newPage()`.
 */
export async function joinRoom (browser: Browser, url: string, name: string): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(url)
  await page.getByRole('textbox', { name: 'Your name' }).fill(name)
  await page.getByRole('button', { name: 'Join' }).click()
  await composer(page).waitFor({ state: 'visible' })
  return page
}

/** The message field. */
export function composer (page: Page): Locator {
  return page.getByRole('textbox', { name: 'Message' })
}

/** The message log. */
export function messageLog (page: Page): Locator {
  return page.getByRole('log', { name: 'Messages' })
}

/** Types a message and presses Enter, as a user does. */
export async function sendMessage (page: Page, text: string): Promise<void> {
  await composer(page).fill(text)
  await composer(page).press('Enter')
}

/** The messages shown in a page, as "author: text" lines. */
export async function shownMessages (page: Page): Promise<string[]> {
  return messageLog(page).locator('article').evaluateAll(articles => articles.map(article =>
    `${article.querySelector('.author')?.textContent ?? ''}: ${article.querySelector('p')?.textContent ?? ''}`))
}

/** Waits until a page shows exactly these messages. */
export async function expectMessages (page: Page, expected: string[], timeout = 15_000): Promise<void> {
  await expect.poll(() => shownMessages(page), { timeout, interval: 50 }).toEqual(expected)
}

/** A Chromium process tree a test can kill, or freeze and thaw (a network cut, as peers see it). */
export interface KillableChromium {
  browser: Browser
  /** SIGKILL of the browser process. */
  kill (): void
  /** SIGSTOP of every process of this browser: not one packet leaves it until thaw(). */
  freeze (): void
  /** SIGCONT: the browser runs (and talks) again. */
  thaw (): void
}

/** Launches Chromium as a server whose process a test can kill or freeze, and connects to it. */
export async function launchKillableChromium (): Promise<KillableChromium> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('Chromium not found: run `npm test` (it installs it) or set CHROMIUM_PATH')
  const server = await chromium.launchServer({ executablePath, headless: true, args: CHROMIUM_ARGS })
  const browser = await chromium.connect(server.wsEndpoint())
  const pid = server.process().pid
  if (pid === undefined) throw new Error('Chromium server has no pid')
  // Playwright starts the browser detached, as the leader of its own process group.
  const signalGroup = (signal: NodeJS.Signals) => process.kill(-pid, signal)
  return {
    browser,
    kill: () => { server.process().kill('SIGKILL') },
    freeze: () => signalGroup('SIGSTOP'),
    thaw: () => signalGroup('SIGCONT'),
  }
}

/** The members list as shown: one "name (you) N tabs ✎ typing" line per user. */
export async function shownMembers (page: Page): Promise<string[]> {
  return page.getByRole('list', { name: 'Members' }).getByRole('listitem').evaluateAll(items =>
    items.map(item => (item.textContent ?? '').replace(/\s+/g, ' ').trim()))
}

/** The presence lines in the log ("Carol joined"). */
export async function shownNotices (page: Page): Promise<string[]> {
  return messageLog(page).locator('.notice').allTextContents()
}

/** The typing line ("Bob is typing…"), or "". */
export async function shownTyping (page: Page): Promise<string> {
  return (await page.getByRole('status').first().textContent() ?? '').trim()
}
