// Asks for a display name on the first visit, or a new one when the user changes it; the chat
// element stores it. Validation mirrors the room's rule so the user sees why a name is refused.
import { LitElement, css, html } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { MAX_NAME_CHARS, cleanName } from '../room/index.js'
import { intent } from './events.js'
import { lightTheme, sharedStyles } from './shared-styles.js'

/**
 * A one-field form for the user's display name.
 * @fires parley-name - the user submitted a usable name
 * @fires parley-name-cancel - the user kept their name (Cancel or Escape; only when `cancellable`)
 * @csspart form - the form
 * @cssprop --parley-input-background - background of the field
 * @cssprop --parley-input-border - border of the field
 * @cssprop --parley-accent - the Join button
 * @cssprop --parley-on-accent - text on the Join button
 * @cssprop --parley-focus - the focus ring
 * @cssprop --parley-error - the reason a name is refused
 */
@customElement('parley-name-form')
export class ParleyNameForm extends LitElement {
  static override styles = [
    sharedStyles,
    css`
    :host { display: block; }
    form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; padding: 1.5rem; }
    label { display: flex; flex-direction: column; gap: 0.25rem; font-weight: 600; }
    input { font: inherit; padding: 0.5rem 0.6rem; border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder});
      border-radius: 6px; min-width: 14rem; background: var(--parley-input-background, ${lightTheme.inputBackground}); color: inherit; }
    button { font: inherit; padding: 0.5rem 1rem; border: 0; border-radius: 6px; cursor: pointer;
      background: var(--parley-accent, ${lightTheme.accent}); color: var(--parley-on-accent, ${lightTheme.onAccent}); }
    button.cancel { background: transparent; color: inherit; border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); }
    .error { flex-basis: 100%; margin: 0; color: var(--parley-error, ${lightTheme.error}); }
  `,
  ]

  @query('input') private input!: HTMLInputElement
  @state() private error = ''
  /** The name shown when the form opens. */
  @property() value = ''
  /** Whether the user may keep the name they have (a rename): Cancel and Escape then close the form. */
  @property({ type: Boolean }) cancellable = false

  /** Moves keyboard focus to the name field. */
  override focus(): void {
    this.input?.focus()
  }

  #cancel(): void {
    // Not composed: only the chat that opened the form listens; the page hears of names, not of this.
    this.dispatchEvent(new Event('parley-name-cancel'))
  }

  #onKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Escape' || !this.cancellable) return
    event.preventDefault()
    this.#cancel()
  }

  #submit(event: SubmitEvent): void {
    event.preventDefault()
    const name = cleanName(this.input.value)
    if (name === null) {
      this.error = `Pick a name of 1 to ${MAX_NAME_CHARS} characters.`
      return
    }
    this.error = ''
    this.dispatchEvent(intent('parley-name', { name }))
  }

  override render() {
    return html`
      <form part="form" @submit=${this.#submit} @keydown=${this.#onKeydown}>
        <label>Your name
          <input name="name" autocomplete="nickname" maxlength=${MAX_NAME_CHARS} .value=${this.value}
            aria-invalid=${this.error ? 'true' : 'false'} aria-describedby="name-error" required>
        </label>
        <button type="submit">Join</button>
        ${this.cancellable ? html`<button type="button" class="cancel" @click=${this.#cancel}>Cancel</button>` : ''}
        <p class="error" id="name-error" role="alert">${this.error}</p>
      </form>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-name-form': ParleyNameForm
  }
}
