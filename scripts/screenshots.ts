// Takes the README's screenshots: the built site with a real conversation between three
// browsers, at 1280 and 360 px, light and dark, into docs/screenshots/. Run: npm run screenshots
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic } from '../test/support/browsers.js'

const OUT_DIR = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))
const SIZES = [
  { width: 1280, height: 800 },
  { width: 360, height: 740 },
] as const
const SCHEMES = ['light', 'dark'] as const
/** How long to wait for a line to reach every page, in ms. */
const SHOW_TIMEOUT_MS = 15_000

/** Who says what, in order (the last line is typed, not sent, so "is typing" shows). */
const CONVERSATION: ReadonlyArray<[speaker: number, text: string]> = [
  [0, 'Morning! The release notes draft is up: https://example.org/notes/2.4'],
  [1, 'Thanks @Alice, reading it now.'],
  [1, 'The `--dry-run` flag section is **exactly** what people asked for.'],
  [2, 'Could we add a line on upgrading from 2.2? A few teams are still on it.'],
  [0, 'Good point, adding it before lunch.'],
  [2, '*Great*, thank you!'],
]
const TYPING = [1, 'Looks good to me, one small'] as const

async function joinAs(browser: Browser, url: string, name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  await page.goto(url)
  await page.getByRole('textbox', { name: 'Your name' }).fill(name)
  await page.getByRole('button', { name: 'Join' }).click()
  await page.getByRole('textbox', { name: 'Message' }).waitFor()
  return page
}

const shownCount = (page: Page): Promise<number> => page.locator('parley-chat parley-message-list article').count()

async function main(): Promise<void> {
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-shots-'))
  const browsers: Browser[] = []
  process.env.NODE_ENV = 'production'
  await build({ logLevel: 'error', build: { outDir: siteDir } })
  const site = await serveStatic(siteDir)
  const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
  try {
    for (let i = 0; i < 3; i++) browsers.push(await launchChromium())
    const url = `${site.url}?signaling=${encodeURIComponent(signaling.url)}&ice=#design-review`
    const pages = [await joinAs(browsers[0], url, 'Alice'), await joinAs(browsers[1], url, 'Bob'), await joinAs(browsers[2], url, 'Carol')]
    for (const [index, [speaker, text]] of CONVERSATION.entries()) {
      const field = pages[speaker].getByRole('textbox', { name: 'Message' })
      await field.fill(text)
      await field.press('Enter')
      for (const page of pages) await page.waitForFunction(countAtLeast, index + 1, { timeout: SHOW_TIMEOUT_MS })
    }
    const [typist, draft] = TYPING
    await pages[typist].getByRole('textbox', { name: 'Message' }).pressSequentially(draft)
    const viewer = pages[2]
    await viewer.waitForFunction(
      () => !document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list')?.shadowRoot?.querySelector('.pending'),
    )
    await mkdir(OUT_DIR, { recursive: true })
    for (const scheme of SCHEMES) {
      await viewer.emulateMedia({ colorScheme: scheme })
      for (const size of SIZES) {
        await viewer.setViewportSize(size)
        // Keep the typing line alive while shooting (it clears after a few idle seconds).
        await pages[typist].getByRole('textbox', { name: 'Message' }).press('Space')
        await viewer.waitForFunction(() =>
          /typing/.test(document.querySelector('parley-chat')?.shadowRoot?.querySelector('.typing')?.textContent ?? ''),
        )
        const path = join(OUT_DIR, `parley-${size.width}-${scheme}.png`)
        await viewer.screenshot({ path })
        console.log(`wrote ${path} (${await shownCount(viewer)} messages shown)`)
      }
    }
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()))
    await Promise.allSettled([signaling.close(), site.close()])
    await rm(siteDir, { recursive: true, force: true })
  }
}

/** In the page: whether its log shows at least `count` messages. */
function countAtLeast(count: number): boolean {
  const list = document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list')
  return (list?.shadowRoot?.querySelectorAll('article').length ?? 0) >= count
}

await main()
