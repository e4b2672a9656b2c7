// Presence as users meet it, in real Chromium over real WebRTC: the members list, tabs,
// typing, join/leave lines, and how fast a departure is seen (generous bounds; the tight
// figures are measured by `npm run bench`).
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import {
  composer,
  joinRoom,
  launchChromium,
  launchKillableChromium,
  roomUrl,
  sendMessage,
  shownMembers,
  shownMessages,
  shownNotices,
  shownTyping,
  uniqueRoom,
  useChatStack,
} from './harness.js'
import { FlooderProcess } from './flood-harness.js'

/** What the element tells of its room's links (a method of <parley-chat>). */
interface ParleyChatStats {
  stats(): { liveLinks: number } | null
}

/**
 * Waits until `page`'s room has `count` live WebRTC links. A killed browser says no goodbye
 * (membership/proven-tabs.ts): its tabs leave others' lists through liveness, which needs a link
 * of their own to each; a tab known only through a relay would stay until awareness times out
 * (30 s). A tab closed before it is linked: presence-unlinked-tab.test.ts.
 */
async function untilLinked(page: Page, count: number): Promise<void> {
  const liveLinks = () => page.evaluate(() => (document.querySelector('parley-chat') as unknown as ParleyChatStats).stats()?.liveLinks)
  await expect.poll(liveLinks, { timeout: 15_000 }).toBe(count)
}

/** Upper bounds asserted here; the targets (1 s and 2–5 s) are checked by the benchmark. */
const TAB_CLOSE_BOUND_MS = 3_000
const CRASH_BOUND_MS = 10_000

/** Forged messages a stock peer writes under Alice's id: within an author's budget, so Bob draws and checks each. */
const FORGERIES = 3

/** A page's hold on its own presence signatures (installPresenceHold). */
interface PresenceHold {
  /** Presence signatures held so far. */
  held: number
  hold(): void
  release(): void
}

/**
 * Lets the test hold this page's presence signatures (real WebCrypto, signed once released), so
 * its next presence state, such as the stopped-typing state a send ends, reaches nobody until then.
 */
function installPresenceHold(): void {
  const subtle = crypto.subtle
  const sign = subtle.sign.bind(subtle)
  let gate: Promise<void> | null = null
  let open = (): void => {}
  const control: PresenceHold = {
    held: 0,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve
      })
    },
    release() {
      gate = null
      open()
    },
  }
  Object.assign(window, control)
  subtle.sign = (algorithm, key, data) => {
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
    const waiting = gate
    if (waiting === null || !new TextDecoder().decode(bytes).startsWith('["parley/presence/')) return sign(algorithm, key, data)
    ;(window as unknown as PresenceHold).held++
    return waiting.then(() => sign(algorithm, key, data))
  }
}

/** What Bob's page saw: Alice's just-sent message drawn verified beside "Alice is typing…", and every change of the typing line. */
interface TypingWatch {
  /** The text of the message just sent, watched for until she types again; null when none is. */
  sent: string | null
  beside: string[]
  /** The typing line no longer naming Alice while her message `sent` is shown still being checked. */
  early: string[]
  lines: string[]
}

/**
 * Watches every change of the chat's and the log's DOM for Alice's message `sent`, verified, drawn
 * while the typing line names her (`beside`), and for her typing mark ended while `sent` is shown
 * still being checked (`early`): the mark ends in the render that shows the message verified.
 */
function watchTypingBesideMessages(): void {
  const chat = document.querySelector('parley-chat')?.shadowRoot
  const log = chat?.querySelector('parley-message-list')?.shadowRoot
  const typing = chat?.querySelector('.typing')
  if (!chat || !log || !typing) throw new Error('no chat')
  const watch: TypingWatch = { sent: null, beside: [], early: [], lines: [] }
  Object.assign(window, watch)
  const seen = window as unknown as TypingWatch
  let line = typing.textContent?.trim() ?? ''
  const look = (): void => {
    const now = typing.textContent?.trim() ?? ''
    if (now !== line) seen.lines.push(now)
    line = now
    if (seen.sent === null) return
    if (!now.includes('Alice')) {
      for (const article of log.querySelectorAll('article'))
        if (article.querySelector('.author.pending') !== null && article.querySelector('p')?.textContent === seen.sent)
          seen.early.push(`${seen.sent} / ${JSON.stringify(now)}`)
      return
    }
    for (const article of log.querySelectorAll('article'))
      if (article.querySelector('.author')?.textContent?.trim() === 'Alice' && article.querySelector('p')?.textContent === seen.sent)
        seen.beside.push(`${seen.sent} / ${now}`)
  }
  const options = { subtree: true, childList: true, characterData: true, attributes: true }
  const observer = new MutationObserver(look)
  observer.observe(chat, options)
  observer.observe(log, options)
}

const stack = useChatStack(2)
const newRoomUrl = (label: string) => roomUrl(stack.site.url, stack.signaling.url, uniqueRoom(label))
const alice = () => stack.browsers[0]
const bob = () => stack.browsers[1]

