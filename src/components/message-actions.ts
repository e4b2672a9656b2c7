// The actions on a message, loaded on first use (lazy-part.ts): the panel (reactions, reply, edit,
// delete), the confirmation a deletion asks for, and the in-place editor.
import { html, nothing } from 'lit'
import { REACTION_EMOJI, type AnnotatedMessage } from '../room/index.js'

/** The question a deletion asks before it is sent. */
export const DELETE_QUESTION = 'Delete this message for everyone?'

/** What the panel of a message's actions can ask for. */
export interface ActionHandlers {
  react(emoji: string, on: boolean): void
  reply(): void
  edit(): void
  /** Delete was chosen: the list asks to confirm (`renderDeleteConfirm`). */
  remove(): void
  close(): void
}

/** What the confirmation of a deletion can answer. */
export interface ConfirmHandlers {
  confirm(): void
  cancel(): void
}

/** What the in-place editor can answer: the new text, or null to keep the old one. */
export type EditorHandler = (text: string | null) => void

/** Calls `act` on Escape, and keeps the key from closing anything further out. */
function onEscape(act: () => void) {
  return (event: KeyboardEvent): void => {
    if (event.key !== 'Escape') return
    event.preventDefault()
    event.stopPropagation()
    act()
  }
}

/** The open panel of a message's actions: reactions for any message, reply, and edit and delete for the user's own. */
export function renderActions(annotated: AnnotatedMessage, own: boolean, selfId: string, handlers: ActionHandlers) {
  return html`<div class="actions" role="group" aria-label="Message actions" @keydown=${onEscape(handlers.close)}>
    ${REACTION_EMOJI.map((emoji) => {
      const on = annotated.reactions.some((summary) => summary.emoji === emoji && summary.reactors.some((r) => r.authorId === selfId))
      return html`<button type="button" aria-label=${on ? `Remove reaction ${emoji}` : `React with ${emoji}`}
        @click=${() => handlers.react(emoji, !on)}>${emoji}</button>`
    })}
    <button type="button" @click=${handlers.reply}>Reply</button>
    ${
      own
        ? html`<button type="button" @click=${handlers.edit}>Edit</button><button type="button" class="delete" @click=${handlers.remove}>Delete</button>`
        : nothing
    }
  </div>`
}

/**
 * The inline question before a deletion, in place of the panel: a group named by the question,
 * "Delete" and "Cancel"; Escape cancels. The list moves the keyboard to "Cancel", the safe answer.
 */
export function renderDeleteConfirm(handlers: ConfirmHandlers) {
  return html`<div class="actions confirm" role="group" aria-label=${DELETE_QUESTION} @keydown=${onEscape(handlers.cancel)}>
    <span aria-hidden="true">${DELETE_QUESTION}</span>
    <button type="button" class="confirm-delete" @click=${handlers.confirm}>Delete</button>
    <button type="button" class="cancel" @click=${handlers.cancel}>Cancel</button>
  </div>`
}

/** The editor that replaces a message's text: Enter or Save saves, Escape or Cancel keeps the old text. */
export function renderEditor(original: string, done: EditorHandler) {
  const onKey = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault()
      event.stopPropagation()
      done(null)
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault()
      done((event.target as HTMLTextAreaElement).value)
    }
  }
  const save = (event: Event): void => {
    const editor = (event.target as HTMLElement).closest('.editor')
    done(editor?.querySelector('textarea')?.value ?? null)
  }
  return html`<div class="editor">
      <textarea aria-label="Edit message" .value=${original} @keydown=${onKey}></textarea>
      <div><button type="button" @click=${save}>Save</button><button type="button" @click=${() => done(null)}>Cancel</button></div>
    </div>`
}
