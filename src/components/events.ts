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

/** Detail of `parley-edit`: the user saved a new text for their message `id`. */
export interface EditDetail {
  id: string
  text: string
}
/** Detail of `parley-delete`, `parley-reply-to`: the message the user picked. */
export interface MessageIdDetail {
  id: string
}
/** Detail of `parley-react`: the user added (`on`) or took back a reaction. */
export interface ReactDetail {
  id: string
  emoji: string
  on: boolean
}

/** Detail of `parley-attach`: the file the user attached, pasted or dropped. */
export interface AttachDetail {
  file: File
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
    'parley-edit': CustomEvent<EditDetail>
    'parley-delete': CustomEvent<MessageIdDetail>
    'parley-react': CustomEvent<ReactDetail>
    'parley-reply-to': CustomEvent<MessageIdDetail>
    'parley-attach': CustomEvent<AttachDetail>
  }
}
