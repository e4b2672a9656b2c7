// The colour Parley draws a user in, derived on this device from their user id, never taken
// from a peer. `CssColor` is the only colour a style binding accepts, and only colorFor makes one.

declare const cssColorBrand: unique symbol

/**
 * A CSS colour made by colorFor: `hsl(<0–359> 65% 40%)`, nothing else. A plain string (say,
 * one a peer sent) does not type-check as one, so it cannot reach a style binding.
 */
export type CssColor = string & { readonly [cssColorBrand]: true }

/** A colour derived from the user id, so every peer shows the same colour for a user. */
export function colorFor(userId: string): CssColor {
  let hash = 0
  for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0
  return `hsl(${hash % 360} 65% 40%)` as CssColor
}
