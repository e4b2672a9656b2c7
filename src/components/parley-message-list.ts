// The room's messages as a live log: follows new messages at the bottom, and stays put
// when the user has scrolled up to read. Text is rendered as text, never as HTML.
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, query } from 'lit/decorators.js'
import { repeat } from 'lit/directives/repeat.js'
import { colorFor } from '../room/identity.js'
import type { MessageRecord } from '../room/schema.js'
import type { Verdict } from '../room/verdicts.js'

/** A local line in the log ("Carol joined"), shown after the first `after` messages. */
export interface LogNotice {
  id: number
  text: string
  after: number
}

/** How close to the bottom, in pixels, still counts as "at the bottom". */
const STICK_TO_BOTTOM_PX = 32

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/**
 * A scrolling log of messages.
 * @csspart log - the scrolling container
 * @csspart message - one message
 * @cssprop --parley-muted - colour of times and notices
 * @cssprop --parley-author-lightness - OKLCH lightness of author names, each in its own hue (0–1)
 */
@customElement('parley-message-list')
export class ParleyMessageList extends LitElement {
  static override styles = css`
    :host { display: block; min-height: 0; }
    .log { height: 100%; overflow-y: auto; padding: 0.5rem 1rem; box-sizing: border-box; }
    .log:focus-visible { outline: 2px solid var(--parley-focus, #2456c9); outline-offset: -2px; }
    article { padding: 0.35rem 0; }
    .meta { display: flex; gap: 0.5rem; align-items: baseline; }
    .author { font-weight: 650; color: var(--author-color);
      color: oklch(from var(--author-color) var(--parley-author-lightness, 0.48) min(c, 0.14) h); }
    .author.pending { opacity: 0.6; }
    .author.unverified { color: var(--parley-error, #b3261e) !important; font-style: italic; }
    time { font-size: 0.8em; color: var(--parley-muted, #5f6368); }
    p { margin: 0.1rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
    .empty { color: var(--parley-muted, #5f6368); padding: 1rem 0; }
    .notice { color: var(--parley-muted, #5f6368); font-size: 0.9em; padding: 0.25rem 0; font-style: italic; }
  `

  @query('.log') private log!: HTMLElement
  /** Messages to show, oldest first. */
  @property({ attribute: false }) messages: readonly MessageRecord[] = []
  /** Presence lines, each placed after the messages that were there when it happened. */
  @property({ attribute: false }) notices: readonly LogNotice[] = []
  /** Whether each message's author is who it claims; unverified ones never show as that user. */
  @property({ attribute: false }) verdictOf: (message: MessageRecord) => Verdict = () => 'unverified'
  #atBottom = true

  #onScroll (): void {
    const log = this.log
    this.#atBottom = log.scrollHeight - log.scrollTop - log.clientHeight <= STICK_TO_BOTTOM_PX
  }

  override updated (changed: PropertyValues<this>): void {
    if ((changed.has('messages') || changed.has('notices')) && this.#atBottom) this.scrollToLatest()
  }

  /** Scrolls to the newest message and follows new ones again. */
  scrollToLatest (): void {
    this.log.scrollTop = this.log.scrollHeight
    this.#atBottom = true
  }

  override render () {
    return html`
      <div class="log" part="log" role="log" aria-label="Messages" tabindex="0" @scroll=${this.#onScroll}>
        ${this.messages.length === 0 && this.notices.length === 0 ? html`<div class="empty">No messages yet. Say hello!</div>` : ''}
        ${repeat(interleave(this.messages, this.notices), entry => entry.key, entry => 'notice' in entry
          ? html`<div class="notice">${entry.notice.text}</div>`
          : html`
          <article part="message">
            <div class="meta">
              ${authorLabel(entry.message, this.verdictOf(entry.message))}
              <time datetime=${new Date(entry.message.sentAt).toISOString()} title=${dateTimeFormat.format(entry.message.sentAt)}>${timeFormat.format(entry.message.sentAt)}</time>
            </div>
            <p>${entry.message.text}</p>
          </article>`)}
      </div>`
  }
}

/** The author as shown: a claim that failed (or was never signed) is marked, not trusted. */
function authorLabel (message: MessageRecord, verdict: Verdict) {
  if (verdict === 'unverified') {
    return html`<span class="author unverified" title="The signature of this message does not match its author">⚠ ${message.authorName} (unverified)</span>`
  }
  return html`<span class="author ${verdict}" style="--author-color: ${colorFor(message.authorId)}">${message.authorName}</span>`
}

type LogEntry = { key: string, message: MessageRecord } | { key: string, notice: LogNotice }

/** Messages and notices in display order; notices sorted by their anchor. */
function interleave (messages: readonly MessageRecord[], notices: readonly LogNotice[]): LogEntry[] {
  const entries: LogEntry[] = []
  let next = 0
  const sorted = [...notices].sort((a, b) => a.after - b.after || a.id - b.id)
  messages.forEach((message, index) => {
    while (next < sorted.length && sorted[next].after <= index) entries.push(noticeEntry(sorted[next++]))
    entries.push({ key: `m:${message.id}`, message })
  })
  while (next < sorted.length) entries.push(noticeEntry(sorted[next++]))
  return entries
}

function noticeEntry (notice: LogNotice): LogEntry {
  return { key: `n:${notice.id}`, notice }
}

declare global {
  interface HTMLElementTagNameMap { 'parley-message-list': ParleyMessageList }
}
