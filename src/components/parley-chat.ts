// The whole chat for one room: asks for a name, then shows the log and the composer.
// It is the element embedders use; the site's entry only points it at the URL's room.
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import {
  DEFAULT_ROOM, cleanName, colorFor, loadIdentity, loadSigner, resolveIceServers, resolveSignalingUrl, saveName,
  type Author, type Identity, type MessageRecord, type Signer,
} from '../room/index.js'
import type { DraftDetail, NameDetail, SendDetail } from './events.js'
import { RoomController } from './room-controller.js'
import { UnreadController } from './unread-controller.js'
import { profileStore } from './storage.js'
import type { ParleyComposer } from './parley-composer.js'
import './parley-composer.js'
import './parley-members.js'
import './parley-message-list.js'
import './parley-name-form.js'

/** Colour themes: `auto` follows the system's light or dark preference. */
export type ChatTheme = 'auto' | 'light' | 'dark'

/** The line that marks where unread messages start in the log. */
export const UNREAD_MARKER_TEXT = 'New messages'
/** Notice id of the unread marker; presence notices count up from 0. */
const UNREAD_MARKER_ID = -1
/** Heading levels an element may use for the room name. */
const MIN_HEADING_LEVEL = 1
const MAX_HEADING_LEVEL = 5

/**
 * A peer-to-peer chat room.
 *
 * Colours: every `--parley-*` property below is optional; an unset one takes the theme's
 * value (light, dark, or following `prefers-color-scheme`; see `theme`). A value set by
 * the page applies in both themes.
 *
 * @fires parley-send - the user sent a message (`detail.text`)
 * @fires parley-name - the user picked a display name (`detail.name`)
 * @fires parley-draft - the user started (`detail.active`) or stopped typing
 * @csspart header - the bar with the room name
 * @csspart log - the message log
 * @csspart composer - the message composer
 * @csspart members - the members panel
 * @cssprop --parley-font - font family
 * @cssprop --parley-font-size - base font size (default 1rem)
 * @cssprop --parley-background - background of the chat
 * @cssprop --parley-surface - background of the header and the members panel
 * @cssprop --parley-text - text colour
 * @cssprop --parley-muted - secondary text: times, notices, counts
 * @cssprop --parley-border-color - lines between the parts
 * @cssprop --parley-input-background - background of text fields
 * @cssprop --parley-input-border - border of text fields
 * @cssprop --parley-accent - buttons and links
 * @cssprop --parley-on-accent - text on accent-coloured buttons
 * @cssprop --parley-focus - the focus ring
 * @cssprop --parley-error - error messages
 * @cssprop --parley-author-lightness - OKLCH lightness of author names (0–1)
 * @cssprop --parley-max-height - tallest the chat grows when the page gives it no height (default 100dvh)
 */
