// Where the user writes a message: Enter sends, Shift+Enter adds a line, IME-safe.
// Over-long drafts are not cut: the reason is shown and Send is disabled. Typing @ offers the
// members' names to complete (a listbox the field points at; arrows, Tab or Enter, Escape).
// A file is attached with the paperclip button, pasted or dropped; one over MAX_FILE_BYTES is refused here.
import { LitElement, css, html, nothing, svg } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { MAX_FILE_BYTES, MAX_MESSAGE_CHARS, canSign, draftProblem } from '../room/index.js'
import { beforeNextPaint } from '../tasks/index.js'
import { intent } from './events.js'
import { LazyModule } from './lazy-part.js'
import type { MentionQuery } from './mention-completion.js'
import { lightTheme, sharedStyles } from './shared-styles.js'

const numberFormat = new Intl.NumberFormat('en')
/** Completing @mentions: its code loads when the user first types an @ (lazy-part.ts). */
const mentionCompletion = new LazyModule(() => import('./mention-completion.js'))
/** The attach button's icon: drawn, not an emoji, so it shows where no emoji font is installed. */
const PAPERCLIP = svg`<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l8.6-8.6a3.7 3.7 0 0 1 5.2 5.2l-8.6 8.6a1.8 1.8 0 0 1-2.6-2.6l7.9-7.9"/></svg>`
const BYTES_PER_MB = 1024 * 1024
/** What the attach button says about files: the limit, and where the bytes live. */
const FILE_NOTE = `Files up to ${MAX_FILE_BYTES / BYTES_PER_MB} MB, sent peer to peer: others can fetch one only while someone who has it is online.`
/** Said instead where the page cannot sign or hash (plain http). */
const FILE_NOTE_INSECURE = 'Sharing files needs a secure (https) page.'

/** The completion list offered for the @query at the caret. */
interface Completion {
  mention: MentionQuery
  options: string[]
  /** Index of the highlighted option. */
  active: number
}

/**
 * The message composer.
 * @fires parley-send - the user sent a message
 * @fires parley-draft - the user started typing (`active: true`) or left the draft (blur; a send, just before the next paint)
 * @fires parley-attach - the user attached, pasted or dropped a file within MAX_FILE_BYTES
 * @csspart textarea - the message field
 * @csspart send - the send button
 * @csspart attach - the button that attaches a file
 * @cssprop --parley-input-background - background of the field
 * @cssprop --parley-input-border - border of the field
 * @cssprop --parley-muted - placeholder text
 * @cssprop --parley-accent - the send button
 * @cssprop --parley-on-accent - text on the send button
 * @cssprop --parley-focus - the focus ring
 * @cssprop --parley-error - the reason a draft cannot be sent
 * @cssprop --parley-surface - background of the list of names to mention
 * @cssprop --parley-border-color - border of that list
 */
@customElement('parley-composer')
export class ParleyComposer extends LitElement {
  // The attach button's note shows above the form, out of its flow: a row added below lifted the
  // bottom-anchored button from under the pointer, which lost its hover; it flickered, and clicks missed it.
  static override styles = [
    sharedStyles,
    css`
    :host { display: block; }
    form { position: relative; display: grid; grid-template-columns: 1fr auto auto; gap: 0.5rem; align-items: end; }
    .attach { display: inline-flex; align-items: center; padding: 0.6rem 0.7rem; background: transparent; color: inherit; border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); }
    .attach:is(:hover, :focus-visible) ~ .file-note { width: auto; height: auto; clip-path: none; margin: 0; left: 0; right: 0; bottom: calc(100% + 0.25rem);
      padding: 0.15rem 0; background: var(--parley-background, ${lightTheme.background}); color: var(--parley-muted, ${lightTheme.muted}); font-size: 0.85em; }
    label { grid-column: 1 / -1; }
    textarea { font: inherit; resize: none; box-sizing: border-box; min-height: 2.75rem; max-height: 10rem; padding: 0.6rem 0.7rem;
      border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); border-radius: 8px; field-sizing: content;
      background: var(--parley-input-background, ${lightTheme.inputBackground}); color: inherit; }
    textarea::placeholder { color: var(--parley-muted, ${lightTheme.muted}); opacity: 1; }
    button { font: inherit; box-sizing: border-box; min-height: 2.75rem; padding: 0.6rem 1.1rem; border: 0; border-radius: 8px; cursor: pointer;
      background: var(--parley-accent, ${lightTheme.accent}); color: var(--parley-on-accent, ${lightTheme.onAccent}); }
    button:disabled { opacity: 0.55; cursor: not-allowed; }
    .problem { grid-column: 1 / -1; margin: 0; color: var(--parley-error, ${lightTheme.error}); font-size: 0.9em; }
    [role='listbox'] { position: absolute; bottom: 100%; left: 0; z-index: 1; margin: 0 0 0.25rem; padding: 0.25rem; list-style: none;
      min-width: 12rem; max-width: 100%; box-sizing: border-box; border-radius: 8px;
      border: 1px solid var(--parley-border-color, ${lightTheme.borderColor}); background: var(--parley-surface, ${lightTheme.surface}); }
    [role='option'] { padding: 0.35rem 0.6rem; border-radius: 6px; cursor: pointer; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    [role='option'][aria-selected='true'] { background: var(--parley-accent, ${lightTheme.accent}); color: var(--parley-on-accent, ${lightTheme.onAccent}); }
  `,
  ]

