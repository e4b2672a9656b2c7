// The walking chat as a user meets it: separate Chromium processes, real WebRTC, the real
// signaling server, the built site on a plain static server.
import { describe, expect, it } from 'vitest'
import {
  composer,
  expectMessages,
  joinRoom,
  launchChromium,
  messageLog,
  roomUrl,
  sendMessage,
  uniqueRoom,
  useChatStack,
} from './harness.js'

const stack = useChatStack(2)
const newRoomUrl = (label: string) => roomUrl(stack.site.url, stack.signaling.url, uniqueRoom(label))
const alice = () => stack.browsers[0]
const bob = () => stack.browsers[1]

describe('two browsers in one room', () => {
  it('exchange messages both ways, and a late joiner gets the history', async () => {
    const url = newRoomUrl('walk')
    const [a, b] = await Promise.all([joinRoom(alice(), url, 'Alice'), joinRoom(bob(), url, 'Bob')])
    await expect.poll(() => a.getByRole('heading').first().textContent()).toMatch(/#walk-/)

    await sendMessage(a, 'Hello from Alice')
    await expectMessages(b, ['Alice: Hello from Alice'])
    await sendMessage(b, 'Hi Alice, Bob here')
    await expectMessages(a, ['Alice: Hello from Alice', 'Bob: Hi Alice, Bob here'])

    const carolBrowser = await launchChromium()
    try {
      const c = await joinRoom(carolBrowser, url, 'Carol')
      await expectMessages(c, ['Alice: Hello from Alice', 'Bob: Hi Alice, Bob here'])
      await sendMessage(c, 'Carol joined late')
      await expectMessages(a, ['Alice: Hello from Alice', 'Bob: Hi Alice, Bob here', 'Carol: Carol joined late'])
    } finally {
      await carolBrowser.close()
    }
    await Promise.all([a.close(), b.close()])
  })

  it("puts a message on the wire before its keydown's tail (the field emptied, the draft ended), and empties the field before the next paint", async () => {
    const url = newRoomUrl('order')
    // Alice's page notes, from her Enter on, when the message's Yjs update leaves on a data channel,
    // when her draft ends, and what the field holds then and at the next frame (asked for after the
    // composer's own handler: a frame callback of the composer's comes first).
    const noteOrder = () => {
      const order: string[] = []
      let armed = false
      Object.assign(window, { sendOrder: order })
      const field = () =>
        document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-composer')?.shadowRoot?.querySelector('textarea')
      const holds = () => (field()?.value === '' ? 'empty' : 'holding the text')
      window.addEventListener(
        'keydown',
        (event) => {
          if (event.key !== 'Enter' || event.shiftKey) return
          armed = true
          order.length = 0
        },
        true,
      )
      window.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && armed) requestAnimationFrame(() => order.push(`next frame: field ${holds()}`))
      })
      window.addEventListener('parley-draft', (event) => {
        if (armed && !(event as CustomEvent<{ active: boolean }>).detail.active) order.push('draft ended')
      })
      const send = RTCDataChannel.prototype.send as (this: RTCDataChannel, data: unknown) => void
      RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
        const bytes =
          data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : ArrayBuffer.isView(data)
              ? new Uint8Array(data.buffer, data.byteOffset)
              : null
        const update = bytes !== null && bytes[0] === 0 && bytes[1] === 2
        if (armed && update && !order.some((step) => step.startsWith('update'))) order.push(`update on the wire: field ${holds()}`)
        send.call(this, data)
      } as RTCDataChannel['send']
    }
    const [a, b] = await Promise.all([joinRoom(alice(), url, 'Alice', noteOrder), joinRoom(bob(), url, 'Bob')])
    // Linked first: a message sent before the link waits for it.
    await sendMessage(a, 'first')
    await expectMessages(b, ['Alice: first'])
    await sendMessage(a, 'second')
    await expectMessages(b, ['Alice: first', 'Alice: second'])
    await expect
      .poll(() => a.evaluate(() => (window as unknown as { sendOrder: string[] }).sendOrder))
      .toEqual(['update on the wire: field holding the text', 'draft ended', 'next frame: field empty'])
    expect(await composer(a).inputValue()).toBe('')
  })

  it('shows HTML in a message as text, and runs none of it', async () => {
    const url = newRoomUrl('xss')
    const [a, b] = await Promise.all([joinRoom(alice(), url, 'Mallory'), joinRoom(bob(), url, 'Bob')])
    const payload = '<img src=x onerror="window.__pwned = true"><b>bold?</b>'
    await sendMessage(a, payload)
    await expectMessages(b, [`Mallory: ${payload}`])
    expect(await messageLog(b).locator('img, b').count()).toBe(0)
    expect(await b.evaluate(() => (window as { __pwned?: boolean }).__pwned)).toBeUndefined()
    await Promise.all([a.close(), b.close()])
  })
})

