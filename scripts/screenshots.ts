// Takes the README's screenshots: the built site with a real conversation between three
// browsers, at 1280 and 360 px, light and dark, into docs/screenshots/. Run: npm run screenshots
// (emoji in messages need an emoji font, e.g. Debian's fonts-noto-color-emoji, or they show as boxes).
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

/** An image shared in the conversation (drawn on a canvas by the sharer's page). */
const IMAGE = { image: 'upgrade-path.png' } as const

/** Who says what, in order (the last line is typed, not sent, so "is typing" shows). */
const CONVERSATION: ReadonlyArray<[speaker: number, said: string | typeof IMAGE]> = [
  [0, 'Morning! The release notes draft is up: https://example.org/notes/2.4'],
  [1, 'Thanks @Alice, reading it now.'],
  [1, 'The `--dry-run` flag section is **exactly** what people asked for.'],
  [2, 'Could we add a line on upgrading from 2.2? A few teams are still on it.'],
  [2, IMAGE],
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
    for (const [index, [speaker, said]] of CONVERSATION.entries()) {
      if (typeof said === 'string') {
        const field = pages[speaker].getByRole('textbox', { name: 'Message' })
        await field.fill(said)
        await field.press('Enter')
      } else {
        const buffer = Buffer.from(await pages[speaker].evaluate(drawUpgradePath), 'base64')
        await pages[speaker].locator('parley-composer input[type=file]').setInputFiles({ name: said.image, mimeType: 'image/png', buffer })
      }
      for (const page of pages) await page.waitForFunction(countAtLeast, index + 1, { timeout: SHOW_TIMEOUT_MS })
    }
    // Every page fetched the image from its sharer and shows it.
    for (const page of pages) await page.locator('parley-message-list img').waitFor({ timeout: SHOW_TIMEOUT_MS })
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

/** In the page: a small chart of who runs which version, as base64 PNG bytes. */
function drawUpgradePath(): string {
  const canvas = document.createElement('canvas')
  canvas.width = 480
  canvas.height = 200
  const context = canvas.getContext('2d') as CanvasRenderingContext2D
  context.fillStyle = '#f4f6fb'
  context.fillRect(0, 0, canvas.width, canvas.height)
  context.font = '16px sans-serif'
  const teams: Array<[version: string, share: number, colour: string]> = [
    ['2.2', 0.18, '#c0392b'],
    ['2.3', 0.47, '#2e86c1'],
    ['2.4', 0.35, '#27ae60'],
  ]
  teams.forEach(([version, share, colour], row) => {
    const y = 30 + row * 55
    context.fillStyle = '#333'
    context.fillText(`v${version}`, 16, y + 24)
    context.fillStyle = colour
    context.fillRect(70, y, share * 600, 36)
    context.fillStyle = '#333'
    context.fillText(`${Math.round(share * 100)} % of teams`, 80 + share * 600, y + 24)
  })
  return canvas.toDataURL('image/png').split(',')[1] ?? ''
}

/** In the page: whether its log shows at least `count` messages. */
function countAtLeast(count: number): boolean {
  const list = document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list')
  return (list?.shadowRoot?.querySelectorAll('article').length ?? 0) >= count
}

await main()
