// Focus given later (after a render, the log's next frame, a module load, a refused copy) lands
// only if the keyboard is still where it was when asked: a fast keyboard user on a slow device keeps it.

/** A focus asked for now and given later. */
export interface FocusRequest {
  /** Focuses `target` if the request still stands (see askFocus); returns whether it did. */
  land(target: HTMLElement | null | undefined, options?: FocusOptions): boolean
}

/**
 * The newest request not yet landed, and the element it expects the keyboard on: only it may
 * land. Compared at landing, not followed by events: a focus moving within one shadow root
 * (a message to the chat's header) fires no focus event outside it.
 */
let standing: { at: Element | null } | null = null

/** The element with the keyboard, looking through open shadow roots; null when none (the body). */
function innermostFocused(): Element | null {
  let element = document.activeElement
  while (element?.shadowRoot?.activeElement != null) element = element.shadowRoot.activeElement
  return element === document.body ? null : element
}

/**
 * Asks to move the keyboard once something is ready: call it when the user acts, before any
 * await. It lapses when the keyboard is on another element by then (Tab, a click, a screen
 * reader), or a newer request was made; not when a render removed the focused element.
 */
export function askFocus(): FocusRequest {
  const request = { at: innermostFocused() }
  standing = request
  return {
    land(target, options) {
      if (standing !== request || target == null) return false
      standing = null
      const now = innermostFocused()
      // Nothing has the keyboard because a render removed the element that had it: not a move.
      const lost = now === null && request.at !== null && !request.at.isConnected
      if (now !== request.at && !lost) return false
      target.focus(options)
      return true
    },
  }
}

/**
 * Puts the keyboard on `element` in place of a focused element a render removed; a request
 * that expected the keyboard on the removed one now expects it there.
 */
export function restoreFocus(element: HTMLElement, options?: FocusOptions): void {
  element.focus(options)
  if (standing?.at != null && !standing.at.isConnected) standing.at = element
}