describe('one browser', () => {
  it('remembers the name across a reload and keeps the room from the URL', async () => {
    const room = uniqueRoom('reload')
    const page = await joinRoom(alice(), roomUrl(stack.site.url, stack.signaling.url, room), 'Alice')
    await page.reload()
    await composer(page).waitFor({ state: 'visible' })
    expect(await page.getByRole('textbox', { name: 'Your name' }).count()).toBe(0)
    expect(await page.getByRole('heading', { name: `#${room}` }).count()).toBe(1)
    await page.close()
  })

  it('sends on Enter, adds a line on Shift+Enter, and never sends mid-composition', async () => {
    const page = await joinRoom(alice(), newRoomUrl('keys'), 'Alice')
    const field = composer(page)
    await field.pressSequentially('first line')
    await field.press('Shift+Enter')
    await field.pressSequentially('second line')
    // An IME confirming a composition sends Enter with isComposing set.
    await field.evaluate((textarea) =>
      textarea.dispatchEvent(
        new KeyboardEvent('keydown', { key: 'Enter', isComposing: true, bubbles: true, composed: true, cancelable: true }),
      ),
    )
    expect(await field.inputValue()).toBe('first line\nsecond line')
    expect(await messageLog(page).locator('article').count()).toBe(0)
    await field.press('Enter')
    await expectMessages(page, ['Alice: first line\nsecond line'])
    expect(await field.inputValue()).toBe('')
    await page.close()
  })

  it('refuses an over-long message with a visible reason, keeping the draft', async () => {
    const page = await joinRoom(alice(), newRoomUrl('long'), 'Alice')
    const draft = 'x'.repeat(4001)
    await composer(page).fill(draft)
    await page.getByText('Too long to send: 4,001 of 4,000 characters.').waitFor()
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true)
    await composer(page).press('Enter')
    expect(await composer(page).inputValue()).toBe(draft)
    expect(await messageLog(page).locator('article').count()).toBe(0)
    await page.close()
  })
})

describe('the message list', () => {
  it('stays put when scrolled up, and follows new messages at the bottom', async () => {
    const url = newRoomUrl('scroll')
    const [a, b] = await Promise.all([joinRoom(alice(), url, 'Alice'), joinRoom(bob(), url, 'Bob')])
    await b.setViewportSize({ width: 800, height: 400 })
    const sent: string[] = []
    for (let i = 1; i <= 30; i++) {
      sent.push(`Alice: line ${i}`)
      await sendMessage(a, `line ${i}`)
    }
    await expectMessages(b, sent)
    const scroller = b.locator('parley-message-list .log')
    const atBottom = () => scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2)
    await expect.poll(atBottom).toBe(true)

    await scroller.evaluate((el) => {
      el.scrollTop = 0
    })
    await sendMessage(a, 'while Bob reads')
    await expectMessages(b, [...sent, 'Alice: while Bob reads'])
    expect(await scroller.evaluate((el) => el.scrollTop)).toBe(0)

    await scroller.evaluate((el) => {
      el.scrollTop = el.scrollHeight
    })
    await sendMessage(a, 'Bob is back at the bottom')
    await expectMessages(b, [...sent, 'Alice: while Bob reads', 'Alice: Bob is back at the bottom'])
    await expect.poll(atBottom).toBe(true)
    await Promise.all([a.close(), b.close()])
  })
})
