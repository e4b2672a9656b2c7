// <parley-members> on its own in Chromium: the heading and its level, and what each entry
// says about a user (you, tabs, typing, unverified, fingerprint).
import { describe, expect, it } from 'vitest'
import { page } from 'vitest/browser'
import '../../src/components/parley-members.js'
import { keyOf, member, mount } from './browser-fixtures.js'

const list = () => page.getByRole('list', { name: 'Members' })

describe('parley-members', () => {
  it('shows an empty list under a level-3 "Online · 0" heading by default', async () => {
    const members = await mount('parley-members')
    expect(members.members).toEqual([])
    expect(members.headingLevel).toBe(3)
    await expect.element(page.getByRole('heading', { name: 'Online · 0', level: 3 })).toBeVisible()
    expect(list().elements()).toHaveLength(1)
    expect(list().getByRole('listitem').elements()).toEqual([])
  })

  it('takes the heading level from the heading-level attribute, without reflecting the property', async () => {
    const members = await mount('parley-members', (element) => {
      element.setAttribute('heading-level', '4')
    })
    expect(members.headingLevel).toBe(4)
    await expect.element(page.getByRole('heading', { name: 'Online · 0', level: 4 })).toBeVisible()
    members.headingLevel = 5
    await expect.element(page.getByRole('heading', { name: 'Online · 0', level: 5 })).toBeVisible()
    expect(members.getAttribute('heading-level')).toBe('4')
  })

  it('says "Not connected" instead of "Online" when the chat says so', async () => {
    const members = await mount('parley-members', (element) => {
      element.heading = 'Not connected'
      element.members = [member('Ann', { key: keyOf('A'), isSelf: true })]
    })
    await expect.element(page.getByRole('heading', { name: 'Not connected · 1', level: 3 })).toBeVisible()
    members.heading = 'Online'
    await expect.element(page.getByRole('heading', { name: 'Online · 1', level: 3 })).toBeVisible()
  })

  it('lists each member in order, with you, tab counts, typing and fingerprints', async () => {
    await mount('parley-members', (element) => {
      element.members = [member('Ann', { key: keyOf('A'), isSelf: true, tabs: 2 }), member('Bo', { key: keyOf('B'), typing: true })]
    })
    await expect.element(page.getByRole('heading', { name: 'Online · 2' })).toBeVisible()
    const items = list().getByRole('listitem')
    expect(items.elements()).toHaveLength(2)
    await expect.element(items.nth(0)).toHaveTextContent(/^Ann\s*\(you\)\s*2 tabs\s*0000 0000 0000$/)
    // The typing mark is a pencil for the eye and the word "typing" for screen readers.
    await expect.element(items.nth(1)).toHaveTextContent(/^Bo\s*✎ typing\s*0410 4104 1041$/)
    await expect.element(items.nth(1).getByTitle('typing')).toBeVisible()
  })

  it('keeps "(you)" and "2 tabs" each on one line beside a long name, in a panel as narrow as the chat gives it', async () => {
    // Seen on the site over plain http at 1280 px: "⚠ Bob (unverified)" left "2 tabs" in two lines, "2" above "tabs".
    const members = await mount('parley-members', (element) => {
      element.members = [member('Bob', { verdict: 'unverified', isSelf: true, tabs: 2 })]
      element.style.width = '208px'
    })
    const lines = (selector: string): number => {
      const range = document.createRange()
      range.selectNodeContents(members.shadowRoot?.querySelector(selector) as Node)
      return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size
    }
    expect(lines('.you')).toBe(1)
    expect(lines('.tabs')).toBe(1)
  })

  it('marks a member whose presence is not signed by their key', async () => {
    await mount('parley-members', (element) => {
      element.members = [member('Mallory', { verdict: 'unverified' })]
    })
    await expect.element(list().getByRole('listitem')).toHaveTextContent(/⚠ Mallory \(unverified\)/)
  })

  it("lists an impostor of a user apart, without the user's fingerprint", async () => {
    await mount('parley-members', (element) => {
      element.members = [member('Alice', { key: keyOf('A') }), member('Alice', { key: keyOf('A'), verdict: 'unverified' })]
    })
    const items = list().getByRole('listitem')
    expect(items.elements()).toHaveLength(2)
    await expect.element(items.nth(0)).toHaveTextContent(/^Alice\s*0000 0000 0000$/)
    await expect.element(items.nth(1)).toHaveTextContent(/^⚠ Alice \(unverified\)$/)
  })

  it('shows a member whose claim is being checked without name, colour or fingerprint', async () => {
    const members = await mount('parley-members', (element) => {
      element.members = [member('Alice', { key: keyOf('B'), verdict: 'pending' })]
    })
    const item = list().getByRole('listitem')
    await expect.element(item).toHaveTextContent(/^Checking signature…$/)
    await expect.element(item).not.toHaveTextContent(/Alice|0410/)
    expect(members.shadowRoot?.querySelector<HTMLElement>('.dot')?.style.length).toBe(0)
    members.members = [member('Alice', { key: keyOf('B'), verdict: 'verified' })]
    await expect.element(item).toHaveTextContent(/^Alice\s*0410 4104 1041$/)
  })
})
