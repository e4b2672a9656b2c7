// "Copy invite link" for a room, with the system share sheet where the browser has one, and
// a field to copy the link by hand where the page may not use the clipboard (plain http).
import { LitElement, css, html, nothing, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { askFocus, type FocusRequest } from './deferred-focus.js'
import { lightTheme, sharedStyles } from './shared-styles.js'

/** Next to the button in a private room: its key is in the link. */
export const PRIVATE_INVITE_NOTE = 'Anyone with this link can read the room.'
/** Said (to screen readers too) once the link is on the clipboard. */
export const INVITE_COPIED = 'Link copied.'
/** Why the link is shown in a field on a page that is not a secure context. */
export const INSECURE_COPY_REASON =
  'This page cannot copy for you: the clipboard needs a secure connection (https, or localhost), ' +
  'and this is plain http. The link is selected: copy it yourself (Ctrl+C, ⌘C, or long-press).'
/** Why the link is shown in a field when the browser refused to copy it. */
export const REFUSED_COPY_REASON =
  'The browser did not let this page copy. The link is selected: copy it yourself (Ctrl+C, ⌘C, or long-press).'

/**
 * The invite controls of a room: "Copy invite link", "Share invite link" (only where
 * `navigator.share` exists), and for a private room a note that the link lets anyone in.
 * Fires no events: copying and sharing are between the user and their browser.
 * @cssprop --parley-accent - the buttons
 * @cssprop --parley-muted - the note and the status line
 * @cssprop --parley-text - the link field's text
 * @cssprop --parley-input-background - background of the link field
 * @cssprop --parley-input-border - border of the link field
 * @cssprop --parley-focus - the focus ring
 */
@customElement('parley-invite')
export class ParleyInvite extends LitElement {
  static override styles = [
    sharedStyles,
    css`
    :host { display: block; }
    .row { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.15rem 0.75rem; font-size: 0.9rem; }
    button { font: inherit; background: none; border: 0; padding: 0; cursor: pointer;
      color: var(--parley-accent, ${lightTheme.accent}); text-decoration: underline; text-underline-offset: 0.15em; }
    .note, .status, .why { color: var(--parley-muted, ${lightTheme.muted}); font-size: 0.85rem; }
    .fallback { display: flex; flex-direction: column; gap: 0.25rem; margin-top: 0.35rem; font-size: 0.85rem; }
    label { font-weight: 600; }
    input { font: inherit; box-sizing: border-box; width: 100%; min-width: 0; padding: 0.3rem 0.45rem;
      border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); border-radius: 6px;
      background: var(--parley-input-background, ${lightTheme.inputBackground}); color: var(--parley-text, ${lightTheme.text}); }
    .why { margin: 0; }
  `,
  ]

  @query('input') private field?: HTMLInputElement
  /** What the last copy or share did, for the live status line. */
  @state() private status = ''
  /** Why the link is shown to copy by hand; null while it is not. */
  @state() private fallback: string | null = null
  /** The URL that opens the room; nothing is shown while it is empty. */
  @property() link = ''
  /** Whether the link carries a private room's key: adds the note that anyone with it can read the room. */
  @property({ attribute: 'private-room', type: Boolean }) privateRoom = false

  override willUpdate(changed: PropertyValues<this>): void {
    // Another room: what was said about the last link no longer holds.
    if (changed.has('link') && changed.get('link') !== undefined) {
      this.status = ''
      this.fallback = null
    }
  }

  async #copy(): Promise<void> {
    const link = this.link
    const request = askFocus()
    this.status = ''
    if (!window.isSecureContext || navigator.clipboard === undefined) {
      await this.#showField(INSECURE_COPY_REASON, request)
      return
    }
    try {
      await navigator.clipboard.writeText(link)
      this.fallback = null
      this.status = INVITE_COPIED
    } catch {
      // Refused (no permission, page not focused): the field is the way left.
      await this.#showField(REFUSED_COPY_REASON, request)
    }
  }

  async #share(): Promise<void> {
    const request = askFocus()
    this.status = ''
    try {
      await navigator.share({ title: 'Join me on Parley', url: this.link })
    } catch (error) {
      // Closing the sheet is the user's choice, not a failure.
      if (error instanceof DOMException && error.name === 'AbortError') return
      await this.#showField(REFUSED_COPY_REASON, request)
    }
  }

  /** Shows the link to copy by hand, and puts the keyboard there with it selected if `request` still stands. */
  async #showField(reason: string, request: FocusRequest): Promise<void> {
    this.fallback = reason
    await this.updateComplete
    if (request.land(this.field)) this.field?.select()
  }

  #selectAll(event: Event): void {
    ;(event.target as HTMLInputElement).select()
  }

  override render() {
    if (this.link === '') return nothing
    const canShare = typeof navigator.share === 'function'
    return html`
      <div class="row">
        <button type="button" aria-describedby=${this.privateRoom ? 'invite-note' : nothing} @click=${this.#copy}>Copy invite link</button>
        ${canShare ? html`<button type="button" @click=${this.#share}>Share invite link</button>` : nothing}
        ${this.privateRoom ? html`<span class="note" id="invite-note">${PRIVATE_INVITE_NOTE}</span>` : nothing}
        <span class="status" aria-live="polite">${this.status}</span>
      </div>
      ${
        this.fallback === null
          ? nothing
          : html`
        <div class="fallback">
          <label for="invite-field">Invite link</label>
          <input id="invite-field" readonly .value=${this.link} aria-describedby="invite-why" @focus=${this.#selectAll} @click=${this.#selectAll}>
          <p class="why" id="invite-why">${this.fallback}</p>
        </div>`
      }`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-invite': ParleyInvite
  }
}
