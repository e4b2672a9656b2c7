// What the chat says about its connection, with the real signaling server stopped and started
// again, and the browser taken offline: only what the page knows, and "Online" only while true.
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { startSignalingServer, type SignalingServer } from '../../signaling/index.js'
import { composer, joinRoom, roomUrl, sendMessage, shownMembers, shownMessages, uniqueRoom, useChatStack } from './harness.js'

const stack = useChatStack(2)
/** Long enough for two browsers to link, and for lib0 to retry the server (at most 2.5 s apart), under load. */
const LINK_TIMEOUT_MS = 30_000

/** The header's connection line, or "" when it shows none. */
async function connectionNote(page: Page): Promise<string> {
  const note = page.locator('parley-chat p.connection')
  return (await note.count()) === 0 ? '' : ((await note.textContent()) ?? '').trim()
}

/** The members panel's heading, as "Online · 2". */
async function membersHeading(page: Page): Promise<string> {
  return ((await page.locator('parley-members .heading').textContent()) ?? '').replace(/\s+/g, ' ').trim()
}

describe('the connection line', () => {
  it('says when the signaling server cannot be reached, keeps linked peers online, and clears when it is back', async () => {
    let signaling: SignalingServer = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    const port = signaling.port
    try {
      const url = roomUrl(stack.site.url, signaling.url, uniqueRoom('connection'))
      const [alice, bob] = await Promise.all([joinRoom(stack.browsers[0], url, 'Alice'), joinRoom(stack.browsers[1], url, 'Bob')])
      await expect.poll(() => shownMembers(alice), { timeout: LINK_TIMEOUT_MS }).toHaveLength(2)
      await expect.poll(() => connectionNote(alice)).toBe('')
      expect(await membersHeading(alice)).toBe('Online · 2')

      // The server goes away: Alice and Bob stay linked, so neither is told they are cut off.
      await signaling.close()
      await expect.poll(() => connectionNote(alice), { timeout: LINK_TIMEOUT_MS }).toContain('Those already linked still get your messages')
      expect(await membersHeading(alice)).toBe('Online · 2')

      // Bob leaves: nobody can reach Alice now.
      await bob.context().close()
      await expect
        .poll(() => connectionNote(alice), { timeout: LINK_TIMEOUT_MS })
        .toMatch(/^Can't reach the signaling server, retrying\. Your messages wait/)
      await expect.poll(() => membersHeading(alice), { timeout: LINK_TIMEOUT_MS }).toBe('Not connected · 1')

      // The server is back on its port: lib0 reconnects, and the line goes.
      signaling = await startSignalingServer({ port, host: '127.0.0.1' })
      await expect.poll(() => connectionNote(alice), { timeout: LINK_TIMEOUT_MS }).toBe('')
      expect(await membersHeading(alice)).toBe('Online · 1')

      // The browser's own word on the network.
      await alice.context().setOffline(true)
      await expect.poll(() => connectionNote(alice)).toMatch(/^You are offline\./)
      expect(await membersHeading(alice)).toBe('Not connected · 1')
      await alice.context().setOffline(false)
      await expect.poll(() => connectionNote(alice), { timeout: LINK_TIMEOUT_MS }).toBe('')
      await alice.context().close()
    } finally {
      await signaling.close()
    }
  }, 120_000)

  it("counts this browser's other tabs as reaching it while the server is down, and stops once they close", async () => {
    let signaling: SignalingServer = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    const port = signaling.port
    try {
      const url = roomUrl(stack.site.url, signaling.url, uniqueRoom('sibling-tabs'))
      // Two tabs of one profile: they reach each other over BroadcastChannel, not WebRTC.
      const first = await joinRoom(stack.browsers[0], url, 'Alice')
      const second = await first.context().newPage()
      await second.goto(url)
      await composer(second).waitFor()
      await expect.poll(() => connectionNote(first), { timeout: LINK_TIMEOUT_MS }).toBe('')

      await signaling.close()
      await expect
        .poll(() => connectionNote(first), { timeout: LINK_TIMEOUT_MS })
        .toBe("Can't reach the signaling server, retrying. Your other tabs here still get your messages; nobody else can.")
      expect(await membersHeading(first)).toMatch(/^This browser · /)
      // What the line says is so: the other tab gets the message.
      await sendMessage(first, 'to my other tab')
      await expect.poll(() => shownMessages(second), { timeout: LINK_TIMEOUT_MS }).toContain('Alice: to my other tab')

      // The other tab closes (its pagehide says so over BroadcastChannel): nobody reaches this one.
      await second.close({ runBeforeUnload: true })
      await expect
        .poll(() => connectionNote(first), { timeout: LINK_TIMEOUT_MS })
        .toBe("Can't reach the signaling server, retrying. Your messages wait on this device.")
      expect(await membersHeading(first)).toMatch(/^Not connected · /)

      signaling = await startSignalingServer({ port, host: '127.0.0.1' })
      await expect.poll(() => connectionNote(first), { timeout: LINK_TIMEOUT_MS }).toBe('')
      await first.context().close()
    } finally {
      await signaling.close()
    }
  }, 120_000)

  it('says the server cannot be reached where none answers, and not "Online"', async () => {
    // Nothing listens on port 9 (discard) here: each attempt is refused at once.
    const url = roomUrl(stack.site.url, 'ws://127.0.0.1:9', uniqueRoom('nowhere'))
    const alice = await joinRoom(stack.browsers[0], url, 'Alice')
    await expect.poll(() => connectionNote(alice), { timeout: LINK_TIMEOUT_MS }).toMatch(/^Can't reach the signaling server, retrying\./)
    expect(await membersHeading(alice)).toBe('Not connected · 1')
    await alice.context().close()
  }, 60_000)
})
