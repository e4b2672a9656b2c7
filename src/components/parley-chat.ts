// The whole chat for one room: asks for a name, then shows the log and the composer.
// It is the element embedders use; the site's entry only points it at the URL's room.
import { LitElement, css, html, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { resolveIceServers, resolveSignalingUrl, DEFAULT_ROOM } from '../room/config.js'
import { cleanName, loadIdentity, saveName, type Identity } from '../room/identity.js'
import type { MessageRecord } from '../room/schema.js'
import type { DraftDetail, NameDetail, SendDetail } from './events.js'
import { RoomController } from './room-controller.js'
import { profileStore } from './storage.js'
import type { ParleyComposer } from './parley-composer.js'
import './parley-composer.js'
import './parley-members.js'
import './parley-message-list.js'
import './parley-name-form.js'

/**
 * A peer-to-peer chat room.
 * @fires parley-send - bubbles up from the composer when the user sends
 * @csspart header - the bar with the room name
 * @csspart log - the message log
 * @csspart composer - the message composer
 * @csspart members - the members panel
 * @cssprop --parley-background - background of the chat
 * @cssprop --parley-text - text colour
 * @cssprop --parley-accent - buttons and focus
 */
@customElement('parley-chat')
export class ParleyChat extends LitElement {
  static override styles = css`
    :host { display: block; }
    .chat { display: flex; flex-direction: column; height: 100%; min-height: 18rem; box-sizing: border-box;
      background: var(--parley-background, #fff); color: var(--parley-text, #1f2328);
      font-family: var(--parley-font, system-ui, sans-serif); }
    header { display: flex; align-items: center; gap: 0.75rem; padding: 0.6rem 1rem;
      border-bottom: 1px solid var(--parley-border-color, #d0d4da); }
    h2 { margin: 0; font-size: 1.15rem; }
    .who { margin-left: auto; font-size: 0.9rem; color: var(--parley-muted, #5f6368); }
    .who button { font: inherit; background: none; border: 0; color: var(--parley-accent, #2456c9);
      cursor: pointer; text-decoration: underline; padding: 0; }
    .body { flex: 1; min-height: 0; display: flex; }
    .conversation { flex: 1; min-width: 0; display: flex; flex-direction: column; }
    parley-message-list { flex: 1; }
    parley-members { width: 13rem; flex: none; padding: 0.75rem 1rem; overflow-y: auto;
      border-left: 1px solid var(--parley-border-color, #d0d4da); }
    .typing { min-height: 1.3em; margin: 0; padding: 0 1rem; font-size: 0.85rem; color: var(--parley-muted, #5f6368); }
    parley-composer { padding: 0.4rem 1rem 0.8rem; border-top: 1px solid var(--parley-border-color, #d0d4da); }
    @media (max-width: 600px) {
      .body { flex-direction: column-reverse; }
      parley-members { width: auto; max-height: 5.5rem; border-left: 0; border-top: 1px solid var(--parley-border-color, #d0d4da); }
    }
  `

  @query('parley-composer') private composer?: ParleyComposer
  @state() private identity: Identity = loadIdentity(profileStore())
  @state() private renaming = false
  /** Room name; the default room when empty. */
  @property() room = DEFAULT_ROOM
  /** Signaling server URL (ws: or wss:); defaults to the page's configuration. */
  @property() signaling = ''
  /** Display name; when set, the name form is skipped and nothing is stored. */
  @property() name = ''
  /** STUN/TURN servers; undefined uses the page's configuration. */
  @property({ attribute: false }) iceServers?: RTCIceServer[]
  #room = new RoomController(this)

  /** The room's messages, oldest first. */
  get messages (): readonly MessageRecord[] {
    return this.#room.messages
  }

  /** Sends a message as the current user; returns false when it cannot be sent. */
  send (text: string): boolean {
    const author = this.#author()
    if (author === null || this.#room.room === null) return false
    this.#room.send(author, text)
    return true
  }

  override willUpdate (changed: PropertyValues<this>): void {
    const author = this.#author()
    this.#room.setUser(author === null ? null : { ...author, color: this.identity.color })
    if (changed.has('room') || changed.has('signaling') || changed.has('iceServers')) {
      this.#room.setRoom({
        name: this.room.trim() || DEFAULT_ROOM,
        signalingUrls: [this.signaling || resolveSignalingUrl(location, import.meta.env.PARLEY_SIGNALING_URL)],
        iceServers: this.iceServers ?? resolveIceServers(location, import.meta.env.PARLEY_ICE_SERVERS),
      })
    }
  }

  #author (): { userId: string, name: string } | null {
    const name = cleanName(this.name) ?? this.identity.name
    return name === null ? null : { userId: this.identity.userId, name }
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

  override render () {
    const author = this.#author()
    const asking = author === null || this.renaming
    return html`
      <section class="chat" aria-label=${`Chat: ${this.room}`}>
        <header part="header">
          <h2>#${this.room}</h2>
          ${author !== null && !this.renaming ? html`
            <span class="who">You are <strong>${author.name}</strong>
              ${cleanName(this.name) === null ? html`· <button @click=${() => { this.renaming = true }}>Change name</button>` : ''}
            </span>` : ''}
        </header>
        ${asking
          ? html`<parley-name-form .value=${author?.name ?? ''} @parley-name=${this.#onName}></parley-name-form>`
          : html`
            <div class="body">
              <div class="conversation">
                <parley-message-list part="log" .messages=${this.#room.messages} .notices=${this.#room.notices}></parley-message-list>
                <p class="typing" role="status">${this.#room.typingLine}</p>
                <parley-composer part="composer" @parley-send=${this.#onSend} @parley-draft=${this.#onDraft}></parley-composer>
              </div>
              <parley-members part="members" .members=${this.#room.members}></parley-members>
            </div>`}
      </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap { 'parley-chat': ParleyChat }
}