/** Waits for exactly these members. Order is each peer's own first-join order, so not compared. */
const expectMembers = (page: Page, expected: string[], timeout = 15_000) =>
  expect.poll(async () => (await shownMembers(page)).sort(), { timeout, interval: 50 }).toEqual([...expected].sort())

/** Milliseconds until `page` shows exactly `expected` members. */
async function timeUntilMembers(page: Page, expected: string[], timeout: number): Promise<number> {
  const started = Date.now()
  await expectMembers(page, expected, timeout)
  return Date.now() - started
}

describe('members', () => {
  it('shows everyone on both sides, oneself marked, and two tabs of one profile as one user', async () => {
    const url = newRoomUrl('members')
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    await expectMembers(a, ['Alice (you)', 'Bob'])
    await expectMembers(b, ['Alice', 'Bob (you)'])

    // A second tab of Bob's profile: the name is remembered, and Bob is one user with two tabs.
    const bobContext = b.context()
    const b2 = await bobContext.newPage()
    await b2.goto(url)
    await composer(b2).waitFor()
    await expectMembers(a, ['Alice (you)', 'Bob 2 tabs'])
    await expectMembers(b2, ['Alice', 'Bob (you) 2 tabs'])

    // Linked to Alice or not yet (Bob's tabs talk over a BroadcastChannel): its goodbye takes it out.
    await b2.close({ runBeforeUnload: true })
    await expectMembers(a, ['Alice (you)', 'Bob'])
    expect(await shownNotices(a)).toEqual(['Bob joined'])
    await Promise.all([a.close(), b.close()])
  })

  it('shows who is typing, and clears it on blur and on send', async () => {
    const url = newRoomUrl('typing')
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    await expectMembers(b, ['Alice', 'Bob (you)'])
    await composer(a).pressSequentially('hello the')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('Alice is typing…')
    await expectMembers(b, ['Alice ✎ typing', 'Bob (you)'], 0)
    expect(await shownTyping(a)).toBe('')
    // Leaving the field stops typing; coming back and typing starts it again.
    await composer(a).press('Tab')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('')
    await composer(a).focus()
    await composer(a).pressSequentially('re')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('Alice is typing…')
    await composer(a).press('Enter')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('')
    await expectMembers(b, ['Alice', 'Bob (you)'], 0)
    await Promise.all([a.close(), b.close()])
  })

  it("ends the sender's typing mark with her verified message while her own stopped-typing state is late, and not with a forgery", async () => {
    const room = uniqueRoom('typing-ended')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    await expectMembers(b, ['Alice', 'Bob (you)'])
    await a.evaluate(installPresenceHold)
    await b.evaluate(watchTypingBesideMessages)
    await composer(a).pressSequentially('hello there')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('Alice is typing…')
    // From here Alice's presence states wait to be signed: her stopped-typing state is as late as the test makes it.
    await a.evaluate(() => (window as unknown as PresenceHold).hold())
    await b.evaluate(() => {
      ;(window as unknown as TypingWatch).sent = 'hello there'
    })
    await composer(a).press('Enter')
    await expect.poll(() => shownMessages(b), { interval: 50 }).toContain('Alice: hello there')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('')
    await expectMembers(b, ['Alice', 'Bob (you)'], 0)
    // Her state was late indeed: held once signed (a send's stopped-typing state is signed at an
    // idle moment after the message left, so it may not have been asked for yet).
    await expect.poll(() => a.evaluate(() => (window as unknown as PresenceHold).held), { interval: 50 }).toBeGreaterThan(0)
    // Not once was her verified message drawn beside "Alice is typing…", nor her mark ended while it was being checked.
    expect(await b.evaluate(() => (window as unknown as TypingWatch).beside)).toEqual([])
    expect(await b.evaluate(() => (window as unknown as TypingWatch).early)).toEqual([])

    // She types again (her states go out again), and a stock peer forges messages under her id.
    await b.evaluate(() => {
      ;(window as unknown as TypingWatch).sent = null
    })
    await a.evaluate(() => (window as unknown as PresenceHold).release())
    await composer(a).pressSequentially('more')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('Alice is typing…')
    await a.evaluate(() => (window as unknown as PresenceHold).hold())
    const flooder = await FlooderProcess.start({ room, signalingUrl: stack.signaling.url })
    try {
      await expect.poll(() => flooder.connectedLinks(), { timeout: 30_000 }).toBe(2)
      await b.evaluate(() => {
        ;(window as unknown as TypingWatch).lines = []
      })
      await flooder.flood(FORGERIES, 'Alice')
      // Bob drew and checked each forgery (marked unverified), and her typing mark never moved.
      const forgedShown = async () => (await shownMessages(b)).filter((line) => line.includes(': flood '))
      await expect.poll(async () => (await forgedShown()).length, { timeout: 15_000, interval: 50 }).toBe(FORGERIES)
      await expect
        .poll(async () => (await forgedShown()).every((line) => line.startsWith('⚠ Alice (unverified): ')), {
          timeout: 15_000,
          interval: 50,
        })
        .toBe(true)
      expect(await shownTyping(b)).toBe('Alice is typing…')
      expect(await b.evaluate(() => (window as unknown as TypingWatch).lines)).toEqual([])
    } finally {
      await flooder.close()
    }
    // Her own next message, verified, still ends it while her stopped-typing state is held.
    await b.evaluate(() => {
      ;(window as unknown as TypingWatch).sent = 'more'
    })
    await composer(a).press('Enter')
    await expect.poll(() => shownMessages(b), { interval: 50 }).toContain('Alice: more')
    await expect.poll(() => shownTyping(b), { interval: 50 }).toBe('')
    expect(await b.evaluate(() => (window as unknown as TypingWatch).beside)).toEqual([])
    expect(await b.evaluate(() => (window as unknown as TypingWatch).early)).toEqual([])
    await Promise.all([a.close(), b.close()])
  })

  it('announces a join and a leave once per user, not per tab', async () => {
    const url = newRoomUrl('notices')
    const a = await joinRoom(alice(), url, 'Alice')
    await sendMessage(a, 'anyone here?')
    const carolBrowser = await launchChromium()
    const c = await joinRoom(carolBrowser, url, 'Carol')
    const c2 = await c.context().newPage()
    await c2.goto(url)
    await expectMembers(a, ['Alice (you)', 'Carol 2 tabs'])
    expect(await shownNotices(c)).toEqual([])
    await untilLinked(c2, 1)
    await carolBrowser.close()
    await expectMembers(a, ['Alice (you)'])
    expect(await shownNotices(a)).toEqual(['Carol joined', 'Carol left'])
    await a.close()
  })
})