@customElement('parley-chat')
export class ParleyChat extends LitElement {
  static override styles = css`
    :host { display: block; }
    /* Theme defaults, overridden by --parley-* set by the page. */
    .chat {
      color-scheme: light;
      --_d-background: #ffffff; --_d-surface: #f5f6f8; --_d-text: #1f2328; --_d-muted: #5c6370;
      --_d-border-color: #d8dce2; --_d-input-background: #ffffff; --_d-input-border: #868c96;
      --_d-accent: #2456c9; --_d-on-accent: #ffffff; --_d-focus: #2456c9; --_d-error: #b3261e;
      --_d-author-lightness: 0.48;
    }
    .chat.dark {
      color-scheme: dark;
      --_d-background: #15171c; --_d-surface: #1c1f26; --_d-text: #e7e9ed; --_d-muted: #a2a9b4;
      --_d-border-color: #323844; --_d-input-background: #0f1115; --_d-input-border: #6f7683;
      --_d-accent: #8ab0ff; --_d-on-accent: #0b1220; --_d-focus: #8ab0ff; --_d-error: #ffb4ab;
      --_d-author-lightness: 0.8;
    }
    @media (prefers-color-scheme: dark) {
      .chat.auto {
        color-scheme: dark;
        --_d-background: #15171c; --_d-surface: #1c1f26; --_d-text: #e7e9ed; --_d-muted: #a2a9b4;
        --_d-border-color: #323844; --_d-input-background: #0f1115; --_d-input-border: #6f7683;
        --_d-accent: #8ab0ff; --_d-on-accent: #0b1220; --_d-focus: #8ab0ff; --_d-error: #ffb4ab;
        --_d-author-lightness: 0.8;
      }
    }
    /* The page's value if set, else the theme's. */
    .chat {
      --_background: var(--parley-background, var(--_d-background));
      --_surface: var(--parley-surface, var(--_d-surface));
      --_text: var(--parley-text, var(--_d-text));
      --_muted: var(--parley-muted, var(--_d-muted));
      --_border-color: var(--parley-border-color, var(--_d-border-color));
      --_input-background: var(--parley-input-background, var(--_d-input-background));
      --_input-border: var(--parley-input-border, var(--_d-input-border));
      --_accent: var(--parley-accent, var(--_d-accent));
      --_on-accent: var(--parley-on-accent, var(--_d-on-accent));
      --_focus: var(--parley-focus, var(--_d-focus));
      --_error: var(--parley-error, var(--_d-error));
      --_author-lightness: var(--parley-author-lightness, var(--_d-author-lightness));
    }
    /* Handed down under the public names, so the inner elements follow the theme too. */
    .chat > * {
      --parley-background: var(--_background); --parley-surface: var(--_surface);
      --parley-text: var(--_text); --parley-muted: var(--_muted);
      --parley-border-color: var(--_border-color); --parley-input-background: var(--_input-background);
      --parley-input-border: var(--_input-border); --parley-accent: var(--_accent);
      --parley-on-accent: var(--_on-accent); --parley-focus: var(--_focus); --parley-error: var(--_error);
      --parley-author-lightness: var(--_author-lightness);
    }
    .chat {
      /* Inherited text styles of the page stop here. */
      all: initial;
      display: flex; flex-direction: column; box-sizing: border-box;
      height: 100%; min-height: 18rem; max-height: var(--parley-max-height, 100dvh);
      container-type: inline-size;
      background: var(--_background); color: var(--_text);
      font-family: var(--parley-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
      font-size: var(--parley-font-size, 1rem); line-height: 1.45; text-align: start;
    }
    header { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 1rem; row-gap: 0.25rem;
      padding: 0.6rem 1rem; background: var(--_surface); border-bottom: 1px solid var(--_border-color); }
    .title { margin: 0; font-size: 1.15rem; font-weight: 650; overflow-wrap: anywhere; }
    .who { margin-left: auto; display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.25rem 0.75rem;
      font-size: 0.9rem; color: var(--_muted); }
    .who strong { color: var(--_text); }
    .link { font: inherit; background: none; border: 0; color: var(--_accent); cursor: pointer;
      text-decoration: underline; text-underline-offset: 0.15em; padding: 0; }
    :focus-visible { outline: 2px solid var(--_focus); outline-offset: 2px; border-radius: 2px; }
    .body { flex: 1; min-height: 0; display: flex; }
    .conversation { flex: 1; min-width: 0; display: flex; flex-direction: column; }
    parley-message-list { flex: 1; }
    parley-members { width: 13rem; flex: none; padding: 0.75rem 1rem; overflow-y: auto;
      background: var(--_surface); border-left: 1px solid var(--_border-color); }
    .typing { min-height: 1.3em; margin: 0; padding: 0 1rem; font-size: 0.85rem; color: var(--_muted); }
    parley-composer { padding: 0.4rem 1rem 0.8rem; }
    @container (max-width: 600px) {
      .body { flex-direction: column-reverse; }
      parley-members { width: auto; max-height: 5.5rem; padding: 0.5rem 1rem; border-left: 0;
        border-top: 1px solid var(--_border-color); }
      parley-members::part(list) { flex-direction: row; flex-wrap: wrap; column-gap: 1.25rem; }
    }
  `

  @query('parley-composer') private composer?: ParleyComposer
  @state() private identity: Identity = loadIdentity(profileStore())
  @state() private renaming = false
  /** This profile's signing keys: undefined while loading, null where the page cannot sign. */
  @state() private signer: Signer | null | undefined = undefined
  /** Room name; the default room when empty. Changing it moves the element to that room. */
  @property() room = DEFAULT_ROOM
  /**
   * A private room's secret: it encrypts signaling, and only people who have it can find
   * each other. Empty for a public room. Keep it out of anything sent to a server.
   */
  @property() secret = ''
  /** Signaling server URL (ws: or wss:); defaults to the page's configuration. */
  @property() signaling = ''
  /** Display name; when set, the name form is skipped and nothing is stored. */
  @property() name = ''
  /** `light`, `dark`, or `auto` (the default): follow the system's preference. */
  @property() theme: ChatTheme = 'auto'
  /**
   * While the page is hidden, show the unread count in the document title and, once the
   * user turns them on (a button in the header), system notifications for new messages.
   */
  @property({ type: Boolean }) notify = false
  /**
   * Accessible name of the chat's region, "Chat: <room>" when empty. Two chats of one room
   * on a page need different labels to tell their landmarks apart.
   */
  @property() label = ''
  /** Level (1–5) of the room name's heading, to fit the page's outline; the default is 2. */
  @property({ attribute: 'heading-level', type: Number }) headingLevel = 2
  /** STUN/TURN servers; undefined uses the page's configuration (`?ice=`, build setting). */
  @property({ attribute: false }) iceServers?: RTCIceServer[]
  #room = new RoomController(this)
  #unread = new UnreadController(this)