  @query('textarea') private textarea!: HTMLTextAreaElement
  @query('input[type=file]') private picker!: HTMLInputElement
  @state() private draft = ''
  @state() private completion: Completion | null = null
  /** Why the last file could not be attached ('' when it could). */
  @state() private fileProblem = ''
  /** Names the user may @mention (the other members'), in the order offered. */
  @property({ attribute: false }) mentionable: readonly string[] = []
  /** The @ of a query whose list the user closed (Escape) or completed: not offered again. */
  #dismissedAt = -1
  /** Whether the field still holds a draft that was sent: it is emptied before the next paint (see #send). */
  #sentDraft = false

  /** Offers names for the @query at the caret, if any and any match. */
  #updateCompletion(): void {
    const field = this.textarea
    const mentions = mentionCompletion.module
    if (mentions === undefined) {
      this.completion = null
      // The first @ loads the completion; the list opens then, if the field still has the keyboard.
      if (field.value.includes('@'))
        mentionCompletion.load().then(
          () => {
            if (this.shadowRoot?.activeElement === field) this.#updateCompletion()
          },
          () => undefined, // no list is offered: the draft and sending work as before
        )
      return
    }
    const { matchingNames, mentionQueryAt } = mentions
    const mention = field.selectionStart === field.selectionEnd ? mentionQueryAt(field.value, field.selectionStart) : null
    if (mention === null || mention.start !== this.#dismissedAt) this.#dismissedAt = -1
    const options = mention === null || this.#dismissedAt !== -1 ? [] : matchingNames(this.mentionable, mention.query)
    if (mention === null || options.length === 0) {
      this.completion = null
      return
    }
    const previous = this.completion?.options[this.completion.active]
    this.completion = { mention, options, active: Math.max(0, previous === undefined ? 0 : options.indexOf(previous)) }
  }

