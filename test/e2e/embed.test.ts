// Host anywhere, embed anywhere: the built site from a sub-path of a plain static server,
// and the one-file library in pages that hold nothing but its script tag and <parley-chat>.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, inject, it } from 'vitest'
import type { Browser, Locator, Page } from 'playwright-core'
import { LIBRARY_ENTRY, measureLoadSplit, siteEntry } from '../../bench/bundle-size.js'
import { expectMessages, joinRoom, roomUrl, sendMessage, shownMembers, uniqueRoom } from './harness.js'
import { useEmbedStack } from './embed-pages.js'

/** Where the site is served from, as on a host that keeps it below other pages. */
const SUB_PATH = '/tools/chat/'
const run = promisify(execFile)

const stack = useEmbedStack(SUB_PATH)

/** Opens a page in a window of its own (a fresh profile). */
async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  await page.goto(url)
  return page
}

/** The messages one chat element shows, as "author: text" lines. */
function messagesIn(chat: Locator): Promise<string[]> {
  return chat
    .getByRole('log', { name: 'Messages' })
    .locator('article')
    .evaluateAll((articles) =>
      articles.map((article) => `${article.querySelector('.author')?.textContent ?? ''}: ${article.querySelector('p')?.textContent ?? ''}`),
    )
}

/** Waits until one chat element shows exactly these messages. */
async function expectMessagesIn(chat: Locator, expected: string[]): Promise<void> {
  await expect.poll(() => messagesIn(chat), { timeout: 15_000, interval: 50 }).toEqual(expected)
}

/** Sends from one chat element, as a user does. */
async function sendIn(chat: Locator, text: string): Promise<void> {
  const field = chat.getByRole('textbox', { name: 'Message' })
  await field.fill(text)
  await field.press('Enter')
}

/** A computed style of the first element `selector` matches inside the chat's shadow trees. */
function styleIn(chat: Locator, selector: string, property: string): Promise<string> {
  return chat
    .locator(selector)
    .first()
    .evaluate((element, name) => getComputedStyle(element).getPropertyValue(name), property)
}

describe('static hosting', () => {
  it('runs from a sub-path of a plain static server, and two browsers chat there', async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('subpath'))
    expect(url).toContain(SUB_PATH)
    const a = await stack.browsers[0].newContext().then((context) => context.newPage())
    const requested: string[] = []
    a.on('request', (request) => {
      if (request.url().startsWith(new URL(stack.site.url).origin)) requested.push(new URL(request.url()).pathname)
    })
    await a.goto(url)
    await a.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await a.getByRole('button', { name: 'Join' }).click()
    const b = await joinRoom(stack.browsers[1], url, 'Bob')
    await sendMessage(a, 'Hello from a sub-path')
    await expectMessages(b, ['Alice: Hello from a sub-path'])
    await sendMessage(b, 'Works here too')
    await expectMessages(a, ['Alice: Hello from a sub-path', 'Bob: Works here too'])
    expect(requested.length).toBeGreaterThan(1)
    expect(requested.filter((path) => !path.startsWith(SUB_PATH))).toEqual([])
    await Promise.all([a.close(), b.close()])
  })
})

