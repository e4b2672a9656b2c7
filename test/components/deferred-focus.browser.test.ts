// A focus given later, in Chromium: it lands where the keyboard has not moved, lapses where it
// has (even within one shadow root, which fires no focus event outside it), and survives a render
// that removed the focused element, before and after the page put the keyboard back.
import { describe, expect, it, onTestFinished } from 'vitest'
import { askFocus, restoreFocus } from '../../src/components/deferred-focus.js'

/** A shadow root with buttons a, b and c (as a component's own controls), and a field outside it. */
function controls() {
  const host = document.createElement('div')
  const root = host.attachShadow({ mode: 'open' })
  const [a, b, c] = ['a', 'b', 'c'].map((name) => {
    const button = document.createElement('button')
    button.textContent = name
    root.append(button)
    return button
  })
  const outside = document.createElement('input')
  document.body.append(host, outside)
  onTestFinished(() => {
    host.remove()
    outside.remove()
  })
  return { root, a, b, c, outside }
}

/** The element with the keyboard, through shadow roots. */
function focused(): Element | null {
  let element = document.activeElement
  while (element?.shadowRoot?.activeElement != null) element = element.shadowRoot.activeElement
  return element
}

describe('askFocus', () => {
  it('lands when the keyboard is still where it was asked, once', () => {
    const { a, b, c } = controls()
    a.focus()
    const request = askFocus()
    expect(request.land(b)).toBe(true)
    expect(focused()).toBe(b)
    expect(request.land(c)).toBe(false)
    expect(focused()).toBe(b)
  })

  it('lapses when the keyboard went to another element, in the same shadow root or out of it', () => {
    const { a, b, c, outside } = controls()
    a.focus()
    const within = askFocus()
    b.focus()
    expect(within.land(c)).toBe(false)
    expect(focused()).toBe(b)
    const across = askFocus()
    outside.focus()
    expect(across.land(c)).toBe(false)
    expect(focused()).toBe(outside)
  })

  it('gives way to a newer request', () => {
    const { a, b, c } = controls()
    a.focus()
    const older = askFocus()
    const newer = askFocus()
    expect(older.land(b)).toBe(false)
    expect(newer.land(c)).toBe(true)
    expect(focused()).toBe(c)
  })

  it('lands when a render removed the focused element and nothing has the keyboard, not once the user has put it somewhere', () => {
    const { a, b, c, outside } = controls()
    a.focus()
    const lost = askFocus()
    a.remove()
    expect(focused()).toBe(document.body)
    expect(lost.land(b)).toBe(true)
    expect(focused()).toBe(b)
    const moved = askFocus()
    b.remove()
    outside.focus()
    expect(moved.land(c)).toBe(false)
    expect(focused()).toBe(outside)
  })

  it('follows the keyboard that restoreFocus put back in place of a removed element, and only that', () => {
    const { a, b, c, outside } = controls()
    a.focus()
    const request = askFocus()
    a.remove()
    restoreFocus(b)
    expect(request.land(c)).toBe(true)
    expect(focused()).toBe(c)
    const later = askFocus()
    c.remove()
    restoreFocus(b)
    outside.focus()
    expect(later.land(b)).toBe(false)
    expect(focused()).toBe(outside)
  })

  it('is not moved by restoreFocus while the element it expects is still there', () => {
    const { a, b, c } = controls()
    a.focus()
    const request = askFocus()
    restoreFocus(b)
    expect(request.land(c)).toBe(false)
    expect(focused()).toBe(b)
  })
})
