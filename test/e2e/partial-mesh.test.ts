// A room of five browsers whose link caps (`max-conns`) leave it a partial mesh, as every room
// past y-webrtc's cap is: each page, in a window of its own, gets every message, edit and
// deletion, lists every member and sees who types across a missing link, and a killed browser
// and a closed tab leave every list, also where nobody had a link to them.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  composer,
  launchKillableChromium,
  messageLog,
  roomUrl,
  sendMessage,
  shownMembers,
  shownMessages,
  shownNotices,
  shownTyping,
  uniqueRoom,
  useChatStack,
  type KillableChromium,
} from './harness.js'

/** What the element tells of its room's links (a method of <parley-chat>). */
interface ParleyChatStats {
  stats(): { liveLinks: number } | null
}

const NAMES = ['Ann', 'Ben', 'Cat', 'Dan', 'Eve']
/**
 * Each page's link cap, in join order, low first so that the first peers fill up and do not close
 * a clique (as test/support/partial-mesh.ts models it: joined one by one, every linked peer with
 * room left links the newcomer). The mesh: Ann-Ben-Cat, then Cat-Dan, Cat-Eve and Dan-Eve; 5 links
 * of the 10 of a full mesh. Ann is three hops from Dan and Eve, whom Ann and Ben have no link to;
 * Cat, Dan and Eve close a triangle, so Eve hears Ann's changes by two ways.
 */
const CAPS = [1, 2, 3, 2, 2]
/** Live links of each page once the first n + 1 pages joined (the row of joiner n). */
const LINKS_AFTER_JOIN = [[0], [1, 1], [1, 2, 1], [1, 2, 2, 1], [1, 2, 3, 2, 2]]
/** Links a full mesh of the five would have per page. */
const FULL_MESH_LINKS = NAMES.length - 1
/**
 * The longest a departure may take here: under awareness's 30 s timeout, the only road out of a
 * list without liveness's rumors (for a crash) or the relayed signed goodbye (for a closed tab).
 * A generous bound for a loaded machine, not a target; the figures are in BENCHMARKS.md.
 */
const DEPARTURE_BOUND_MS = 25_000
/** Awareness drops a state not renewed for this long (y-protocols' outdated timeout). */
const AWARENESS_TIMEOUT_MS = 30_000

const stack = useChatStack(2)

/** Waits for exactly these members. Order is each peer's own first-join order, so not compared. */
const expectMembers = (page: Page, expected: string[], timeout = 20_000) =>
  expect.poll(async () => (await shownMembers(page)).sort(), { timeout, interval: 100 }).toEqual([...expected].sort())

/** The members list `NAMES[self]` should show when `present` are in the room. */
const membersSeenBy = (self: number, present: string[]) => present.map((name) => (name === NAMES[self] ? `${name} (you)` : name))

/** The live WebRTC links of `page`'s room. */
const liveLinks = (page: Page) =>
  page.evaluate(() => (document.querySelector('parley-chat') as unknown as ParleyChatStats).stats()?.liveLinks ?? -1)

/** The article of the message whose text includes `text`. */
const article = (page: Page, text: string) => messageLog(page).locator('article').filter({ hasText: text })

/** Opens a message's actions (Enter on the message) and activates the action `name` by keyboard. */
async function act(page: Page, text: string, name: string): Promise<void> {
  const message = article(page, text)
  await message.focus()
  await page.keyboard.press('Enter')
  const actions = message.getByRole('group', { name: 'Message actions' })
  await expect
    .poll(() =>
      actions
        .getByRole('button')
        .first()
        .evaluate((first) => first.matches(':focus')),
    )
    .toBe(true)
  await actions.getByRole('button', { name, exact: true }).focus()
  await page.keyboard.press('Enter')
}

/**
 * Joins `NAMES[n]` in a window of its own. Ann's cap is the element's `max-conns` attribute, the
 * others' the site's `?max-conns=`; both reach y-webrtc's `maxConns`.
 */
async function join(browser: KillableChromium['browser'], room: string, n: number): Promise<Page> {
  const page = await (await browser.newContext()).newPage()
  const url = roomUrl(stack.site.url, stack.signaling.url, room)
  if (n === 0) {
    await page.goto(url)
    await page.evaluate((cap) => document.querySelector('parley-chat')?.setAttribute('max-conns', String(cap)), CAPS[n])
  } else await page.goto(url.replace('?', `?max-conns=${CAPS[n]}&`))
  await page.getByRole('textbox', { name: 'Your name' }).fill(NAMES[n])
  await page.getByRole('button', { name: 'Join' }).click()
  await composer(page).waitFor({ state: 'visible' })
  return page
}

