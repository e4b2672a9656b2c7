// <parley-name-form> on its own in Chromium: the name it starts with, the parley-name event
// a usable name fires, the reason it gives for one it refuses, and how a rename is cancelled.
import { describe, expect, it } from 'vitest'
import { page, userEvent } from 'vitest/browser'
import '../../src/components/parley-name-form.js'
import { MAX_NAME_CHARS } from '../../src/room/index.js'
import { details, mount, recordEvents } from './browser-fixtures.js'

const field = () => page.getByRole('textbox', { name: 'Your name' })
const join = () => page.getByRole('button', { name: 'Join' })

describe('parley-name-form', () => {
  it('starts empty, with a required field of at most the longest name', async () => {
    const form = await mount('parley-name-form')
    expect(form.value).toBe('')
    await expect.element(field()).toHaveValue('')
    await expect.element(field()).toBeRequired()
    await expect.element(field()).toHaveAttribute('maxlength', String(MAX_NAME_CHARS))
  })

  it('shows the name given by the value attribute or property, without reflecting it', async () => {
    const form = await mount('parley-name-form', (element) => {
      element.setAttribute('value', 'Ann')
    })
    expect(form.value).toBe('Ann')
    await expect.element(field()).toHaveValue('Ann')
    form.value = 'Bo'
    await expect.element(field()).toHaveValue('Bo')
    expect(form.getAttribute('value')).toBe('Ann')
  })

  it('fires parley-name with the cleaned name on Enter; bubbling and composed', async () => {
    await mount('parley-name-form')
    const seen = recordEvents()
    await userEvent.type(field(), '  Ann   Lee {Enter}')
    expect(details(seen)).toEqual([['parley-name', { name: 'Ann Lee' }]])
    expect(seen[0]).toMatchObject({ bubbles: true, composed: true })
  })

  it('fires parley-name when Join is clicked', async () => {
    await mount('parley-name-form')
    const seen = recordEvents()
    await userEvent.fill(field(), 'Bo')
    await userEvent.click(join())
    expect(details(seen)).toEqual([['parley-name', { name: 'Bo' }]])
  })

  it('refuses a blank name with a reason, fires nothing, and clears the reason once fixed', async () => {
    await mount('parley-name-form')
    const seen = recordEvents()
    await userEvent.type(field(), '   {Enter}')
    await expect.element(page.getByRole('alert')).toHaveTextContent(`Pick a name of 1 to ${MAX_NAME_CHARS} characters.`)
    await expect.element(field()).toHaveAttribute('aria-invalid', 'true')
    expect(seen).toEqual([])
    await userEvent.type(field(), 'Cy{Enter}')
    await expect.element(field()).toHaveAttribute('aria-invalid', 'false')
    await expect.element(page.getByRole('alert')).toHaveTextContent('')
    expect(details(seen)).toEqual([['parley-name', { name: 'Cy' }]])
  })

  it('offers Cancel only when cancellable; Cancel and Escape fire parley-name-cancel, never parley-name', async () => {
    const form = await mount('parley-name-form', (element) => {
      element.value = 'Ann'
    })
    const cancels: Event[] = []
    form.addEventListener('parley-name-cancel', (event) => cancels.push(event))
    const seen = recordEvents()
    expect(page.getByRole('button', { name: 'Cancel' }).elements()).toEqual([])
    await userEvent.type(field(), '{Escape}')
    expect(cancels).toEqual([])
    form.cancellable = true
    await userEvent.click(page.getByRole('button', { name: 'Cancel' }))
    await userEvent.type(field(), 'x{Escape}')
    expect(cancels.length).toBe(2)
    // The page hears of names picked, not of a form closed inside the chat.
    expect(cancels.every((event) => !event.bubbles && !event.composed)).toBe(true)
    expect(seen).toEqual([])
  })

  it('fires nothing when the value is set by the page', async () => {
    const form = await mount('parley-name-form')
    const seen = recordEvents()
    form.value = 'Dee'
    await form.updateComplete
    expect(seen).toEqual([])
  })
})
