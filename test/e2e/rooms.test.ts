// Rooms as a user meets them on the site: "Copy invite link" in a private room, and the link
// opened in another browser; a private link cut short, which opens nothing and offers the
// lobby; the recent-rooms menu, to switch rooms, remove one, and keep keys out of sight.
import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { composer, expectMessages, joinRoom, roomUrl, sendMessage, shownMembers, uniqueRoom, useChatStack } from './harness.js'

const PHONE = { width: 360, height: 740 }
const BROKEN_HEADING = 'This room link is broken'

const stack = useChatStack(2)

/** The site's URL with these servers and `fragment` (with '#'). */
const siteUrl = (fragment: string): string => `${roomUrl(stack.site.url, stack.signaling.url, '')}${fragment.replace(/^#/, '')}`

/** A window in its own context that may use the clipboard, as a user's focused tab may. */
async function clipboardPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext()
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(stack.site.url).origin })
  return context.newPage()
}

/** Types a name into the name form and joins. */
async function pickName(page: Page, name: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Your name' }).fill(name)
  await page.getByRole('button', { name: 'Join' }).click()
  await composer(page).waitFor({ state: 'visible' })
}

/** The recent rooms in the menu, as their link texts, opening the menu if need be. */
async function recentRooms(page: Page): Promise<string[]> {
  const menu = page.locator('#rooms-menu')
  if (!(await menu.evaluate((details: HTMLDetailsElement) => details.open))) await page.getByText('Rooms', { exact: true }).click()
  return page
    .getByRole('list', { name: /^Recent rooms/ })
    .getByRole('link')
    .allTextContents()
}

describe('invite links', () => {
  it('copies a private room’s link, and a second browser that opens it meets the first there', async () => {
    const alice = await clipboardPage(stack.browsers[0])
    await alice.goto(siteUrl('#lobby'))
    await pickName(alice, 'Alice')
    await alice.getByRole('button', { name: 'New private room' }).click()
    await alice.getByRole('heading', { name: 'Private room' }).waitFor()
    const copy = alice.getByRole('button', { name: 'Copy invite link' })
    // The warning sits next to the button and is its description.
    await expect.poll(() => alice.getByText('Anyone with this link can read the room.').isVisible()).toBe(true)
    expect(await copy.getAttribute('aria-describedby')).toBe('invite-note')
    await copy.click()
    await alice.getByText('Link copied.').waitFor()
    const copied = await alice.evaluate(() => navigator.clipboard.readText())
    expect(copied).toBe(alice.url())
    const key = new URLSearchParams(new URL(copied).hash.slice(1)).get('key') ?? ''
    expect(key).toHaveLength(22)
    // The key is in the link, and nowhere else the page shows or names.
    expect(await alice.title()).not.toContain(key)
    expect(await alice.getByText(key).count()).toBe(0)

    const bob = await joinRoom(stack.browsers[1], copied, 'Bob')
    await bob.getByRole('heading', { name: 'Private room' }).waitFor()
    await expect.poll(async () => (await shownMembers(alice)).sort()).toEqual(['Alice (you)', 'Bob'])
    // Bob's message reaches Alice before she answers: messages written before the two linked are
    // concurrent, and the log shows them in the document's order (by Yjs client id), not the test's.
    await sendMessage(bob, 'Got your link')
    await expectMessages(alice, ['Bob: Got your link'])
    await sendMessage(alice, 'Welcome in')
    const both = ['Bob: Got your link', 'Alice: Welcome in']
    await Promise.all([expectMessages(alice, both), expectMessages(bob, both)])
    await Promise.all([alice.close(), bob.close()])
  })

  it('copies a public room’s link too, without the private note', async () => {
    const room = uniqueRoom('public-invite')
    const page = await clipboardPage(stack.browsers[0])
    await page.goto(roomUrl(stack.site.url, stack.signaling.url, room))
    await pickName(page, 'Ann')
    await page.getByRole('button', { name: 'Copy invite link' }).click()
    await page.getByText('Link copied.').waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url())
    expect(await page.getByText('Anyone with this link can read the room.').count()).toBe(0)
    await page.close()
  })
})