  #pick(index: number): void {
    const completion = this.completion
    const name = completion?.options[index]
    const mentions = mentionCompletion.module
    if (completion === null || name === undefined || mentions === undefined) return
    const field = this.textarea
    const next = mentions.completeMention(field.value, completion.mention, field.selectionStart, name)
    field.value = next.draft
    field.setSelectionRange(next.caret, next.caret)
    this.draft = next.draft
    this.#dismissedAt = completion.mention.start
    this.completion = null
    field.focus()
  }

  /** Keys of the open completion list; returns whether the key was for it. */
  #completionKey(event: KeyboardEvent): boolean {
    const completion = this.completion
    if (completion === null || event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return false
    const count = completion.options.length
    switch (event.key) {
      case 'ArrowDown':
        this.completion = { ...completion, active: (completion.active + 1) % count }
        return true
      case 'ArrowUp':
        this.completion = { ...completion, active: (completion.active - 1 + count) % count }
        return true
      case 'Enter':
      case 'Tab':
        if (event.shiftKey) return false
        this.#pick(completion.active)
        return true
      case 'Escape':
        this.#dismissedAt = completion.mention.start
        this.completion = null
        return true
      default:
        return false
    }
  }

  #onInput(): void {
    this.#clearSent()
    const wasEmpty = this.draft.length === 0
    this.draft = this.textarea.value
    this.#updateCompletion()
    if (this.draft.length > 0) this.dispatchEvent(intent('parley-draft', { active: true }))
    else if (!wasEmpty) this.dispatchEvent(intent('parley-draft', { active: false }))
  }

  #onKeydown(event: KeyboardEvent): void {
    this.#clearSent()
    if (this.#completionKey(event)) {
      event.preventDefault()
      event.stopPropagation()
      return
    }
    // While an IME composition is open, Enter confirms the composition, never sends.
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return
    event.preventDefault()
    this.#send()
  }

  /** The caret moved without input (arrow keys, a click): the query it is in may differ. */
  #onCaretMove(): void {
    if (this.#sentDraft) return // the caret in a sent draft, emptied before the next paint
    if (this.completion !== null || this.draft.includes('@')) this.#updateCompletion()
  }

  #onBlur(): void {
    this.#clearSent()
    this.completion = null
    this.dispatchEvent(intent('parley-draft', { active: false }))
  }

  /** Hands the first of `files` up, or says why it cannot be shared. */
  #attach(files: FileList | null | undefined): void {
    const file = files?.[0]
    if (file === undefined || !canSign()) return
    this.fileProblem =
      file.size > MAX_FILE_BYTES
        ? `${file.name} is ${numberFormat.format(Math.ceil(file.size / BYTES_PER_MB))} MB: files up to ${MAX_FILE_BYTES / BYTES_PER_MB} MB can be shared.`
        : ''
    if (this.fileProblem === '') this.dispatchEvent(intent('parley-attach', { file }))
  }

  #onPicked(): void {
    this.#clearSent()
    this.#attach(this.picker.files)
    this.picker.value = ''
  }

  #onPaste(event: ClipboardEvent): void {
    this.#clearSent()
    if ((event.clipboardData?.files.length ?? 0) === 0) return
    event.preventDefault()
    this.#attach(event.clipboardData?.files)
  }

  #onDragOver(event: DragEvent): void {
    if (event.dataTransfer?.types.includes('Files')) event.preventDefault()
  }

  #onDrop(event: DragEvent): void {
    this.#clearSent()
    if ((event.dataTransfer?.files.length ?? 0) === 0) return
    event.preventDefault()
    this.#attach(event.dataTransfer?.files)
  }

  #onSubmit(event: SubmitEvent): void {
    event.preventDefault()
    this.#send()
  }

  #send(): void {
    this.#clearSent()
    if (draftProblem(this.draft) !== null) return
    const text = this.draft
    this.dispatchEvent(intent('parley-send', { text }))
    // The rest waits until just before the next paint. The message's signature settles within
    // this task, but its update can leave only once this handler has returned: emptying the field
    // (0.2 ms: the browser lays the field out again), the draft's end and this element's render
    // would all go first (BENCHMARKS.md, "send → rendered"). The user sees the field empty in the
    // same frame as before; whatever they do to the field before that frame empties it first, so
    // that no key lands in the sent text and Enter again sends nothing.
    this.#sentDraft = true
    beforeNextPaint(() => this.#clearSent())
  }

  /** Empties the field of a draft that was sent, and ends the draft; nothing when there is none. */
  #clearSent(): void {
    if (!this.#sentDraft) return
    this.#sentDraft = false
    this.draft = ''
    if (this.textarea) this.textarea.value = ''
    this.completion = null
    this.dispatchEvent(intent('parley-draft', { active: false }))
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#clearSent()
  }

  /** The draft in the field, not yet sent. */
  get draftText(): string {
    return this.#sentDraft ? '' : this.draft
  }

  /** Replaces the draft in the field (the chat swaps drafts as it changes rooms); fires nothing. */
  set draftText(text: string) {
    this.#sentDraft = false
    this.draft = text
    if (this.textarea) this.textarea.value = text
    this.completion = null
  }

  /** Moves keyboard focus to the message field. */
  override focus(): void {
    this.textarea?.focus()
  }

  override render() {
    const problem = draftProblem(this.draft)
    const tooLong = problem === 'too-long'
    const completion = this.completion
    return html`
      <form @submit=${this.#onSubmit} @dragover=${this.#onDragOver} @drop=${this.#onDrop}>
        <label class="visually-hidden" for="message">Message</label>
        <textarea id="message" part="textarea" rows="1" placeholder="Write a message…"
          aria-invalid=${tooLong ? 'true' : 'false'} aria-describedby="problem" aria-autocomplete="list"
          aria-controls=${completion === null ? nothing : 'mention-options'}
          aria-activedescendant=${completion === null ? nothing : `mention-option-${completion.active}`}
          @beforeinput=${this.#clearSent} @input=${this.#onInput} @keydown=${this.#onKeydown} @keyup=${this.#onCaretMove} @click=${this.#onCaretMove}
          @blur=${this.#onBlur} @paste=${this.#onPaste}></textarea>
        ${
          completion === null
            ? nothing
            : html`<ul id="mention-options" role="listbox" aria-label="Mention someone">${completion.options.map(
                (name, index) =>
                  html`<li id="mention-option-${index}" role="option" aria-selected=${index === completion.active ? 'true' : 'false'}
                    @mousedown=${(event: MouseEvent) => {
                      // Keep the focus (and the caret) in the field.
                      event.preventDefault()
                      this.#pick(index)
                    }}>${name}</li>`,
              )}</ul>`
        }
        <button part="attach" class="attach" type="button" aria-label="Attach a file" aria-describedby="file-note" ?disabled=${!canSign()}
          @click=${() => this.picker.click()}>${PAPERCLIP}</button>
        <input type="file" hidden @change=${this.#onPicked}>
        <button part="send" type="submit" ?disabled=${problem !== null}>Send</button>
        <p class="visually-hidden file-note" id="file-note">${canSign() ? FILE_NOTE : FILE_NOTE_INSECURE}</p>
        <p class="problem" id="problem" aria-live="polite">${
          tooLong
            ? `Too long to send: ${numberFormat.format(this.draft.length)} of ${numberFormat.format(MAX_MESSAGE_CHARS)} characters.`
            : this.fileProblem
        }</p>
        <p class="visually-hidden" aria-live="polite">${
          completion === null
            ? ''
            : `${completion.options.length} ${completion.options.length === 1 ? 'name' : 'names'} to mention: arrow keys to choose, Tab to pick.`
        }</p>
      </form>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-composer': ParleyComposer
  }
}
