// <parley-composer> on its own in Chromium, driven by real key presses and clicks: what
// Enter, Shift+Enter and the Send button do, the events it fires, and IME composition.
import { describe, expect, it, onTestFinished } from 'vitest'
import { cdp, page, userEvent } from 'vitest/browser'
import '../../src/components/parley-composer.js'
import { MAX_MESSAGE_CHARS } from '../../src/room/index.js'
import { details, mount, recordEvents } from './browser-fixtures.js'

const field = () => page.getByRole('textbox', { name: 'Message' })
const sendButton = () => page.getByRole('button', { name: 'Send' })

describe('parley-composer', () => {
  it('starts empty, with a labelled field and Send disabled', async () => {
    await mount('parley-composer')
    await expect.element(field()).toHaveValue('')
    await expect.element(field()).toHaveAttribute('placeholder', 'Write a message…')
    await expect.element(sendButton()).toBeDisabled()
  })

  it('sends on Enter: parley-send carries the text, then the draft ends; bubbling and composed', async () => {
    await mount('parley-composer')
    const seen = recordEvents()
    await userEvent.type(field(), 'Hi')
    await expect.element(sendButton()).toBeEnabled()
    await userEvent.keyboard('{Enter}')
    // The draft ends just before the next paint (after the message is out: see the next tests).
    await expect
      .poll(() => details(seen))
      .toEqual([
        ['parley-draft', { active: true }],
        ['parley-draft', { active: true }],
        ['parley-send', { text: 'Hi' }],
        ['parley-draft', { active: false }],
      ])
    expect(seen.every((event) => event.bubbles && event.composed)).toBe(true)
    await expect.element(field()).toHaveValue('')
    await expect.element(sendButton()).toBeDisabled()
  })

  it('empties the field only after parley-send, so the chat can check the log without laying the page out again', async () => {
    const composer = await mount('parley-composer')
    const valueAtSend: string[] = []
    composer.addEventListener('parley-send', () => {
      valueAtSend.push(composer.shadowRoot?.querySelector('textarea')?.value ?? '(no field)')
    })
    await userEvent.type(field(), 'Hi')
    await userEvent.keyboard('{Enter}')
    expect(valueAtSend).toEqual(['Hi'])
    await expect.element(field()).toHaveValue('')
  })

  it('empties the field before the next paint, and at once when the user acts on it first: no key lands in the sent text, Enter again sends nothing', async () => {
    await mount('parley-composer')
    const seen = recordEvents()
    await userEvent.type(field(), 'Hi')
    const textarea = field().element() as HTMLTextAreaElement
    const options = { bubbles: true, composed: true, cancelable: true }
    const enter = () => textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', ...options }))
    // What the browser does for a typed character or a paste: beforeinput, the edit, input.
    const insert = (text: string) => {
      textarea.dispatchEvent(new InputEvent('beforeinput', { inputType: 'insertText', data: text, ...options }))
      textarea.setRangeText(text, textarea.selectionStart, textarea.selectionEnd, 'end')
      textarea.dispatchEvent(new InputEvent('input', { inputType: 'insertText', data: text, bubbles: true, composed: true }))
    }
    const sends = () => details(seen.filter((event) => event.type === 'parley-send'))
    // All in one task, before any frame: Enter, Enter again, then a character without a keydown (a paste).
    enter()
    enter()
    insert('x')
    expect(textarea.value).toBe('x')
    expect(sends()).toEqual([['parley-send', { text: 'Hi' }]])
    await new Promise((resolve) => requestAnimationFrame(resolve))
    expect(textarea.value).toBe('x')
    await expect.element(sendButton()).toBeEnabled()
    // And a key after a send: the field is emptied before the key is handled.
    enter()
    textarea.dispatchEvent(new KeyboardEvent('keydown', { key: 'y', ...options }))
    insert('y')
    expect(textarea.value).toBe('y')
    await new Promise((resolve) => requestAnimationFrame(resolve))
    expect(textarea.value).toBe('y')
    expect(sends()).toEqual([
      ['parley-send', { text: 'Hi' }],
      ['parley-send', { text: 'x' }],
    ])
    // The draft ended once per send, before the next draft started.
    expect(details(seen.filter((event) => event.type === 'parley-draft')).slice(-4)).toEqual([
      ['parley-draft', { active: false }],
      ['parley-draft', { active: true }],
      ['parley-draft', { active: false }],
      ['parley-draft', { active: true }],
    ])
  })

  it('adds a line on Shift+Enter, and the Send button sends both lines', async () => {
    await mount('parley-composer')
    const seen = recordEvents()
    await userEvent.type(field(), 'one{Shift>}{Enter}{/Shift}two')
    expect(seen.filter((event) => event.type === 'parley-send')).toEqual([])
    await userEvent.click(sendButton())
    expect(details(seen.filter((event) => event.type === 'parley-send'))).toEqual([['parley-send', { text: 'one\ntwo' }]])
  })

  it('does not send a blank draft', async () => {
    await mount('parley-composer')
    const seen = recordEvents()
    await userEvent.type(field(), '   {Enter}')
    expect(seen.filter((event) => event.type === 'parley-send')).toEqual([])
    await expect.element(sendButton()).toBeDisabled()
  })

  it('says why an over-long draft cannot be sent, and keeps it', async () => {
    await mount('parley-composer')
    const seen = recordEvents()
    const text = 'x'.repeat(MAX_MESSAGE_CHARS + 1)
    await userEvent.fill(field(), text)
    await userEvent.keyboard('{Enter}')
    await expect.element(field()).toHaveAttribute('aria-invalid', 'true')
    await expect.element(field()).toHaveAccessibleDescription('Too long to send: 4,001 of 4,000 characters.')
    await expect.element(sendButton()).toBeDisabled()
    await expect.element(field()).toHaveValue(text)
    expect(seen.filter((event) => event.type === 'parley-send')).toEqual([])
  })

  it('ends the draft when the user clears the field or leaves it', async () => {
    await mount('parley-composer')
    const seen = recordEvents()
    await userEvent.type(field(), 'a{Backspace}')
    expect(details(seen)).toEqual([
      ['parley-draft', { active: true }],
      ['parley-draft', { active: false }],
    ])
    seen.length = 0
    await userEvent.type(field(), 'b')
    await userEvent.tab()
    expect(details(seen)).toEqual([
      ['parley-draft', { active: true }],
      ['parley-draft', { active: false }],
    ])
  })

  it('does not send on the Enter that confirms an IME composition', async () => {
    await mount('parley-composer')
    const seen = recordEvents()
    await userEvent.click(field())
    // What an input method does: an open composition, then Enter to confirm it.
    const session = cdp()
    await session.send('Input.imeSetComposition', { text: 'にほん', selectionStart: 3, selectionEnd: 3 })
    await userEvent.keyboard('{Enter}')
    expect(seen.filter((event) => event.type === 'parley-send')).toEqual([])
    // The input method commits. (Without a real one, the Enter above also left a line break.)
    await session.send('Input.insertText', { text: '日本' })
    const committed = (field().element() as HTMLTextAreaElement).value
    expect(committed).toContain('日本')
    await userEvent.keyboard('{Enter}')
    expect(details(seen.filter((event) => event.type === 'parley-send'))).toEqual([['parley-send', { text: committed }]])
  })

  it('focus() moves keyboard focus to the message field', async () => {
    const composer = await mount('parley-composer')
    composer.focus()
    expect(composer.shadowRoot?.activeElement).toBe(field().element())
  })
})

