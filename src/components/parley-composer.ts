// Where the user writes a message: Enter sends, Shift+Enter adds a line, IME-safe.
// Over-long drafts are not cut: the reason is shown and Send is disabled.
import { LitElement, css, html } from 'lit'
import { customElement, query, state } from 'lit/decorators.js'
import { MAX_MESSAGE_CHARS, draftProblem } from '../room/index.js'
import { intent } from './events.js'
import { lightTheme, sharedStyles } from './shared-styles.js'

const numberFormat = new Intl.NumberFormat('en')

/**
 * The message composer.
 * @fires parley-send - the user sent a message
 * @fires parley-draft - the user started typing (`active: true`) or left the draft (blur, send)
 * @csspart textarea - the message field
 * @csspart send - the send button
 * @cssprop --parley-input-background - background of the field
 * @cssprop --parley-input-border - border of the field
 * @cssprop --parley-muted - placeholder text
 * @cssprop --parley-accent - the send button
 * @cssprop --parley-on-accent - text on the send button
 * @cssprop --parley-focus - the focus ring
 * @cssprop --parley-error - the reason a draft cannot be sent
 */
@customElement('parley-composer')
export class ParleyComposer extends LitElement {
  static override styles = [
    sharedStyles,
    css`
    :host { display: block; }
    form { display: grid; grid-template-columns: 1fr auto; gap: 0.5rem; align-items: end; }
    label { grid-column: 1 / -1; }
    textarea { font: inherit; resize: none; box-sizing: border-box; min-height: 2.75rem; max-height: 10rem; padding: 0.6rem 0.7rem;
      border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); border-radius: 8px; field-sizing: content;
      background: var(--parley-input-background, ${lightTheme.inputBackground}); color: inherit; }
    textarea::placeholder { color: var(--parley-muted, ${lightTheme.muted}); opacity: 1; }
    button { font: inherit; box-sizing: border-box; min-height: 2.75rem; padding: 0.6rem 1.1rem; border: 0; border-radius: 8px; cursor: pointer;
      background: var(--parley-accent, ${lightTheme.accent}); color: var(--parley-on-accent, ${lightTheme.onAccent}); }
    button:disabled { opacity: 0.55; cursor: not-allowed; }
    .problem { grid-column: 1 / -1; margin: 0; color: var(--parley-error, ${lightTheme.error}); font-size: 0.9em; }
  `,
  ]

  @query('textarea') private textarea!: HTMLTextAreaElement
  @state() private draft = ''

  #onInput(): void {
    const wasEmpty = this.draft.length === 0
    this.draft = this.textarea.value
    if (this.draft.length > 0) this.dispatchEvent(intent('parley-draft', { active: true }))
    else if (!wasEmpty) this.dispatchEvent(intent('parley-draft', { active: false }))
  }

  #onKeydown(event: KeyboardEvent): void {
    // While an IME composition is open, Enter confirms the composition, never sends.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return
    event.preventDefault()
    this.#send()
  }

  #onBlur(): void {
    this.dispatchEvent(intent('parley-draft', { active: false }))
  }

  #onSubmit(event: SubmitEvent): void {
    event.preventDefault()
    this.#send()
  }

  #send(): void {
    if (draftProblem(this.draft) !== null) return
    const text = this.draft
    this.draft = ''
    this.textarea.value = ''
    this.dispatchEvent(intent('parley-draft', { active: false }))
    this.dispatchEvent(intent('parley-send', { text }))
  }

  /** Moves keyboard focus to the message field. */
  override focus(): void {
    this.textarea?.focus()
  }

  override render() {
    const problem = draftProblem(this.draft)
    const tooLong = problem === 'too-long'
    return html`
      <form @submit=${this.#onSubmit}>
        <label class="visually-hidden" for="message">Message</label>
        <textarea id="message" part="textarea" rows="1" placeholder="Write a message…"
          aria-invalid=${tooLong ? 'true' : 'false'} aria-describedby="problem"
          @input=${this.#onInput} @keydown=${this.#onKeydown} @blur=${this.#onBlur}></textarea>
        <button part="send" type="submit" ?disabled=${problem !== null}>Send</button>
        <p class="problem" id="problem" aria-live="polite">${
          tooLong
            ? `Too long to send: ${numberFormat.format(this.draft.length)} of ${numberFormat.format(MAX_MESSAGE_CHARS)} characters.`
            : ''
        }</p>
      </form>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-composer': ParleyComposer
  }
}