describe('embedding', () => {
  it('gives a page with only the script tag and <parley-chat> a working chat', async () => {
    const room = uniqueRoom('one-tag')
    const page = await openPage(stack.browsers[0], await stack.embeds.page('one-tag.html', room))
    await page.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await page.getByRole('button', { name: 'Join' }).click()
    const app = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    await sendMessage(page, 'Hello from an embed')
    await expectMessages(app, ['Alice: Hello from an embed'])
    await sendMessage(app, 'Hello from the site')
    await expectMessages(page, ['Alice: Hello from an embed', 'Bob: Hello from the site'])
    await Promise.all([page.close(), app.close()])
  })

  it('runs from one script tag on another origin, and fetches its on-demand parts from there', async () => {
    const room = uniqueRoom('other-origin')
    const url = await stack.embeds.page('other-origin.html', room)
    const page = await (await stack.browsers[0].newContext()).newPage()
    const scripts: string[] = []
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(request.url())
    })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(url)
    await page.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await page.getByRole('button', { name: 'Join' }).click()
    const app = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    // The transport is a chunk: a message reaching the site means it came, from the library's origin.
    await sendMessage(page, 'Hello from a CDN')
    await expectMessages(app, ['Alice: Hello from a CDN'])
    // So is the actions panel, fetched on first use.
    await page.getByRole('button', { name: 'More actions' }).click()
    await page.getByRole('group', { name: 'Message actions' }).getByRole('button', { name: 'Edit' }).waitFor()
    const libraryOrigin = new URL(scripts[0]).origin
    expect(libraryOrigin).not.toBe(new URL(url).origin)
    expect(scripts.filter((script) => new URL(script).origin !== libraryOrigin)).toEqual([])
    const names = scripts.map((script) => new URL(script).pathname.split('/').pop() ?? '')
    expect(names[0]).toBe(LIBRARY_ENTRY)
    for (const part of ['transport', 'message-actions']) expect(names.some((name) => name.includes(part))).toBe(true)
    expect(errors).toEqual([])
    await Promise.all([page.close(), app.close()])
  })

  it('shares one room between two elements for it on one page, both in step with a remote browser', async () => {
    const room = uniqueRoom('two')
    const page = await openPage(stack.browsers[0], await stack.embeds.page('host-page.html', room))
    const [first, second] = [page.locator('#first'), page.locator('#second')]
    // Ann is in the room before Bob comes: only then is Bob announced to her as joining.
    for (const chat of [first, second]) {
      await expect.poll(() => chat.getByRole('list', { name: 'Members' }).textContent(), { timeout: 15_000 }).toContain('Ann')
    }
    const app = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')

    await sendIn(first, 'from the first element')
    await expectMessagesIn(second, ['Ann: from the first element'])
    await expectMessages(app, ['Ann: from the first element'])
    await sendMessage(app, 'from Bob')
    const both = ['Ann: from the first element', 'Bob: from Bob']
    await expectMessagesIn(first, both)
    await expectMessagesIn(second, both)
    await sendIn(second, 'from the second element')
    await expectMessages(app, [...both, 'Ann: from the second element'])
    // One page is one tab: the room shows Ann once, on one tab.
    await expect.poll(async () => (await shownMembers(app)).sort(), { interval: 50 }).toEqual(['Ann', 'Bob (you)'])
    // Ann kept one identity throughout: the two elements did not each make a key pair.
    // (The line waits for Bob's presence signature to be checked.)
    for (const chat of [first, second]) {
      await expect.poll(() => chat.locator('.notice').allTextContents(), { timeout: 10_000, interval: 50 }).toEqual(['Bob joined'])
    }
    await Promise.all([page.close(), app.close()])
  })

  it('moves an element to another room when its room attribute or property changes', async () => {
    const [roomA, roomB] = [uniqueRoom('move-a'), uniqueRoom('move-b')]
    const page = await openPage(stack.browsers[0], await stack.embeds.page('host-page.html', roomA))
    const [first, second] = [page.locator('#first'), page.locator('#second')]
    const inA = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, roomA), 'Bob')
    const inB = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, roomB), 'Cleo')
    await sendMessage(inA, 'only in A')
    await expectMessagesIn(second, ['Bob: only in A'])

    await second.evaluate((chat, room) => chat.setAttribute('room', room), roomB)
    await expect.poll(() => second.getByRole('heading', { level: 2 }).textContent()).toBe(`#${roomB}`)
    await sendMessage(inB, 'only in B')
    await expectMessagesIn(second, ['Cleo: only in B'])
    await sendIn(second, 'Ann in B')
    await expectMessages(inB, ['Cleo: only in B', 'Ann: Ann in B'])
    await sendIn(first, 'Ann in A')
    await expectMessages(inA, ['Bob: only in A', 'Ann: Ann in A'])
    // Nothing crossed between the rooms.
    expect(await messagesIn(first)).toEqual(['Bob: only in A', 'Ann: Ann in A'])
    expect(await messagesIn(second)).toEqual(['Cleo: only in B', 'Ann: Ann in B'])
    expect(await inB.evaluate(() => document.title)).toContain(roomB)

    await second.evaluate((chat, room) => {
      ;(chat as HTMLElementTagNameMap['parley-chat']).room = room
    }, roomA)
    await expectMessagesIn(second, ['Bob: only in A', 'Ann: Ann in A'])
    await expect.poll(async () => (await shownMembers(inB)).sort(), { interval: 50 }).toEqual(['Cleo (you)'])
    await Promise.all([page.close(), inA.close(), inB.close()])
  })

  it('holds no room while removed from the page, even when its room changes meanwhile', async () => {
    const [roomA, roomB] = [uniqueRoom('detached-a'), uniqueRoom('detached-b')]
    const page = await openPage(stack.browsers[0], await stack.embeds.page('host-page.html', roomA))
    const [first, second] = [page.locator('#first'), page.locator('#second')]
    await first.getByRole('textbox', { name: 'Message' }).waitFor()
    const inB = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, roomB), 'Cleo')
    const membersOfB = () => expect.poll(async () => (await shownMembers(inB)).sort(), { timeout: 15_000, interval: 50 })

    const detached = await second.evaluateHandle((chat, room) => {
      chat.remove()
      ;(chat as HTMLElementTagNameMap['parley-chat']).room = room
      return chat
    }, roomB)
    // The first chat visits B and leaves again: if the removed one held B too, Ann would stay.
    await first.evaluate((chat, room) => chat.setAttribute('room', room), roomB)
    await membersOfB().toEqual(['Ann', 'Cleo (you)'])
    await first.evaluate((chat, room) => chat.setAttribute('room', room), roomA)
    await membersOfB().toEqual(['Cleo (you)'])
    // Back on the page, it opens the room it was given.
    await detached.evaluate((chat) => {
      document.querySelector('.chats')?.append(chat as Node)
    })
    await membersOfB().toEqual(['Ann', 'Cleo (you)'])
    await Promise.all([page.close(), inB.close()])
  })

  it("keeps the page's text styles out, and adds no styles to the page", async () => {
    const page = await openPage(stack.browsers[0], await stack.embeds.page('host-page.html', uniqueRoom('styles')))
    const first = page.locator('#first')
    await first.getByRole('textbox', { name: 'Message' }).waitFor()
    for (const selector of ['.chat', 'parley-message-list', 'textarea', 'button']) {
      expect(await styleIn(first, selector, 'font-family'), selector).not.toContain('Georgia')
      expect(await styleIn(first, selector, 'font-style'), selector).toBe('normal')
      expect(await styleIn(first, selector, 'text-transform'), selector).toBe('none')
      expect(await styleIn(first, selector, 'letter-spacing'), selector).toBe('normal')
    }
    expect(await styleIn(first, '.chat', 'color')).toBe('rgb(31, 35, 40)')
    expect(await styleIn(first, '.chat', 'text-align')).toBe('start')
    // The page keeps its own look: one style element (its own), no adopted sheets.
    const own = page.locator('#host-text')
    expect(await own.evaluate((element) => getComputedStyle(element).fontFamily)).toContain('Georgia')
    expect(await own.evaluate((element) => getComputedStyle(element).color)).toBe('rgb(90, 0, 90)')
    expect(await page.evaluate(() => document.querySelectorAll('style, link[rel="stylesheet"]').length)).toBe(1)
    expect(await page.evaluate(() => document.adoptedStyleSheets.length)).toBe(0)
    await page.close()
  })

  it('follows the system colour scheme unless theme= says otherwise, and takes --parley-* from the page', async () => {
    const page = await openPage(stack.browsers[0], await stack.embeds.page('host-page.html', uniqueRoom('theme')))
    const [first, second] = [page.locator('#first'), page.locator('#second')]
    await first.getByRole('textbox', { name: 'Message' }).waitFor()
    const background = (chat: Locator) => styleIn(chat, '.chat', 'background-color')
    const [light, dark] = ['rgb(255, 255, 255)', 'rgb(21, 23, 28)']

    await page.emulateMedia({ colorScheme: 'light' })
    expect([await background(first), await background(second)]).toEqual([light, dark])
    await page.emulateMedia({ colorScheme: 'dark' })
    expect([await background(first), await background(second)]).toEqual([dark, dark])
    await second.evaluate((chat) => chat.setAttribute('theme', 'light'))
    await expect.poll(() => background(second)).toBe(light)

    // A page value wins in every theme, and reaches the inner elements.
    await page.evaluate(() => document.body.style.setProperty('--parley-accent', 'rgb(120, 40, 160)'))
    for (const chat of [first, second]) {
      expect(await styleIn(chat, 'button[part="send"]', 'background-color')).toBe('rgb(120, 40, 160)')
    }
    await page.close()
  })
})

