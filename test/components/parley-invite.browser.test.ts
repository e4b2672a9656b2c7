// <parley-invite> in Chromium: which controls it shows (share only where the browser has a
// share sheet), what it puts on the clipboard, and the copy-by-hand field when copying is refused.
import { describe, expect, it, onTestFinished } from 'vitest'
import { page, userEvent } from 'vitest/browser'
import '../../src/components/parley-invite.js'
import { INVITE_COPIED, PRIVATE_INVITE_NOTE, REFUSED_COPY_REASON, type ParleyInvite } from '../../src/components/parley-invite.js'
import { mount, recordEvents } from './browser-fixtures.js'

const LINK = 'https://parley.example/?x=1#room=Xy3_-9aBcDeF&key=AbCdEfGhIjKlMnOpQr-_09'
const copyButton = () => page.getByRole('button', { name: 'Copy invite link' })
const shareButton = () => page.getByRole('button', { name: 'Share invite link' })
const field = () => page.getByRole('textbox', { name: 'Invite link' })

/**
 * Puts `value` in place of one of navigator's members for this test (the browser's clipboard
 * and share sheet are outside the element; the end-to-end tests use the real clipboard).
 */
function replaceNavigator(member: 'share' | 'clipboard', value: unknown): void {
  const own = Object.getOwnPropertyDescriptor(navigator, member)
  Object.defineProperty(navigator, member, { value, configurable: true })
  onTestFinished(() => {
    if (own === undefined) Reflect.deleteProperty(navigator, member)
    else Object.defineProperty(navigator, member, own)
  })
}

function mountInvite(init: (invite: ParleyInvite) => void = () => {}): Promise<ParleyInvite> {
  return mount('parley-invite', (invite) => {
    invite.link = LINK
    init(invite)
  })
}

describe('parley-invite', () => {
  it('shows nothing without a link', async () => {
    const invite = await mountInvite((each) => {
      each.link = ''
    })
    expect(invite.shadowRoot?.children.length).toBe(0)
    expect(copyButton().elements()).toEqual([])
  })

  it('in a public room: the button alone, no note about the key', async () => {
    await mountInvite()
    await expect.element(copyButton()).toBeVisible()
    expect(page.getByText(PRIVATE_INVITE_NOTE).elements()).toEqual([])
  })

  it('in a private room: says next to the button that anyone with the link can read the room', async () => {
    await mountInvite((each) => {
      each.privateRoom = true
    })
    await expect.element(page.getByText(PRIVATE_INVITE_NOTE)).toBeVisible()
    await expect.element(copyButton()).toHaveAccessibleDescription(PRIVATE_INVITE_NOTE)
  })

  it('copies the link to the clipboard, says so, and fires no event', async () => {
    const written: string[] = []
    replaceNavigator('clipboard', { writeText: async (text: string) => void written.push(text) })
    const seen = recordEvents()
    await mountInvite()
    await userEvent.click(copyButton())
    await expect.element(page.getByText(INVITE_COPIED)).toBeVisible()
    expect(written).toEqual([LINK])
    expect(field().elements()).toEqual([])
    expect(seen).toEqual([])
  })

  it('when the browser refuses to copy, shows the link selected in a field, and says why', async () => {
    replaceNavigator('clipboard', { writeText: () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')) })
    const invite = await mountInvite()
    await userEvent.click(copyButton())
    await expect.element(field()).toHaveValue(LINK)
    await expect.element(field()).toHaveAccessibleDescription(REFUSED_COPY_REASON)
    const input = field().element() as HTMLInputElement
    expect(invite.shadowRoot?.activeElement).toBe(input)
    expect([input.selectionStart, input.selectionEnd]).toEqual([0, LINK.length])
    expect(input.readOnly).toBe(true)
    // Another room: the field for the old link goes.
    invite.link = `${LINK.split('#')[0]}#other`
    await expect.poll(() => field().elements().length).toBe(0)
  })

  it('offers no share button where the browser has no share sheet', async () => {
    replaceNavigator('share', undefined)
    await mountInvite()
    await expect.element(copyButton()).toBeVisible()
    expect(shareButton().elements()).toEqual([])
  })

  it('opens the share sheet with the link where there is one; closing it is not an error', async () => {
    const shared: ShareData[] = []
    let answer: () => Promise<void> = async () => {}
    replaceNavigator('share', (data: ShareData) => {
      shared.push(data)
      return answer()
    })
    await mountInvite()
    await userEvent.click(shareButton())
    expect(shared).toEqual([{ title: 'Join me on Parley', url: LINK }])
    answer = () => Promise.reject(new DOMException('Share canceled', 'AbortError'))
    await userEvent.click(shareButton())
    await expect.poll(() => shared.length).toBe(2)
    expect(field().elements()).toEqual([])
    // A share sheet that fails leaves the copy-by-hand field.
    answer = () => Promise.reject(new DOMException('No share targets', 'NotAllowedError'))
    await userEvent.click(shareButton())
    await expect.element(field()).toHaveValue(LINK)
  })
})