describe('a partial mesh (max-conns) in real browsers', () => {
  it('carries messages, edits, deletions, members, typing and departures across missing links', async () => {
    const room = uniqueRoom('partial-mesh')
    const victim = await launchKillableChromium()
    const windows = [stack.browsers[0], stack.browsers[1], stack.browsers[0], stack.browsers[1], victim.browser]
    const pages: Page[] = []
    try {
      // One by one, each once the links it should have are up: the mesh is the one planned.
      for (const n of NAMES.keys()) {
        pages.push(await join(windows[n], room, n))
        await expect.poll(() => Promise.all(pages.map(liveLinks)), { timeout: 30_000, interval: 100 }).toEqual(LINKS_AFTER_JOIN[n])
      }
      const [ann, ben, cat, dan, eve] = pages
      // Partial indeed: Ann misses three of the four others, Ben and Eve two.
      expect(await liveLinks(ann)).toBeLessThan(FULL_MESH_LINKS)
      expect(await liveLinks(eve)).toBeLessThan(FULL_MESH_LINKS)
      await Promise.all(pages.map((page, n) => expectMembers(page, membersSeenBy(n, NAMES))))

      // Typing, across missing links: Cat, Dan and Eve hear Ann only through Ben (and Cat).
      await composer(ann).pressSequentially('hello from')
      for (const page of [ben, cat, dan, eve])
        await expect.poll(() => shownTyping(page), { timeout: 15_000, interval: 50 }).toBe('Ann is typing…')
      await composer(ann).press('Tab')
      for (const page of [ben, cat, dan, eve]) await expect.poll(() => shownTyping(page), { timeout: 15_000, interval: 50 }).toBe('')

      // Everyone writes; every page shows every message, also those of authors it has no link to.
      for (const [n, page] of pages.entries()) await sendMessage(page, `hello from ${NAMES[n]}`)
      const everyMessage = NAMES.map((name) => `${name}: hello from ${name}`).sort()
      const sortedMessages = async (page: Page) => (await shownMessages(page)).sort()
      for (const page of pages) await expect.poll(() => sortedMessages(page), { timeout: 20_000, interval: 100 }).toEqual(everyMessage)

      // Ann edits hers, Eve deletes hers: each sees the other's change, three hops away.
      await act(ann, 'hello from Ann', 'Edit')
      const editor = ann.getByRole('textbox', { name: 'Edit message' })
      await editor.fill('hello again from Ann')
      await editor.press('Enter')
      await act(eve, 'hello from Eve', 'Delete')
      const question = article(eve, 'hello from Eve').getByRole('group', { name: 'Delete this message for everyone?' })
      await question.getByRole('button', { name: 'Delete', exact: true }).click()
      const annotated = [
        'Ann: hello again from Ann',
        'Ben: hello from Ben',
        'Cat: hello from Cat',
        'Dan: hello from Dan',
        'Eve: message deleted',
      ]
      for (const page of pages) await expect.poll(() => sortedMessages(page), { timeout: 20_000, interval: 100 }).toEqual(annotated)
      // Ann's state changed last with her message (typing, then not); from here only renewals keep her listed.
      const annLastChanged = Date.now()

      // Eve's browser dies: Ann and Ben, with no link to her, drop her too (liveness's rumors).
      victim.kill()
      const afterEve = NAMES.slice(0, 4)
      await Promise.all([ann, ben, cat, dan].map((page, n) => expectMembers(page, membersSeenBy(n, afterEve), DEPARTURE_BOUND_MS)))

      // Past awareness's timeout since Ann's last change, Dan (no link to Ann) still lists her:
      // her renewals reach him through the relay.
      const sinceChange = Date.now() - annLastChanged
      if (sinceChange < AWARENESS_TIMEOUT_MS + 3_000) await dan.waitForTimeout(AWARENESS_TIMEOUT_MS + 3_000 - sinceChange)
      for (const [n, page] of [ben, cat, dan].entries()) await expectMembers(page, membersSeenBy(n + 1, afterEve), 0)

      // Ann closes her tab: her signed goodbye, relayed, takes her out of Cat's and Dan's lists too.
      await ann.close({ runBeforeUnload: true })
      const afterAnn = NAMES.slice(1, 4)
      await Promise.all([ben, cat, dan].map((page, n) => expectMembers(page, membersSeenBy(n + 1, afterAnn), DEPARTURE_BOUND_MS)))
      // Each left once, and nobody else seemed to.
      for (const page of [ben, cat, dan])
        expect((await shownNotices(page)).filter((line) => line.endsWith(' left'))).toEqual(['Eve left', 'Ann left'])
    } finally {
      await Promise.allSettled(pages.map((page) => page.context().close()))
      await victim.browser.close().catch(() => undefined) // killed: nothing to close
    }
  }, 120_000)
})