describe('the library', () => {
  // The 80 KB gzip budget is a size target, so `npm run bench` reports it (bench/bundle-size.ts);
  // what a test can pin down is that the shipped build is the production one, and that what
  // loads first is one file, the rest coming on demand.
  it("ships production builds: one file loads first, the rest on demand, without Lit's development build", async () => {
    const assets = join(inject('siteDir'), 'assets')
    for (const split of [
      await measureLoadSplit(inject('libDir'), LIBRARY_ENTRY),
      await measureLoadSplit(assets, await siteEntry(inject('siteDir'))),
    ]) {
      expect(split.firstLoad.files).toBe(1)
      const onDemand = Object.keys(split.onDemandFiles)
      for (const part of ['transport', 'message-actions', 'mention-completion'])
        expect(onDemand.some((name) => name.includes(part))).toBe(true)
    }
    // Production builds: Lit's development build (bigger, with console warnings) stays out.
    const jsIn = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.js')).map((name) => join(dir, name))
    for (const file of [...(await jsIn(assets)), ...(await jsIn(inject('libDir')))]) {
      expect(await readFile(file, 'utf8')).not.toContain('Lit is in dev mode')
    }
  })

  it('describes <parley-chat> in its custom elements manifest and type declarations', async () => {
    const out = await mkdtemp(join(tmpdir(), 'parley-lib-meta-'))
    try {
      // The analyzer takes --outdir relative to the working folder.
      await run('npx', [
        'cem',
        'analyze',
        '--config',
        'custom-elements-manifest.config.mjs',
        '--outdir',
        relative(process.cwd(), out),
        '--quiet',
      ])
      await run('npx', ['tsc', '-p', 'tsconfig.lib.json', '--outDir', join(out, 'types')])
      const manifest = JSON.parse(await readFile(join(out, 'custom-elements.json'), 'utf8')) as Manifest
      const chat = manifest.modules.flatMap((module) => module.declarations ?? []).find((each) => each.tagName === 'parley-chat')
      expect(chat?.attributes?.map((each) => each.name)).toEqual(
        expect.arrayContaining(['heading-level', 'invite-link', 'label', 'max-conns', 'name', 'notify', 'room', 'signaling', 'theme']),
      )
      expect(chat?.cssParts?.map((each) => each.name).sort()).toEqual([
        'composer',
        'header',
        'invite',
        'log',
        'member-list',
        'members',
        'message',
        'name-form',
        'send',
        'textarea',
      ])
      expect(chat?.events?.map((each) => each.name)).toEqual(expect.arrayContaining(['parley-draft', 'parley-name', 'parley-send']))
      expect(chat?.cssProperties?.map((each) => each.name)).toContain('--parley-accent')
      const entry = await readFile(join(out, 'types', 'lib.d.ts'), 'utf8')
      expect(entry).toMatch(/export \{ ParleyChat\b.*\} from '\.\/components\/index\.js'/)
      expect(await readFile(join(out, 'types', 'components', 'index.d.ts'), 'utf8')).toMatch(/export \{ ParleyChat\b/)
      const element = await readFile(join(out, 'types', 'components', 'parley-chat.d.ts'), 'utf8')
      expect(element).toMatch(/room: string/)
      expect(element).toMatch(/'parley-chat': ParleyChat/)
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })
})

/** The part of a custom elements manifest these tests read. */
interface Manifest {
  modules: Array<{
    declarations?: Array<{
      tagName?: string
      attributes?: Array<{ name: string }>
      cssParts?: Array<{ name: string }>
      cssProperties?: Array<{ name: string }>
      events?: Array<{ name: string }>
    }>
  }>
}
