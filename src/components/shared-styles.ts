// What the styles of every Parley element share: one set of fallback colours (parley-chat's
// light theme), the focus ring, and a class that hides text from the eye but not from readers.
import { type CSSResult, css, unsafeCSS } from 'lit'

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

/** The colours of a theme, as CSS values. */
export type Theme = { readonly [Name in keyof typeof lightTheme]: CSSResult }

/** parley-chat's dark theme (`theme="dark"`, or `auto` on a system that prefers dark). */
export const darkTheme: Theme = {
  background: unsafeCSS('#15171c'),
  surface: unsafeCSS('#1c1f26'),
  text: unsafeCSS('#e7e9ed'),
  muted: unsafeCSS('#a2a9b4'),
  borderColor: unsafeCSS('#323844'),
  inputBackground: unsafeCSS('#0f1115'),
  inputBorder: unsafeCSS('#6f7683'),
  accent: unsafeCSS('#8ab0ff'),
  onAccent: unsafeCSS('#0b1220'),
  focus: unsafeCSS('#8ab0ff'),
  error: unsafeCSS('#ffb4ab'),
  authorLightness: unsafeCSS('0.8'),
}

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
