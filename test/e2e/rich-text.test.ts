// Links, markdown and @mentions as two people meet them, in separate Chromium processes over
// real WebRTC: Alice completes Bob's name and mentions him; Bob's hidden page counts it in its
// title and notifies him; the mention is highlighted; a link opens apart, with no opener or referrer.
//
// Playwright keeps every page it drives visible, so Bob's page gets the same stand-in as
// unread.test.ts: an init script makes `document.visibilityState` report what the test says
// and records each `new Notification(...)` before the real constructor runs.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { composer, expectMessages, joinRoom, messageLog, roomUrl, shownMembers, uniqueRoom, useChatStack } from './harness.js'
import { PAGE_STATE_SCRIPT, axeViolations, notifications, setHidden } from './page-probes.js'

const stack = useChatStack(2)

const title = (page: Page) => page.evaluate(() => document.title)

describe('links, markdown and mentions', () => {
  it('Alice completes and mentions Bob; his hidden page counts and notifies it; links open apart; axe stays clean', async () => {
    const room = uniqueRoom('mention')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const bobContext = await stack.browsers[1].newContext()
    await bobContext.addInitScript(PAGE_STATE_SCRIPT)
    const b = await bobContext.newPage()
    await b.goto(url)
    await b.getByRole('textbox', { name: 'Your name' }).fill('Bob')
    await b.getByRole('button', { name: 'Join' }).click()
    await composer(b).waitFor()
    await bobContext.grantPermissions(['notifications'], { origin: new URL(stack.site.url).origin })
    await b.getByRole('button', { name: 'Turn on notifications' }).click()
    await b.getByRole('button', { name: 'Turn on notifications' }).waitFor({ state: 'detached' })
    const a = await joinRoom(stack.browsers[0], url, 'Alice')
    await expect.poll(() => shownMembers(a), { interval: 50, timeout: 15_000 }).toContain('Bob')
    await setHidden(b, true)

    // Alice types @Bo: the members list offers Bob; Tab puts his name in.
    await composer(a).pressSequentially('Lunch **today**, @Bo')
    await a.getByRole('option', { name: 'Bob', selected: true }).waitFor()
    await composer(a).press('Tab')
    await expect.poll(() => composer(a).inputValue()).toBe('Lunch **today**, @Bob ')
    const menu = `${stack.site.url}menu-${room}.html`
    await composer(a).pressSequentially(`? Menu: ${menu} and \`npm run lunch\``)
    await composer(a).press('Enter')
    const sent = `Lunch today, @Bob ? Menu: ${menu} and npm run lunch`
    await expectMessages(b, [`Alice: ${sent}`])

    // Bob's hidden page: one unread message, and it mentions him.
    await expect.poll(() => title(b), { interval: 50 }).toBe(`(@1 · 1) #${room} · Parley`)
    expect(await notifications(b)).toEqual([
      { title: `Alice mentioned you in #${room}`, body: `Lunch **today**, @Bob ? Menu: ${menu} and \`npm run lunch\`` },
    ])
    await setHidden(b, false)
    expect(await title(b)).toBe(`#${room} · Parley`)

    // Highlighted: as his own on Bob's side, as a mention of someone on Alice's.
    const bobLog = messageLog(b)
    expect(await bobLog.locator('mark.mention.self').allTextContents()).toEqual(['@Bob'])
    await expect.poll(() => messageLog(a).locator('mark.mention').allTextContents()).toEqual(['@Bob'])
    expect(await messageLog(a).locator('mark.mention.self').count()).toBe(0)
    expect(await bobLog.locator('strong').allTextContents()).toEqual(['today'])
    expect(await bobLog.locator('article p code').allTextContents()).toEqual(['npm run lunch'])

    // The link: the right attributes, and it opens in a tab of its own with no opener and no referrer.
    const link = bobLog.getByRole('link', { name: menu })
    expect(
      await link.evaluate((element) => [element.getAttribute('href'), element.getAttribute('rel'), element.getAttribute('target')]),
    ).toEqual([menu, 'noopener noreferrer', '_blank'])
    const [opened] = await Promise.all([bobContext.waitForEvent('page'), link.click()])
    await opened.waitForLoadState('domcontentloaded')
    expect(opened.url()).toBe(menu)
    expect(await opened.evaluate(() => [window.opener === null, document.referrer])).toEqual([true, ''])
    await opened.close()

    // What must stay text does.
    const hostile = 'javascript:alert(1) data:text/html,x <b>not bold</b> @Mallory'
    await composer(a).fill(hostile)
    await composer(a).press('Enter')
    await expectMessages(b, [`Alice: ${sent}`, `Alice: ${hostile}`])
    const last = bobLog.locator('article p').last()
    expect(await last.evaluate((element) => element.childElementCount)).toBe(0)

    // axe, in both themes, with the list of names open too.
    await composer(b).pressSequentially('@Al')
    await b.getByRole('listbox', { name: 'Mention someone' }).waitFor()
    for (const scheme of ['light', 'dark'] as const) {
      await b.emulateMedia({ colorScheme: scheme })
      expect(await axeViolations(b), scheme).toEqual([])
    }
    await Promise.all([a.close(), b.close()])
  })
})
