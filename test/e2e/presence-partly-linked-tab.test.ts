// Tabs linked to some peers but not others, in real Chromium: when their window closes, the
// goodbye of each must reach the peers it had no link to, through its sibling; when one of them
// closes alone, the other, whose goodbye it then publishes, must not seem to leave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startSignalingServer } from '../../signaling/index.js'
import {
  composer,
  expectMessages,
  joinRoom,
  roomUrl,
  sendMessage,
  shownMembers,
  shownNotices,
  uniqueRoom,
  useChatStack,
  type Running,
} from './harness.js'

/**
 * How long a departure may take here: far under awareness's 30 s timeout, which is what a tab
 * took to leave the lists of peers it had no link to (the bound absorbs a loaded machine).
 */
const GOODBYE_BOUND_MS = 10_000

const stack = useChatStack(3)
const alice = () => stack.browsers[0]
const bob = () => stack.browsers[1]
const carol = () => stack.browsers[2]
/** A second signaling server: pages on different servers never link over WebRTC. */
let otherSignaling: Running
beforeAll(async () => {
  otherSignaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await otherSignaling?.close()
})

/** Waits for exactly these members. Order is each peer's own first-join order, so not compared. */
const expectMembers = (page: Page, expected: string[], timeout = 20_000) =>
  expect.poll(async () => (await shownMembers(page)).sort(), { timeout, interval: 50 }).toEqual([...expected].sort())

/** What the element tells of its room's links (a method of <parley-chat>). */
interface ParleyChatStats {
  stats(): { liveLinks: number } | null
}

/** The live WebRTC links of `page`'s room. */
const liveLinks = (page: Page) =>
  page.evaluate(() => (document.querySelector('parley-chat') as unknown as ParleyChatStats).stats()?.liveLinks)

describe('a window whose tabs are linked to some peers but not others', () => {
  it('leaves every remaining peer’s list soon after it closes', async () => {
    const room = uniqueRoom('partly-linked')
    // Bob's first tab and Carol share one signaling server, Bob's second tab and Alice the
    // other: each of Bob's tabs links to one of them only, and the two reach each other only
    // through Bob's tabs (y-webrtc's BroadcastChannel between them, and its relay).
    const c = await joinRoom(carol(), roomUrl(stack.site.url, stack.signaling.url, room), 'Carol')
    const b = await joinRoom(bob(), roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    await expectMembers(c, ['Bob', 'Carol (you)'])
    const b2 = await b.context().newPage()
    await b2.goto(roomUrl(stack.site.url, otherSignaling.url, room))
    await composer(b2).waitFor()
    const a = await joinRoom(alice(), roomUrl(stack.site.url, otherSignaling.url, room), 'Alice')
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs', 'Carol'])
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])
    await expect.poll(() => Promise.all([b, b2, a, c].map(liveLinks)), { timeout: 20_000 }).toEqual([1, 1, 1, 1])

    // A window closing fires pagehide in all its tabs at once.
    await Promise.all([b.close({ runBeforeUnload: true }), b2.close({ runBeforeUnload: true })])
    await expectMembers(a, ['Alice (you)', 'Carol'], GOODBYE_BOUND_MS)
    await expectMembers(c, ['Alice', 'Carol (you)'], GOODBYE_BOUND_MS)
    await Promise.all([a.close(), c.close()])
  })

  it('leaves every remaining peer’s list when its newest tab’s first state is still being signed', async () => {
    const room = uniqueRoom('partly-linked-new-tab')
    // As above, but Bob's second tab never finishes signing its first state (signing is async and
    // takes milliseconds; the stall stands for a window closed in them): it relays its sibling to
    // Alice, has no goodbye of its own, and must still publish the one it carries for the first.
    const c = await joinRoom(carol(), roomUrl(stack.site.url, stack.signaling.url, room), 'Carol')
    const b = await joinRoom(bob(), roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    await expectMembers(c, ['Bob', 'Carol (you)'])
    const b2 = await b.context().newPage()
    await b2.addInitScript(() => {
      const sign = crypto.subtle.sign.bind(crypto.subtle)
      crypto.subtle.sign = (algorithm, key, data) =>
        key.algorithm.name === 'Ed25519' ? new Promise<ArrayBuffer>(() => {}) : sign(algorithm, key, data)
    })
    await b2.goto(roomUrl(stack.site.url, otherSignaling.url, room))
    await composer(b2).waitFor()
    const a = await joinRoom(alice(), roomUrl(stack.site.url, otherSignaling.url, room), 'Alice')
    await expect.poll(() => Promise.all([b, b2, a, c].map(liveLinks)), { timeout: 20_000 }).toEqual([1, 1, 1, 1])
    // Alice hears Bob's first tab through the second, which shows nothing of its own.
    await expectMembers(a, ['Alice (you)', 'Bob', 'Carol'])
    await expectMembers(c, ['Alice', 'Bob', 'Carol (you)'])

    // The window closes with the second tab unloading first: the first tab's own goodbye then
    // finds no one to relay it to Alice, and only the copy the second tab carried can.
    await b2.close({ runBeforeUnload: true })
    await b.close({ runBeforeUnload: true })
    await expectMembers(a, ['Alice (you)', 'Carol'], GOODBYE_BOUND_MS)
    await expectMembers(c, ['Alice', 'Carol (you)'], GOODBYE_BOUND_MS)
    await Promise.all([a.close(), c.close()])
  })

  it('keeps a tab that stays, without a leave, when its sibling closes alone', async () => {
    const room = uniqueRoom('partly-linked-stays')
    const [one, other] = [stack.signaling.url, otherSignaling.url].map((signaling) => roomUrl(stack.site.url, signaling, room))
    // Alice's and Bob's first tabs and Carol on one server, their second tabs on the other: Bob's
    // second tab is linked to Alice's second only, and stays heard through her tabs.
    const c = await joinRoom(carol(), one, 'Carol')
    const a = await joinRoom(alice(), one, 'Alice')
    const b = await joinRoom(bob(), one, 'Bob')
    const secondTab = async (first: Page) => {
      const page = await first.context().newPage()
      await page.goto(other)
      await composer(page).waitFor()
      return page
    }
    const a2 = await secondTab(a)
    const b2 = await secondTab(b)
    await expectMembers(c, ['Alice 2 tabs', 'Bob 2 tabs', 'Carol (you)'])
    await expectMembers(a, ['Alice (you) 2 tabs', 'Bob 2 tabs', 'Carol'])
    await expect.poll(() => Promise.all([a2, b2].map(liveLinks)), { timeout: 20_000 }).toEqual([1, 1])

    await b.close({ runBeforeUnload: true })
    await expectMembers(c, ['Alice 2 tabs', 'Bob', 'Carol (you)'], GOODBYE_BOUND_MS)
    // Bob's second tab is still heard everywhere (a message from it arrives), and was never gone.
    await sendMessage(b2, 'still here')
    for (const page of [a, c]) await expectMessages(page, ['Bob: still here'])
    expect(await shownNotices(c)).toEqual(['Alice joined', 'Bob joined'])
    expect(await shownNotices(a)).toEqual(['Bob joined'])
    await expectMembers(a, ['Alice (you) 2 tabs', 'Bob', 'Carol'], 0)
    await Promise.all([a.close(), a2.close(), b2.close(), c.close()])
  })
})