describe('leaves are seen fast', () => {
  it(`a closed tab leaves everyone's list within ${TAB_CLOSE_BOUND_MS} ms`, async () => {
    const url = newRoomUrl('tab-close')
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    await expectMembers(a, ['Alice (you)', 'Bob'])
    await b.close({ runBeforeUnload: true })
    expect(await timeUntilMembers(a, ['Alice (you)'], TAB_CLOSE_BOUND_MS)).toBeLessThan(TAB_CLOSE_BOUND_MS)
    await a.close()
  })

  it(`navigating away leaves everyone's list within ${TAB_CLOSE_BOUND_MS} ms`, async () => {
    const url = newRoomUrl('navigate')
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    await expectMembers(a, ['Alice (you)', 'Bob'])
    await b.goto('about:blank')
    expect(await timeUntilMembers(a, ['Alice (you)'], TAB_CLOSE_BOUND_MS)).toBeLessThan(TAB_CLOSE_BOUND_MS)
    await Promise.all([a.close(), b.close()])
  })

  it(`a closed window (the whole browser context) leaves within ${CRASH_BOUND_MS} ms`, async () => {
    const url = newRoomUrl('window-close')
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    await expectMembers(a, ['Alice (you)', 'Bob'])
    await b.context().close()
    expect(await timeUntilMembers(a, ['Alice (you)'], CRASH_BOUND_MS)).toBeLessThan(CRASH_BOUND_MS)
    await a.close()
  })

  it(`a killed browser process leaves within ${CRASH_BOUND_MS} ms, and nobody else flaps`, async () => {
    const url = newRoomUrl('kill')
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    const victim = await launchKillableChromium()
    try {
      const v = await joinRoom(victim.browser, url, 'Victor')
      await expectMembers(a, ['Alice (you)', 'Bob', 'Victor'])
      await v.evaluate(() => undefined)
      victim.kill()
      expect(await timeUntilMembers(a, ['Alice (you)', 'Bob'], CRASH_BOUND_MS)).toBeLessThan(CRASH_BOUND_MS)
      await expectMembers(b, ['Alice', 'Bob (you)'])
    } finally {
      await victim.browser.close().catch(() => undefined) // already dead: nothing to close
    }
    // Alice and Bob stayed online all along: no leave line for either.
    expect(await shownNotices(a)).toEqual(['Bob joined', 'Victor joined', 'Victor left'])
    await Promise.all([a.close(), b.close()])
  })

  it(`a peer cut off the network leaves within ${CRASH_BOUND_MS} ms and rejoins once when it is back`, async () => {
    const url = newRoomUrl('cut')
    const a = await joinRoom(alice(), url, 'Alice')
    const b = await joinRoom(bob(), url, 'Bob')
    const victim = await launchKillableChromium()
    try {
      await joinRoom(victim.browser, url, 'Victor')
      await expectMembers(a, ['Alice (you)', 'Bob', 'Victor'])
      victim.freeze()
      try {
        expect(await timeUntilMembers(a, ['Alice (you)', 'Bob'], CRASH_BOUND_MS)).toBeLessThan(CRASH_BOUND_MS)
        await expectMembers(b, ['Alice', 'Bob (you)'])
      } finally {
        victim.thaw()
      }
      // Back on the network: one Victor again (no second meta), seen by both.
      await expectMembers(a, ['Alice (you)', 'Bob', 'Victor'])
      await expectMembers(b, ['Alice', 'Bob (you)', 'Victor'])
      expect(await shownNotices(a)).toEqual(['Bob joined', 'Victor joined', 'Victor left', 'Victor joined'])
    } finally {
      await victim.browser.close()
    }
    await Promise.all([a.close(), b.close()])
  })
})