  /** The room's messages, oldest first: a snapshot, taken on each read. */
  get messages (): readonly MessageRecord[] {
    return this.#room.messages.slice()
  }

  /**
   * Calls `listener` with each message new to this tab, sent here or by others, or loaded from
   * this browser's storage; it follows the element to whichever room it shows. Returns an
   * unsubscribe. (A method, not an event: Parley's events are for user intent only.)
   */
  onMessage (listener: (message: MessageRecord) => void): () => void {
    return this.#room.onMessage(listener)
  }

  override willUpdate (changed: PropertyValues<this>): void {
    const author = this.#author()
    // Wait for the keys: the user id is their fingerprint, and must not change once shown.
    if (this.signer !== undefined) this.#room.setUser(author === null ? null : { ...author, color: colorFor(author.userId) })
    if (changed.has('room') || changed.has('secret') || changed.has('signaling') || changed.has('iceServers')) {
      this.#room.setRoom({
        name: this.#roomName(),
        secret: this.secret || null,
        signalingUrls: [this.signaling || resolveSignalingUrl(location, import.meta.env.PARLEY_SIGNALING_URL)],
        iceServers: this.iceServers ?? resolveIceServers(location, import.meta.env.PARLEY_ICE_SERVERS),
      })
    }
    this.#unread.update({
      messages: this.#room.messages, selfId: this.#author()?.userId ?? this.identity.userId, room: this.#roomName(), notify: this.notify,
    })
  }

  #roomName (): string {
    return this.room.trim() || DEFAULT_ROOM
  }

  override connectedCallback (): void {
    super.connectedCallback()
    if (this.signer === undefined) {
      loadSigner().then(signer => { this.signer = signer }, () => { this.signer = null })
    }
  }

  #author (): Author | null {
    const name = cleanName(this.name) ?? this.identity.name
    if (name === null) return null
    return { userId: this.signer?.userId ?? this.identity.userId, name, signer: this.signer ?? null }
  }

  #onName (event: CustomEvent<NameDetail>): void {
    const next = saveName(profileStore(), this.identity, event.detail.name)
    if (next !== null) this.identity = next
    this.renaming = false
    this.updateComplete.then(() => this.composer?.focus())
  }

  #onSend (event: CustomEvent<SendDetail>): void {
    this.send(event.detail.text)
  }

  #onDraft (event: CustomEvent<DraftDetail>): void {
    this.#room.draft(event.detail.active)
  }

  /** Sends a message as the current user; returns false when it cannot be sent. */
  send (text: string): boolean {
    const author = this.#author()
    if (author === null || this.#room.room === null) return false
    this.#room.send(author, text)
    this.#unread.clear()
    return true
  }

  override render () {
    const author = this.#author()
    const asking = author === null || this.renaming
    const room = this.#roomName()
    const level = Math.min(MAX_HEADING_LEVEL, Math.max(MIN_HEADING_LEVEL, Math.trunc(this.headingLevel) || 2))
    const theme = this.theme === 'light' || this.theme === 'dark' ? this.theme : 'auto'
    const notices = this.#unread.marker === null
      ? this.#room.notices
      : [...this.#room.notices, { id: UNREAD_MARKER_ID, text: UNREAD_MARKER_TEXT, after: this.#unread.marker }]
    return html`
      <section class="chat ${theme}" aria-label=${this.label.trim() || `Chat: ${room}`}>
        <header part="header">
          <div class="title" role="heading" aria-level=${level}>${this.secret
            ? html`<span aria-hidden="true">🔒 </span>Private room`
            : `#${room}`}</div>
          ${author !== null && !this.renaming ? html`
            <div class="who">
              <span>You are <strong>${author.name}</strong></span>
              ${cleanName(this.name) === null
                ? html`<button class="link" @click=${() => { this.renaming = true }}>Change name</button>`
                : ''}
              ${this.notify && this.#unread.permission === 'default'
                ? html`<button class="link" @click=${() => this.#unread.requestPermission()}>Turn on notifications</button>`
                : ''}
            </div>` : ''}
        </header>
        ${asking
          ? html`<parley-name-form .value=${author?.name ?? ''} @parley-name=${this.#onName}></parley-name-form>`
          : html`
            <div class="body">
              <div class="conversation">
                <parley-message-list part="log" .messages=${this.#room.messages} .notices=${notices} .verdictOf=${this.#room.verdictOf}></parley-message-list>
                <p class="typing" role="status">${this.#room.typingLine}</p>
                <parley-composer part="composer" @parley-send=${this.#onSend} @parley-draft=${this.#onDraft}></parley-composer>
              </div>
              <parley-members part="members" .members=${this.#room.members} .headingLevel=${level + 1}></parley-members>
            </div>`}
      </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap { 'parley-chat': ParleyChat }
}
