// The one way Parley's templates set inline styles: each property a template may set takes a
// value of its own branded type, so nothing a peer sends can type-check into a style.
import { styleMap, type StyleInfo } from 'lit/directives/style-map.js'
import type { CssColor } from '../room/index.js'

declare const cssPixelsBrand: unique symbol

/** A length in CSS pixels made by `pixels` from a finite number. */
export type CssPixels = string & { readonly [cssPixelsBrand]: true }

/**
 * The inline style properties templates set, each with the only type it accepts: colours made
 * by colorFor (from a user id, on this device), lengths computed here. Add a property here, with
 * a branded type, before binding it; string-built `style` attributes are refused by the linter
 * (lint/no-string-styles.grit).
 */
export interface SafeStyle {
  /** A member's dot in the members list. */
  '--member-color'?: CssColor
  /** A message's author name. */
  '--author-color'?: CssColor
  height?: CssPixels
}

/** A length of `count` CSS pixels; anything but a finite number becomes 0px. */
export function pixels(count: number): CssPixels {
  return `${Number.isFinite(count) ? count : 0}px` as CssPixels
}

/** A `style` binding (Lit's styleMap) that sets only properties of SafeStyle, with their branded values. */
export function safeStyle(style: SafeStyle) {
  const info: StyleInfo = { ...style }
  return styleMap(info)
}