describe('a broken private link', () => {
  it('opens no room, says what is wrong, and offers the lobby', async () => {
    const page = await (await stack.browsers[0].newContext()).newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    // A private link cut off right after "key=", as chat apps cut long lines.
    await page.goto(siteUrl('#room=Xy3_-9aBcDeF&key='))
    await page.getByRole('heading', { name: BROKEN_HEADING }).waitFor()
    expect(await page.getByRole('alert').textContent()).toContain('has no key')
    // No chat at all: no room named "room=…&key=" and no other room either.
    expect(await page.locator('parley-chat').count()).toBe(0)
    expect(await page.title()).toBe('Broken room link · Parley')

    // Other shapes, followed as the address bar changes.
    for (const [fragment, says] of [
      ['#room=Xy3_-9aBcDeF&key=AbCdEfGhIjK', 'too short'],
      ['#room=Xy3_-9aBcDeF&key=AbCdEfGhIjKlMnOpQr-_09).', 'characters after its key'],
      ['#room=Xy3_-9aBcDeF&key=AbCdEfGhIjKlMnOp%20r-_09', 'characters no Parley key has'],
    ]) {
      await page.evaluate((hash) => {
        location.hash = hash
      }, fragment)
      await expect.poll(() => page.getByRole('alert').textContent()).toContain(says)
      expect(await page.locator('parley-chat').count()).toBe(0)
    }

    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme })
      await page.screenshot({ path: new URL(`../../test-artifacts/rooms-broken-link-${colorScheme}.png`, import.meta.url).pathname })
    }
    await page.getByRole('link', { name: 'go to the lobby' }).click()
    await page.getByRole('heading', { name: '#lobby' }).waitFor()
    expect(await page.getByRole('heading', { name: BROKEN_HEADING }).count()).toBe(0)
    await pickName(page, 'Ann')
    expect(errors).toEqual([])
    await page.close()
  })

  it('takes a chat that was in a room out of it', async () => {
    const room = uniqueRoom('left-for-broken')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const [alice, bob] = await Promise.all([joinRoom(stack.browsers[0], url, 'Alice'), joinRoom(stack.browsers[1], url, 'Bob')])
    await expect.poll(async () => (await shownMembers(bob)).sort(), { timeout: 15_000 }).toEqual(['Alice', 'Bob (you)'])
    await alice.evaluate(() => {
      location.hash = '#room=Xy3_-9aBcDeF&key=AbCdE'
    })
    await alice.getByRole('heading', { name: BROKEN_HEADING }).waitFor()
    await expect.poll(() => shownMembers(bob), { timeout: 15_000 }).toEqual(['Bob (you)'])
    await Promise.all([alice.close(), bob.close()])
  })
})

