// Tabs linked to some peers but not others, in real Chromium: when their window closes, the
// goodbye of each must reach the peers it had no link to, through its sibling (also when one
// crashes); when one of them closes alone, the other, whose goodbye it then publishes, must not
// seem to leave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { startSignalingServer } from '../../signaling/index.js'
import { topicFor } from '../../src/address/index.js'
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
import { keepPeerConnections, type KeptConnections } from '../support/kept-connections.js'

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
  stats(): { liveLinks: number; rumorWaits: { started: number; dropped: number; waiting: number } } | null
}

/** The live WebRTC links of `page`'s room. */
const liveLinks = (page: Page) =>
  page.evaluate(() => (document.querySelector('parley-chat') as unknown as ParleyChatStats).stats()?.liveLinks)

/** The page's waits on tabs rumored lost that no link of its own speaks for (liveness-tracker.ts). */
const rumorWaits = (page: Page) =>
  page.evaluate(() => (document.querySelector('parley-chat') as unknown as ParleyChatStats).stats()?.rumorWaits)

/**
 * Opens `room` as the tests below stage it: Bob's first tab and Carol share one signaling server,
 * Bob's second tab and Alice the other, so each of Bob's tabs links to one of them only, and the
 * two reach each other only through Bob's tabs (y-webrtc's BroadcastChannel between them, and its
 * relay). `beforeSecondTab` runs on the second tab's page before it loads. Resolves once every
 * page has its one link.
 */
async function partlyLinked(room: string, beforeSecondTab?: (page: Page) => Promise<unknown>, bobInit?: () => void) {
  const c = await joinRoom(carol(), roomUrl(stack.site.url, stack.signaling.url, room), 'Carol')
  const b = await joinRoom(bob(), roomUrl(stack.site.url, stack.signaling.url, room), 'Bob', bobInit)
  await expectMembers(c, ['Bob', 'Carol (you)'])
  const b2 = await b.context().newPage()
  await beforeSecondTab?.(b2)
  await b2.goto(roomUrl(stack.site.url, otherSignaling.url, room))
  await composer(b2).waitFor()
  const a = await joinRoom(alice(), roomUrl(stack.site.url, otherSignaling.url, room), 'Alice')
  await expect.poll(() => Promise.all([b, b2, a, c].map(liveLinks)), { timeout: 20_000 }).toEqual([1, 1, 1, 1])
  return { a, b, b2, c }
}

