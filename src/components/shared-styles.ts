// What the styles of every Parley element share: one set of fallback colours (parley-chat's
// light theme), the focus ring, and a class that hides text from the eye but not from readers.
import { css, unsafeCSS } from 'lit'

/**
 * The light theme: parley-chat's defaults, and each element's fallback for a `--parley-*`
 * property nobody set, so an element used on its own looks as it does in a light chat.
 */
export const lightTheme = {
  background: unsafeCSS('#ffffff'),
  surface: unsafeCSS('#f5f6f8'),
  text: unsafeCSS('#1f2328'),
  muted: unsafeCSS('#5c6370'),
  borderColor: unsafeCSS('#d8dce2'),
  inputBackground: unsafeCSS('#ffffff'),
  inputBorder: unsafeCSS('#868c96'),
  accent: unsafeCSS('#2456c9'),
  onAccent: unsafeCSS('#ffffff'),
  focus: unsafeCSS('#2456c9'),
  error: unsafeCSS('#b3261e'),
  /** OKLCH lightness (0–1) of author names and member dots. */
  authorLightness: unsafeCSS('0.48'),
} as const

/** The ring around whatever has keyboard focus. */
export const focusRing = css`
  :focus-visible { outline: 2px solid var(--parley-focus, ${lightTheme.focus}); outline-offset: 2px; }
`

/** `.visually-hidden`: out of sight, still read by screen readers. */
export const visuallyHidden = css`
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
`

/** The styles every Parley element starts from, before its own. */
export const sharedStyles = [focusRing, visuallyHidden]
