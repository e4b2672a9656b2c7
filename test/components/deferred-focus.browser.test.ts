// A focus given later, in Chromium: it lands where the keyboard has not moved, lapses where it
// has (even within one shadow root, which fires no focus event outside it), and survives a render
// that removed the focused element, before and after the page put the keyboard back.
import { describe, expect, it, onTestFinished } from 'vitest'
import { askFocus, restoreFocus, type FocusRequest } from '../../src/components/deferred-focus.js'

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

/** Whether `request` landed on `target`, and where the keyboard is then: a button's name, else the element's tag. */
function landing(request: FocusRequest, target: HTMLElement): [boolean, string] {
  const landed = request.land(target)
  const now = focused()
  return [landed, (now?.localName === 'button' ? now.textContent : now?.localName) ?? '']
}

describe('askFocus', () => {
  it('lands when the keyboard is still where it was asked, once', () => {
    const { a, b, c } = controls()
    a.focus()
    const request = askFocus()
    expect(landing(request, b)).toEqual([true, 'b'])
    expect(landing(request, c)).toEqual([false, 'b'])
  })

  it('lapses when the keyboard went to another element, in the same shadow root or out of it', () => {
    const { a, b, c, outside } = controls()
    a.focus()
    const within = askFocus()
    b.focus()
    expect(landing(within, c)).toEqual([false, 'b'])
    const across = askFocus()
    outside.focus()
    expect(landing(across, c)).toEqual([false, 'input'])
  })

  it('gives way to a newer request', () => {
    const { a, b, c } = controls()
    a.focus()
    const older = askFocus()
    const newer = askFocus()
    expect(older.land(b)).toBe(false)
    expect(landing(newer, c)).toEqual([true, 'c'])
  })

  it('lands when a render removed the focused element and nothing has the keyboard, not once the user has put it somewhere', () => {
    const { a, b, c, outside } = controls()
    a.focus()
    const lost = askFocus()
    a.remove()
    expect(focused()).toBe(document.body)
    expect(landing(lost, b)).toEqual([true, 'b'])
    const moved = askFocus()
    b.remove()
    outside.focus()
    expect(landing(moved, c)).toEqual([false, 'input'])
  })

  it('follows the keyboard that restoreFocus put back in place of a removed element, and only that', () => {
    const { a, b, c, outside } = controls()
    a.focus()
    const request = askFocus()
    a.remove()
    restoreFocus(b)
    expect(landing(request, c)).toEqual([true, 'c'])
    const later = askFocus()
    c.remove()
    restoreFocus(b)
    outside.focus()
    expect(landing(later, b)).toEqual([false, 'input'])
  })

  it('is not moved by restoreFocus while the element it expects is still there', () => {
    const { a, b, c } = controls()
    a.focus()
    const request = askFocus()
    restoreFocus(b)
    expect(landing(request, c)).toEqual([false, 'b'])
  })
})