describe('recent rooms', () => {
  it('lists the rooms this browser opened, newest first, switches between them, and forgets one', async () => {
    const [first, second] = [uniqueRoom('recent-a'), uniqueRoom('recent-b')]
    const page = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, first), 'Ann')
    await page.evaluate((hash) => {
      location.hash = hash
    }, `#${second}`)
    await page.getByRole('heading', { name: `#${second}` }).waitFor()
    await page.getByRole('button', { name: 'New private room' }).click()
    await page.getByRole('heading', { name: 'Private room' }).waitFor()
    const key = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('key') ?? ''

    const listed = await recentRooms(page)
    expect(listed).toHaveLength(3)
    expect(listed[0]).toMatch(/^Private room, opened /)
    expect(listed.slice(1)).toEqual([`#${second}`, `#${first}`])
    // The private room's key is only in its link's address: not in any text or name.
    const menu = page.locator('#rooms-menu')
    expect(await menu.textContent()).not.toContain(key)
    expect(await menu.evaluate((element) => [...element.querySelectorAll('[aria-label], [title]')].length)).toBe(0)
    expect(await page.getByRole('link', { name: /^Private room/ }).getAttribute('aria-current')).toBe('page')

    // Picking the room already open just closes the menu.
    await page.getByRole('link', { name: /^Private room/ }).click()
    await expect.poll(() => page.getByRole('list', { name: /^Recent rooms/ }).isVisible()).toBe(false)
    await recentRooms(page)
    // Switching: the chat follows, the menu closes, the keyboard is back on the menu's button.
    await page.getByRole('link', { name: `#${first}` }).click()
    await page.getByRole('heading', { name: `#${first}` }).waitFor()
    expect(await page.getByRole('list', { name: /^Recent rooms/ }).isVisible()).toBe(false)
    expect(await page.evaluate(() => document.activeElement?.localName)).toBe('summary')
    expect(await recentRooms(page)).toEqual([`#${first}`, listed[0], `#${second}`])

    // Forgetting one, with the keyboard left on the next row; it stays forgotten after a reload.
    await page.getByRole('button', { name: `Remove #${second} from recent rooms` }).click()
    expect(await recentRooms(page)).toEqual([`#${first}`, listed[0]])
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(`✕Remove ${listed[0]} from recent rooms`)
    await page.reload()
    await page.getByRole('heading', { name: `#${first}` }).waitFor()
    expect(await recentRooms(page)).toEqual([`#${first}`, listed[0]])

    // Tab past its last control closes it: left open, it covered the header the keyboard goes to next.
    await recentRooms(page)
    await page.getByRole('button', { name: `Remove ${listed[0]} from recent rooms` }).focus()
    await page.keyboard.press('Tab')
    expect(await page.getByRole('list', { name: /^Recent rooms/ }).isVisible()).toBe(false)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('new-private-room')

    // And back to the lobby, from the menu.
    await recentRooms(page)
    await page.getByRole('link', { name: 'Lobby' }).click()
    await page.getByRole('heading', { name: '#lobby' }).waitFor()
    await page.close()
  })

  it('works where the page may not store anything, keeping the list for as long as the page', async () => {
    const page = await (await stack.browsers[0].newContext()).newPage()
    // As in a private window with a full quota: every write to localStorage throws.
    await page.addInitScript(() => {
      Storage.prototype.setItem = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
      }
    })
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    const room = uniqueRoom('no-storage')
    await page.goto(roomUrl(stack.site.url, stack.signaling.url, room))
    await pickName(page, 'Ann')
    await page.evaluate(() => {
      location.hash = '#elsewhere-no-storage'
    })
    await page.getByRole('heading', { name: '#elsewhere-no-storage' }).waitFor()
    expect(await recentRooms(page)).toEqual(['#elsewhere-no-storage', `#${room}`])
    expect(errors).toEqual([])
    await page.close()
  })

  it('fits a 360 px phone: menu, invite controls and the private note, with nothing scrolling sideways', async () => {
    const page = await (await stack.browsers[0].newContext({ viewport: PHONE })).newPage()
    await page.goto(siteUrl('#lobby'))
    await pickName(page, 'Ann')
    await page.getByRole('button', { name: 'New private room' }).click()
    await page.getByRole('heading', { name: 'Private room' }).waitFor()
    await recentRooms(page)
    await page.screenshot({ path: new URL('../../test-artifacts/rooms-phone-menu.png', import.meta.url).pathname })
    const width = () => page.evaluate(() => document.documentElement.scrollWidth)
    // The bar's controls sit on one line each.
    for (const name of ['New private room']) expect((await page.getByRole('button', { name }).boundingBox())?.height).toBeLessThan(40)
    expect(await width()).toBeLessThanOrEqual(PHONE.width)
    const panel = await page.locator('.rooms-panel').boundingBox()
    if (panel === null) throw new Error('the menu is not shown')
    expect(panel.x).toBeGreaterThanOrEqual(0)
    expect(panel.x + panel.width).toBeLessThanOrEqual(PHONE.width)
    await page.keyboard.press('Escape')
    expect(await page.locator('.rooms-panel').isVisible()).toBe(false)
    // The header with its invite controls leaves the log most of the screen.
    const header = await page.locator('parley-chat [part="header"]').boundingBox()
    const log = await page.locator('parley-chat parley-message-list').boundingBox()
    const field = await composer(page).boundingBox()
    if (header === null || log === null || field === null) throw new Error('a part is not rendered')
    expect(header.x + header.width).toBeLessThanOrEqual(PHONE.width)
    expect(log.height).toBeGreaterThan(PHONE.height / 3)
    expect(field.y + field.height).toBeLessThanOrEqual(PHONE.height)
    expect(await width()).toBeLessThanOrEqual(PHONE.width)
    await page.screenshot({ path: new URL('../../test-artifacts/rooms-phone-private.png', import.meta.url).pathname })
    await page.close()
  })
})
