// The chat opened as teams open it on a LAN: plain http by the machine's name or address, not
// localhost. Browsers give such a page no WebCrypto (it is not a secure context). The chat must
// still work, say in its header what is missing and why, and refuse private rooms clearly.
// The name resolves to 127.0.0.1 inside Chromium, so nothing leaves the machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { newPrivateRoom, roomFragment } from '../../src/address/index.js'
import {
  composer,
  expectMessages,
  joinRoom,
  launchChromium,
  messageLog,
  resolveToLoopback,
  roomUrl,
  sendMessage,
  shownMembers,
  uniqueRoom,
  useChatStack,
} from './harness.js'

/** The name the "LAN" browser opens the site by. */
const LAN_HOST = 'parley-lan.test'
/** What the header says on such a page (its start). */
const INSECURE_NOTE = 'Not a secure connection'

const stack = useChatStack(1)
let lanBrowser: Browser

beforeAll(async () => {
  lanBrowser = await launchChromium(resolveToLoopback(LAN_HOST))
})

afterAll(async () => {
  await lanBrowser?.close()
})

/** A URL on the stack's servers, reached by LAN_HOST instead of 127.0.0.1. */
const byLanName = (url: string): string => url.replace('127.0.0.1', LAN_HOST)

/** A new window of the LAN browser that records uncaught errors. */
async function lanPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await (await lanBrowser.newContext()).newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  return { page, errors }
}

describe('plain http by a LAN name', () => {
  it('chats with a secure page, unsigned, and says so in the header', async () => {
    const room = uniqueRoom('lan')
    const lanUrl = roomUrl(byLanName(stack.site.url), byLanName(stack.signaling.url), room)
    const { page: alice, errors } = await lanPage()
    await alice.goto(lanUrl)
    expect(await alice.evaluate(() => window.isSecureContext)).toBe(false)
    await alice.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await alice.getByRole('button', { name: 'Join' }).click()
    await composer(alice).waitFor({ state: 'visible' })
    await expect.poll(() => alice.getByRole('note').textContent()).toContain(INSECURE_NOTE)
    // Nothing here can make a private room: the app offers none.
    expect(await alice.getByRole('button', { name: 'New private room' }).count()).toBe(0)
    // No WebCrypto, so no hashing or signing: files cannot be shared here, and the button says why.
    expect(await alice.getByRole('button', { name: 'Attach a file' }).isDisabled()).toBe(true)
    expect(await alice.locator('parley-composer #file-note').textContent()).toBe('Sharing files needs a secure (https) page.')

    const bob = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    expect(await bob.getByRole('note').count()).toBe(0)
    await sendMessage(alice, 'Hello over plain http')
    // Unsigned: the secure page never shows it as a verified Alice.
    await expectMessages(bob, ['⚠ Alice (unverified): Hello over plain http'])
    await sendMessage(bob, 'Hello from localhost')
    // The LAN page cannot check Bob's signature, so it does not vouch for him either.
    await expectMessages(alice, ['⚠ Alice (unverified): Hello over plain http', '⚠ Bob (unverified): Hello from localhost'])
    // Its presence is unsigned too: listed, marked, on both sides.
    await expect.poll(async () => (await shownMembers(bob)).sort()).toEqual(['Bob (you)', '⚠ Alice (unverified)'])
    await expect.poll(async () => (await shownMembers(alice)).sort()).toEqual(['⚠ Alice (unverified) (you)', '⚠ Bob (unverified)'])
    // Whatever it wrote to a message (a reaction, a reply's link, an edit) would go unsigned, be
    // refused everywhere and mark the message "⚠ 1 unverified change" for everyone: it offers none.
    expect(await alice.getByRole('note').textContent()).toContain('reactions, replies, edits, files and private rooms are unavailable')
    expect(await messageLog(alice).getByRole('button', { name: 'More actions' }).count()).toBe(0)
    expect(await messageLog(bob).getByRole('button', { name: 'More actions' }).count()).toBe(2)
    expect(errors).toEqual([])
    await Promise.all([alice.close(), bob.close()])
  })

  it('"Copy invite link" shows the link selected in a field, and says the clipboard needs https', async () => {
    const lanUrl = roomUrl(byLanName(stack.site.url), byLanName(stack.signaling.url), uniqueRoom('lan-invite'))
    const { page, errors } = await lanPage()
    await page.goto(lanUrl)
    await page.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await page.getByRole('button', { name: 'Join' }).click()
    await composer(page).waitFor({ state: 'visible' })
    await page.getByRole('button', { name: 'Copy invite link' }).click()
    const field = page.getByRole('textbox', { name: 'Invite link' })
    await field.waitFor()
    expect(await field.inputValue()).toBe(page.url())
    // Focused and all selected: Ctrl+C is all that is left to do.
    const selection = await field.evaluate((input: HTMLInputElement) => ({
      focused: (input.getRootNode() as ShadowRoot).activeElement === input,
      start: input.selectionStart,
      end: input.selectionEnd,
      length: input.value.length,
    }))
    expect(selection).toEqual({ focused: true, start: 0, end: selection.length, length: selection.length })
    expect(await page.getByText('the clipboard needs a secure connection').isVisible()).toBe(true)
    expect(await page.getByText('Link copied.').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  })

  it('explains that a private room needs a secure connection, without crashing', async () => {
    const address = roomFragment(newPrivateRoom())
    const { page, errors } = await lanPage()
    await page.goto(`${byLanName(stack.site.url)}?signaling=${encodeURIComponent(byLanName(stack.signaling.url))}&ice=${address}`)
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Private rooms need a secure connection')
    expect(await composer(page).count()).toBe(0)
    expect(await page.getByRole('textbox', { name: 'Your name' }).count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  })
})