describe('a window whose tabs are linked to some peers but not others', () => {
  it('leaves every remaining peer’s list soon after it closes', async () => {
    const { a, b, b2, c } = await partlyLinked(uniqueRoom('partly-linked'))
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs', 'Carol'])
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])

    // A window closing fires pagehide in all its tabs at once.
    await Promise.all([b.close({ runBeforeUnload: true }), b2.close({ runBeforeUnload: true })])
    await expectMembers(a, ['Alice (you)', 'Carol'], GOODBYE_BOUND_MS)
    await expectMembers(c, ['Alice', 'Carol (you)'], GOODBYE_BOUND_MS)
    await Promise.all([a.close(), c.close()])
  })

  it('leaves every remaining peer’s list when the closing tab’s last frames never leave', async () => {
    // A closing page's last sends can die with it: CI traced Carol hearing nothing at all from
    // Bob's first tab after its pagehide (no goodbye, none it carried for the second tab, no
    // bye), only its silence. Here that tab's data channels send nothing once it starts unloading.
    const room = uniqueRoom('partly-linked-lost-frames')
    const c = await joinRoom(carol(), roomUrl(stack.site.url, stack.signaling.url, room), 'Carol')
    const b = await joinRoom(bob(), roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    await b.evaluate(() => {
      // From beforeunload on, which comes before the room's pagehide listener (registered first).
      addEventListener('beforeunload', () => {
        RTCDataChannel.prototype.send = () => {}
      })
    })
    await expectMembers(c, ['Bob', 'Carol (you)'])
    const b2 = await b.context().newPage()
    await b2.goto(roomUrl(stack.site.url, otherSignaling.url, room))
    await composer(b2).waitFor()
    const a = await joinRoom(alice(), roomUrl(stack.site.url, otherSignaling.url, room), 'Alice')
    await expect.poll(() => Promise.all([b, b2, a, c].map(liveLinks)), { timeout: 20_000 }).toEqual([1, 1, 1, 1])
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs', 'Carol'])
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])

    await Promise.all([b.close({ runBeforeUnload: true }), b2.close({ runBeforeUnload: true })])
    // Carol drops the first tab on its silence; the second reached her only through it, and
    // awareness's own timeout (15–30 s from here) is past the bound.
    await expectMembers(a, ['Alice (you)', 'Carol'], GOODBYE_BOUND_MS)
    await expectMembers(c, ['Alice', 'Carol (you)'], GOODBYE_BOUND_MS)
    await Promise.all([a.close(), c.close()])
  })

  it('leaves every remaining peer’s list when the closing tab’s link closes before its last frames leave', async () => {
    // As above, but Carol sees the link close (its peer connection closed, no bye received), not
    // fall silent: a close that is not Carol's own is the same evidence as silence. Main dropped
    // the first tab on it, and kept the second, which reached her only through it, for 30 s.
    const { a, b, b2, c } = await partlyLinked(uniqueRoom('partly-linked-closed-link'), undefined, keepPeerConnections)
    await b.evaluate(() => {
      addEventListener('beforeunload', () => {
        RTCDataChannel.prototype.send = () => {}
        for (const pc of (window as unknown as KeptConnections).peerConnections) pc.close()
      })
    })
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs', 'Carol'])
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])

    await Promise.all([b.close({ runBeforeUnload: true }), b2.close({ runBeforeUnload: true })])
    await expectMembers(a, ['Alice (you)', 'Carol'], GOODBYE_BOUND_MS)
    await expectMembers(c, ['Alice', 'Carol (you)'], GOODBYE_BOUND_MS)
    await Promise.all([a.close(), c.close()])
  })

  it('keeps a tab that another path reaches when its sibling’s link closes without a bye', async () => {
    // Carol (cap 2) is linked to Bob's first tab and to Alice; his second tab to Alice only, so
    // Carol hears it through his first tab's link and through Alice's. His first tab closes its
    // link to Carol and stays: she sees the link closed by its far end, with no bye, as when a
    // tab goes with its last frames lost, and rumors the second tab lost. It hears the rumor
    // through Alice and renews its state, which reaches Carol the same way: it must stay listed.
    const room = uniqueRoom('partly-linked-closed-stays')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const c = await joinRoom(carol(), url.replace('#', '&max-conns=2#'), 'Carol')
    const b = await joinRoom(bob(), url, 'Bob', keepPeerConnections)
    await expect.poll(() => Promise.all([b, c].map(liveLinks)), { timeout: 20_000 }).toEqual([1, 1])
    // Bob's only link yet is Carol's.
    await b.evaluate(() => {
      const kept = window as unknown as KeptConnections & { toCarol?: RTCPeerConnection }
      kept.toCarol = kept.peerConnections.find((pc) => pc.connectionState === 'connected')
    })
    const a = await joinRoom(alice(), url, 'Alice')
    // Cap 1: linked to Alice, it offers to nobody else (not Carol, were she to take it past her cap).
    const b2 = await b.context().newPage()
    await b2.goto(url.replace('#', '&max-conns=1#'))
    await composer(b2).waitFor()
    await expect.poll(() => Promise.all([c, b, a, b2].map(liveLinks)), { timeout: 20_000 }).toEqual([2, 2, 3, 1])
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])

    await b.evaluate(() => (window as unknown as { toCarol: RTCPeerConnection }).toCarol.close())
    // Carol waits on the second tab, and the wait ends without dropping it: it renewed. (Dropped,
    // with the first tab gone too, Bob would have left her list, which the log notes.)
    const settled = async () => {
      const waits = await rumorWaits(c)
      return (waits !== undefined && waits.started > 0 && waits.waiting === 0) || (await shownNotices(c)).includes('Bob left')
    }
    await expect.poll(settled, { timeout: 20_000 }).toBe(true)
    expect(await shownNotices(c)).not.toContain('Bob left')
    expect((await rumorWaits(c))?.dropped).toBe(0)
    // The first tab is back too (its renewal answering Carol's rumor about it, or a new link).
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])
    await sendMessage(b2, 'still here')
    await expectMessages(c, ['Bob: still here'])
    expect(await shownNotices(c)).toEqual(['Bob joined', 'Alice joined'])
    await Promise.all([a.close(), b.close(), b2.close(), c.close()])
  })

  it('leaves every remaining peer’s list when its newest tab’s first state is still being signed', async () => {
    // Bob's second tab never finishes signing its first state (signing is async and takes
    // milliseconds; the stall stands for a window closed in them): it relays its sibling to
    // Alice, has no goodbye of its own, and must still publish the one it carries for the first.
    const { a, b, b2, c } = await partlyLinked(uniqueRoom('partly-linked-new-tab'), (page) =>
      page.addInitScript(() => {
        const sign = crypto.subtle.sign.bind(crypto.subtle)
        crypto.subtle.sign = (algorithm, key, data) =>
          key.algorithm.name === 'Ed25519' ? new Promise<ArrayBuffer>(() => {}) : sign(algorithm, key, data)
      }),
    )
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

  it('leaves every remaining peer’s list when a closing tab still runs a while after its pagehide', async () => {
    // Chromium runs a closing page's tasks for a while after its pagehide (milliseconds; longer
    // on a loaded machine). Here Bob's second tab fires pagehide and stays running: it publishes
    // the goodbye it carries for the first tab to Alice, and the first tab, which cannot tell a
    // window closing from its sibling closing alone, answers with a new state over their
    // BroadcastChannel. Passed on to Alice by the leaving tab, that state would outrank the
    // goodbye, and the first tab's next goodbye would have no one left to take it to her.
    const room = uniqueRoom('partly-linked-slow-unload')
    const { a, b, b2, c } = await partlyLinked(room)
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs', 'Carol'])
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])

    await b2.evaluate(readSiblingChannels, topicFor({ name: room, secret: null }))
    await b2.evaluate(() => dispatchEvent(new PageTransitionEvent('pagehide')))
    // The second tab heard the first tab's new state (a counter above the goodbye it carried).
    const firstTabStates = async () => {
      const heard = await b2.evaluate(() => (window as unknown as Heard).heard)
      const firstTab = heard.find(({ kind }) => kind === 'goodbye')?.client
      return heard.filter(({ kind, client }) => kind === 'state' && client === firstTab).length
    }
    await expect.poll(firstTabStates, { timeout: 20_000 }).toBeGreaterThan(0)
    // Its renderer then goes without a second pagehide (a page closed here would fire one again).
    const session = await b2.context().newCDPSession(b2)
    session.send('Page.crash').catch(() => undefined) // the renderer dies: no reply comes
    await b.close({ runBeforeUnload: true })
    await expectMembers(a, ['Alice (you)', 'Carol'], GOODBYE_BOUND_MS)
    await expectMembers(c, ['Alice', 'Carol (you)'], GOODBYE_BOUND_MS)
    await Promise.all([a.close(), c.close()])
  })

  it('hands each new goodbye to the siblings before the state it belongs to reaches them', async () => {
    const room = uniqueRoom('partly-linked-order')
    const { a, b, b2, c } = await partlyLinked(room)
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs', 'Carol'])

    // Bob's second tab notes, in arrival order, the goodbyes its siblings hand over and the
    // states y-webrtc's BroadcastChannel brings, while Alice (not linked to his first tab) keeps
    // the first tab handing over its goodbye with every state it signs.
    await b2.evaluate(readSiblingChannels, topicFor({ name: room, secret: null }))
    const heard = async () => outOfOrder(await b2.evaluate(() => (window as unknown as Heard).heard))
    const transitions = 10
    for (let i = 0; i < transitions; i++) {
      // Typing starts, then stops: each a new signed state, with its goodbye.
      await composer(b).fill(i % 2 === 0 ? 'typing…' : '')
      await expect.poll(async () => (await heard()).states, { timeout: 20_000 }).toBe(i + 1)
    }
    expect(await heard()).toEqual({ states: transitions, late: [] })
    await Promise.all([a.close(), b.close(), b2.close(), c.close()])
  })

  it('drops a crashed tab that a peer heard only through its sibling within seconds', async () => {
    const { a, b, b2, c } = await partlyLinked(uniqueRoom('partly-linked-crash'))
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs', 'Carol'])
    await expectMembers(c, ['Alice', 'Bob 2 tabs', 'Carol (you)'])

    // Bob's first tab crashes: no pagehide, no goodbye of its own. Its sibling stays, and is
    // granted the tab's lock (room/sibling-goodbyes.ts), so it publishes the goodbye it carries.
    const session = await b.context().newCDPSession(b)
    session.send('Page.crash').catch(() => undefined) // the renderer dies: no reply comes
    await expectMembers(a, ['Alice (you)', 'Bob', 'Carol'], GOODBYE_BOUND_MS)
    // Carol, linked to the crashed tab, noticed by herself (liveness); it was her only link, and
    // the second tab reached her only through it: she can hear neither (liveness-tracker.ts).
    await expectMembers(c, ['Alice', 'Carol (you)'], GOODBYE_BOUND_MS)
    await sendMessage(b2, 'still here')
    await expectMessages(a, ['Bob: still here'])
    await Promise.all([a.close(), b2.close(), c.close()])
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

/** What a page heard on the siblings' two BroadcastChannels, in order: a goodbye or a state, by tab and counter. */
interface Heard {
  heard: { kind: 'goodbye' | 'state'; client: number; counter: number }[]
}

/**
 * Runs in a page: notes what arrives on `parley-goodbyes/<topic>` (goodbyes siblings hand over)
 * and on y-webrtc's BroadcastChannel `<topic>` (awareness states; a public room's are not encrypted).
 */
function readSiblingChannels(topic: string): void {
  const heard: Heard['heard'] = []
  ;(window as unknown as Heard).heard = heard
  new BroadcastChannel(`parley-goodbyes/${topic}`).onmessage = (
    event: MessageEvent<{ client: number; meta: { counter?: number } | null }>,
  ) => {
    const counter = event.data.meta?.counter
    if (typeof counter === 'number') heard.push({ kind: 'goodbye', client: event.data.client, counter })
  }
  new BroadcastChannel(topic).onmessage = (event: MessageEvent<Uint8Array>) => {
    // y-protocols' encoding: message type (1: awareness), the update's length, then its entries.
    const bytes = new Uint8Array(event.data)
    let at = 0
    const uint = (): number => {
      let value = 0
      for (let shift = 1; ; shift *= 128) {
        const byte = bytes[at++] ?? 0
        value += (byte & 0x7f) * shift
        if (byte < 0x80) return value
      }
    }
    if (uint() !== 1) return
    uint()
    for (let entries = uint(); entries > 0; entries--) {
      const client = uint()
      uint() // clock
      const length = uint()
      const state = JSON.parse(new TextDecoder().decode(bytes.subarray(at, at + length))) as {
        presence?: { meta?: { counter?: number; left?: boolean } } | null
      } | null
      at += length
      const meta = state?.presence?.meta
      if (typeof meta?.counter === 'number' && meta.left !== true) heard.push({ kind: 'state', client, counter: meta.counter })
    }
  }
}

/**
 * The new states of tabs that hand over their goodbye (counted), and those among them that
 * arrived before their goodbye (the next counter) had: a sibling closing between the two would
 * carry a goodbye below the state its peers hold.
 */
function outOfOrder(heard: Heard['heard']): { states: number; late: string[] } {
  // The first goodbye heard from each tab: states below its own (a renewal of one signed before
  // the page listened) are not new.
  const firstGoodbye = new Map<number, number>()
  for (const { kind, client, counter } of heard) if (kind === 'goodbye' && !firstGoodbye.has(client)) firstGoodbye.set(client, counter)
  const goodbyes = new Set<string>()
  const seen = new Set<string>()
  const late: string[] = []
  for (const { kind, client, counter } of heard) {
    if (kind === 'goodbye') goodbyes.add(`${client}/${counter}`)
    else if (counter + 1 >= (firstGoodbye.get(client) ?? Number.POSITIVE_INFINITY) && !seen.has(`${client}/${counter}`)) {
      seen.add(`${client}/${counter}`)
      if (!goodbyes.has(`${client}/${counter + 1}`)) late.push(`${client}/${counter}`)
    }
  }
  return { states: seen.size, late }
}