describe('parley-composer attach button under a mouse', () => {
  it('stays put while hovered (its note shows without moving it), so a click reaches it and opens the picker', async () => {
    // Anchored at the bottom, as the chat holds it: a note pushing a row below would lift the button from under the pointer.
    const frame = document.createElement('div')
    frame.style.cssText = 'display: flex; flex-direction: column; justify-content: flex-end; height: 300px'
    document.body.append(frame)
    onTestFinished(() => frame.remove())
    const composer = await mount('parley-composer', () => {}, frame)
    const attach = page.getByRole('button', { name: 'Attach a file' })
    const button = attach.element() as HTMLElement
    const before = button.getBoundingClientRect()
    await userEvent.hover(attach)
    const note = composer.shadowRoot?.querySelector('#file-note') as HTMLElement
    await expect.poll(() => note.getBoundingClientRect().width).toBeGreaterThan(100)
    const hovered = button.getBoundingClientRect()
    expect([hovered.x, hovered.y]).toEqual([before.x, before.y])
    const picker = composer.shadowRoot?.querySelector('input[type=file]') as HTMLInputElement
    let opened = 0
    // The real picker would wait on a dialog; counting the click the button passes on is enough.
    picker.addEventListener('click', (event) => {
      opened++
      event.preventDefault()
    })
    await userEvent.click(attach)
    expect(opened).toBe(1)
  })
})
