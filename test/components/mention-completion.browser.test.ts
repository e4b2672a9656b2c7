// Completing @mentions in <parley-composer>, in Chromium, by keyboard: the listbox the field
// points at, arrow keys to move, Tab or Enter to pick (never sending), Escape to close.
import { describe, expect, it, onTestFinished } from 'vitest'
import { page, userEvent } from 'vitest/browser'
import '../../src/components/parley-composer.js'
import { details, mount, recordEvents } from './browser-fixtures.js'

const field = () => page.getByRole('textbox', { name: 'Message' })
const listbox = () => page.getByRole('listbox', { name: 'Mention someone' })
const options = () =>
  page
    .getByRole('option')
    .elements()
    .map((option) => option.textContent)
const selected = () => page.getByRole('option', { selected: true }).element().textContent

/** A composer low on the page, as in a chat: the list of names opens above the field. */
function mountComposer() {
  const below = document.createElement('div')
  below.style.paddingTop = '20rem'
  document.body.append(below)
  onTestFinished(() => below.remove())
  return mount(
    'parley-composer',
    (element) => {
      element.mentionable = ['Ann Lee', 'Bob', 'Zoë', 'Annette']
    },
    below,
  )
}

describe('mention completion', () => {
  it('offers matching names as a listbox the field points at; arrows move, Tab picks', async () => {
    await mountComposer()
    await userEvent.type(field(), 'hi @an')
    await expect.element(listbox()).toBeVisible()
    expect(options()).toEqual(['Ann Lee', 'Annette'])
    const textarea = field().element()
    expect(textarea.getAttribute('aria-autocomplete')).toBe('list')
    expect(textarea.getAttribute('aria-controls')).toBe(listbox().element().id)
    expect(textarea.getAttribute('aria-activedescendant')).toBe(page.getByRole('option', { selected: true }).element().id)
    expect(selected()).toBe('Ann Lee')
    await userEvent.keyboard('{ArrowDown}')
    expect(selected()).toBe('Annette')
    await userEvent.keyboard('{ArrowDown}')
    expect(selected()).toBe('Ann Lee')
    await userEvent.keyboard('{ArrowUp}')
    expect(selected()).toBe('Annette')
    expect(textarea.getAttribute('aria-activedescendant')).toBe(page.getByRole('option', { selected: true }).element().id)
    await userEvent.keyboard('{Tab}')
    await expect.element(field()).toHaveValue('hi @Annette ')
    await expect.element(listbox()).not.toBeInTheDocument()
    expect(textarea.hasAttribute('aria-activedescendant')).toBe(false)
    expect(document.activeElement?.shadowRoot?.activeElement).toBe(textarea)
  })

  it('picks on Enter without sending, then Enter sends; names with spaces and accents complete whole', async () => {
    await mountComposer()
    const seen = recordEvents()
    await userEvent.type(field(), '@zo')
    expect(options()).toEqual(['Zoë'])
    await userEvent.keyboard('{Enter}')
    await expect.element(field()).toHaveValue('@Zoë ')
    await userEvent.type(field(), 'and @lee')
    expect(options()).toEqual(['Ann Lee'])
    await userEvent.keyboard('{Enter}')
    await expect.element(field()).toHaveValue('@Zoë and @Ann Lee ')
    expect(seen.filter((event) => event.type === 'parley-send')).toEqual([])
    await userEvent.keyboard('{Enter}')
    expect(details(seen.filter((event) => event.type === 'parley-send'))).toEqual([['parley-send', { text: '@Zoë and @Ann Lee ' }]])
  })

  it('closes on Escape and stays closed for that @, offers nothing for a name no member has', async () => {
    await mountComposer()
    await userEvent.type(field(), '@b')
    await expect.element(listbox()).toBeVisible()
    await userEvent.keyboard('{Escape}')
    await expect.element(listbox()).not.toBeInTheDocument()
    await userEvent.type(field(), 'o')
    await expect.element(listbox()).not.toBeInTheDocument()
    await userEvent.keyboard('{Enter}')
    await expect.element(field()).toHaveValue('')
    await userEvent.type(field(), '@Mallory')
    await expect.element(listbox()).not.toBeInTheDocument()
  })

  it('picks a name clicked with the mouse, keeping the focus in the field', async () => {
    await mountComposer()
    await userEvent.type(field(), '@')
    expect(options()).toEqual(['Ann Lee', 'Bob', 'Zoë', 'Annette'])
    await userEvent.click(page.getByRole('option', { name: 'Bob' }))
    await expect.element(field()).toHaveValue('@Bob ')
    expect(document.activeElement?.shadowRoot?.activeElement).toBe(field().element())
  })
})
