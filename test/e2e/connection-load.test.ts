// The room's connection code loads after the page draws (room/lazy-transport.ts). When that load
// fails (offline after the page came, or a deploy that replaced the file), the chat must say so,
// keep what the user writes on this device, and deliver it once a reload connects.
import { describe, expect, it } from 'vitest'
import { composer, expectMessages, joinRoom, roomUrl, sendMessage, shownMessages, uniqueRoom, useChatStack } from './harness.js'

/** The chunk that holds the transport, in the built site. */
const TRANSPORT_CHUNK = /\/assets\/transport-[\w-]+\.js$/
/** What the header says when it cannot connect (its start). */
const CANNOT_CONNECT = 'Cannot connect'

const stack = useChatStack(1)

describe('a page whose connection code does not load', () => {
  it('says it cannot connect, keeps what the user writes, and delivers it after a reload', async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('no-transport'))
    const bob = await joinRoom(stack.browsers[0], url, 'Bob')

    const aliceContext = await stack.browsers[0].newContext()
    let refused = 0
    await aliceContext.route(TRANSPORT_CHUNK, (route) => {
      refused++
      return route.abort('internetdisconnected')
    })
    const alice = await aliceContext.newPage()
    await alice.goto(url)
    await alice.getByRole('textbox', { name: 'Your name' }).fill('Alice')
    await alice.getByRole('button', { name: 'Join' }).click()
    await composer(alice).waitFor({ state: 'visible' })

    await expect.poll(() => alice.getByRole('alert').allTextContents()).toEqual([expect.stringContaining(CANNOT_CONNECT)])
    expect(refused).toBeGreaterThan(0)
    // A page whose code loaded says nothing of the kind.
    expect(await bob.getByRole('alert').count()).toBe(0)

    await sendMessage(alice, 'written while cut off')
    await expectMessages(alice, ['Alice: written while cut off'])
    expect(await shownMessages(bob)).toEqual([])

    // The code is reachable again: a reload connects, and the message was kept for Bob.
    await aliceContext.unroute(TRANSPORT_CHUNK)
    await alice.reload()
    await composer(alice).waitFor({ state: 'visible' })
    await expectMessages(bob, ['Alice: written while cut off'])
    expect(await alice.getByRole('alert').count()).toBe(0)
    await aliceContext.close()
    await bob.context().close()
  })
})
