// The events Parley's elements fire for user intent, typed for addEventListener.
// Each is prefixed, bubbles and is composed, so an embedding page can listen on the host.

/** Detail of `parley-send`: the text the user asked to send. */
export interface SendDetail {
  text: string
}
/** Detail of `parley-name`: the display name the user picked. */
export interface NameDetail {
  name: string
}
/** Detail of `parley-draft`: the user typed (`active`) or stopped (blur, send). */
export interface DraftDetail {
  active: boolean
}

/** Creates an intent event the way every Parley element fires them. */
export function intent<T>(type: string, detail: T): CustomEvent<T> {
  return new CustomEvent<T>(type, { detail, bubbles: true, composed: true })
}

declare global {
  interface HTMLElementEventMap {
    'parley-send': CustomEvent<SendDetail>
    'parley-name': CustomEvent<NameDetail>
    'parley-draft': CustomEvent<DraftDetail>
  }
}
