// The history benchmark's browser-fed case: a Chromium page writes a room's history through
// `<parley-chat>.send()`, as a user's browser would, and stays online to feed late joiners.
// No vitest inside (npm run bench uses it).
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { seededText } from '../test/e2e/history-harness.js'

/** How long the writer may take to hold its own `count` messages, in ms. */
const WRITE_TIMEOUT_MS = 300_000
/** Claimed time between two seeded messages, in ms: as the Node seeder spaces them, within the author budget. */
const SEEDED_SPACING_MS = 1000

/** A browser page holding a room's history that it wrote itself. */
export interface BrowserSeeder {
  page: Page
  /** Ms the page took to write the history (every send() called and every message held). */
  writeMs: number
  close(): Promise<void>
}

/**
 * Opens `url` in a new profile of `browser` under the name "Seeder" and sends `count` messages
 * (`seededText`) through the chat element. The page's clock is moved back by `count` seconds and
 * on by one second per message, so the records claim the Node seeder's spacing and the author
 * budget shows them all; it ends at the real time. `initScripts` run in the page before it loads (probes);
 * `beforeLoad` is given the page's context before the page opens (routes).
 */
export async function seedRoomFromBrowser(
  browser: Browser,
  url: string,
  count: number,
  initScripts: string[] = [],
  beforeLoad?: (context: BrowserContext) => Promise<void>,
): Promise<BrowserSeeder> {
  const context: BrowserContext = await browser.newContext()
  for (const script of initScripts) await context.addInitScript(script)
  await beforeLoad?.(context)
  await context.addInitScript(() => {
    localStorage.setItem('parley:name', 'Seeder')
    const realNow = Date.now.bind(Date)
    const clock = { offsetMs: 0 }
    Object.assign(window, { benchClock: clock })
    Date.now = () => realNow() + clock.offsetMs
  })
  const page = await context.newPage()
  await page.goto(url)
  // Keys loaded: a send now signs at once (before, it waits for them and reads the clock later).
  await page.waitForFunction(() => (document.querySelector('parley-chat') as unknown as { signer?: unknown } | null)?.signer !== undefined)
  const texts = Array.from({ length: count }, (_, index) => seededText(index))
  const started = Date.now()
  await page.evaluate(
    ({ texts, spacingMs }) => {
      const chat = document.querySelector('parley-chat') as unknown as { send(text: string): boolean }
      const clock = (window as unknown as { benchClock: { offsetMs: number } }).benchClock
      clock.offsetMs = -texts.length * spacingMs
      for (const text of texts) {
        clock.offsetMs += spacingMs
        if (!chat.send(text)) throw new Error('the chat refused a message')
      }
      clock.offsetMs = 0
    },
    { texts, spacingMs: SEEDED_SPACING_MS },
  )
  await page.waitForFunction(
    (expected) => (document.querySelector('parley-chat') as unknown as { messages: unknown[] }).messages.length >= expected,
    count,
    { timeout: WRITE_TIMEOUT_MS, polling: 100 },
  )
  return { page, writeMs: Date.now() - started, close: () => context.close() }
}
