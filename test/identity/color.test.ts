// colorFor: the same colour for a user on every peer, and always one strict form, whatever
// the id a peer claims; CssColor cannot be made from a plain string.
import { describe, expect, it } from 'vitest'
import { colorFor, type CssColor } from '../../src/identity/color.js'

/** The only form colorFor produces: nothing in it can end a declaration or open a url(). */
const STRICT_HSL = /^hsl\((?:\d|[1-9]\d|[12]\d\d|3[0-5]\d) 65% 40%\)$/

describe('colorFor', () => {
  it('gives every peer the same colour for a user, and different users different ones', () => {
    expect(colorFor('abc')).toBe(colorFor('abc'))
    expect(colorFor('abc')).not.toBe(colorFor('abd'))
  })

  it('is one strict hsl() form for any id, hostile ones included', () => {
    const ids = [
      '',
      'abc',
      'A'.repeat(43),
      'red;position:fixed;inset:0;z-index:9',
      'x);background:url(//attacker/p',
      '"><img src=x onerror=alert(1)>',
      '\u0000\uffff\ud800',
      'é'.repeat(256),
    ]
    for (const id of ids) expect(colorFor(id)).toMatch(STRICT_HSL)
  })

  it('is the only way to make a CssColor', () => {
    // @ts-expect-error a plain string, such as one a peer sent, is not a CssColor
    const forged: CssColor = 'red;position:fixed'
    expect(forged).not.toMatch(STRICT_HSL)
  })
})
