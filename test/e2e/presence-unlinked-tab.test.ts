// A tab that others know only through a sibling tab's relay, closed before any link to it
// opens, in real Chromium: its signed goodbye (carried by the sibling when the whole window
// closes) must take it out of their lists at once.
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { composer, joinRoom, roomUrl, shownMembers, shownNotices, uniqueRoom, useChatStack } from './harness.js'

/** What the element tells of its room's links (a method of <parley-chat>). */
interface ParleyChatStats {
  stats(): { liveLinks: number } | null
}

/**
 * How long a relayed departure may take here: far under awareness's 30 s timeout, which is
 * what such a tab took before signed goodbyes (the bound absorbs a loaded machine, not a design).
 */
const GOODBYE_BOUND_MS = 8_000

/** A signaling server nobody listens on: a tab pointed at it links to nobody over WebRTC. */
const DEAD_SIGNALING_URL = 'ws://127.0.0.1:9'

const stack = useChatStack(2)
const alice = () => stack.browsers[0]
const bob = () => stack.browsers[1]

/** Waits for exactly these members. Order is each peer's own first-join order, so not compared. */
const expectMembers = (page: Page, expected: string[], timeout = 15_000) =>
  expect.poll(async () => (await shownMembers(page)).sort(), { timeout, interval: 50 }).toEqual([...expected].sort())

/** The live WebRTC links of `page`'s room. */
const liveLinks = (page: Page) =>
  page.evaluate(() => (document.querySelector('parley-chat') as unknown as ParleyChatStats).stats()?.liveLinks)

/**
 * Opens a second tab of `first`'s profile in the same room, pointed at a dead signaling server:
 * it reaches the room only over the profile's BroadcastChannel, so others know it solely
 * through `first`'s relay, as they know any tab before their own link to it opens.
 */
async function unlinkedSecondTab(first: Page, room: string): Promise<Page> {
  const second = await first.context().newPage()
  await second.goto(roomUrl(stack.site.url, DEAD_SIGNALING_URL, room))
  await composer(second).waitFor()
  return second
}

describe('a tab known only through a relay', () => {
  it('leaves the lists of others soon after it closes, before any link to it opened', async () => {
    const room = uniqueRoom('unlinked-tab')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    await expectMembers(a, ['Alice (you)', 'Bob'])
    const b2 = await unlinkedSecondTab(b, room)
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs'])
    expect(await liveLinks(b2)).toBe(0)

    await b2.close({ runBeforeUnload: true })
    await expectMembers(a, ['Alice (you)', 'Bob'], GOODBYE_BOUND_MS)
    await expectMembers(b, ['Alice', 'Bob (you)'], GOODBYE_BOUND_MS)
    // Bob stayed all along: no leave line.
    expect(await shownNotices(a)).toEqual(['Bob joined'])
    await Promise.all([a.close(), b.close()])
  })

  it('leaves with its whole window, the sibling that relayed it unloading at the same moment', async () => {
    const room = uniqueRoom('unlinked-window')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const a = await joinRoom(alice(), url, 'Alice')
    const c = await joinRoom(bob(), url, 'Carol')
    await expectMembers(a, ['Alice (you)', 'Carol'])
    const c2 = await unlinkedSecondTab(c, room)
    await expectMembers(a, ['Alice (you)', 'Carol 2 tabs'])
    expect(await liveLinks(c2)).toBe(0)

    // A window closing fires pagehide in all its tabs at once (Playwright's browser.close() and
    // context.close() fire none: a crash, which only liveness and the 30 s timeout see).
    await Promise.all([c.close({ runBeforeUnload: true }), c2.close({ runBeforeUnload: true })])
    await expectMembers(a, ['Alice (you)'], GOODBYE_BOUND_MS)
    expect(await shownNotices(a)).toEqual(['Carol joined', 'Carol left'])
    await a.close()
  })
})
