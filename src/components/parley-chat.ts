// The whole chat for one room: asks for a name, then shows the log and the composer.
// It is the element embedders use; the site's entry only points it at the URL's room.
import { LitElement, html, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import {
  DEFAULT_ROOM,
  canSign,
  cleanName,
  loadIdentity,
  loadSigner,
  readMaxConns,
  resolveIceServers,
  resolveMaxConns,
  resolveSignalingUrl,
  saveName,
  type Author,
  type Identity,
  type MessageRecord,
  type RoomStats,
  type Signer,
} from '../room/index.js'
import type { AttachDetail, DraftDetail, EditDetail, MessageIdDetail, NameDetail, ReactDetail, SendDetail } from './events.js'
import { RoomController } from './room-controller.js'
import { UnreadController } from './unread-controller.js'
import { NO_MENTIONS, mentionNames, type MentionNames } from './rich-text.js'
import { chatStyles } from './parley-chat.styles.js'
import { askFocus } from './deferred-focus.js'
import { CONNECTION_NOTES, membersHeading } from './connection-status.js'
import { announceProfileName, onProfileName, profileStore } from './storage.js'
import type { ParleyComposer } from './parley-composer.js'
import type { ParleyNameForm } from './parley-name-form.js'
import type { LogNotice, ParleyMessageList } from './parley-message-list.js'
import './parley-composer.js'
import './parley-invite.js'
import './parley-members.js'
import './parley-message-list.js'
import './parley-name-form.js'

/** Colour themes: `auto` follows the system's light or dark preference. */
export type ChatTheme = 'auto' | 'light' | 'dark'

/** The line that marks where unread messages start in the log. */
export const UNREAD_MARKER_TEXT = 'New messages'
/** Notice id of the unread marker; presence notices count up from 0. */
const UNREAD_MARKER_ID = -1

/** Which room a draft was written for: its name and, for a private room, its secret. */
function draftKey(room: unknown, secret: unknown): string {
  return JSON.stringify([room, secret])
}
/** The header's line on a page without WebCrypto (plain http, not localhost). */
const INSECURE_PAGE_NOTE =
  "Not a secure connection (plain http): your messages are sent unsigned, others' " +
  'signatures cannot be checked here, and reactions, replies, edits, files and private rooms are unavailable. ' +
  'Open Parley over https, or on localhost.'
/** The header's line when the room's connection code could not load (lazy-transport.ts). */
const CANNOT_CONNECT_NOTE =
  'Cannot connect: this page could not load its connection code (offline, or the site was updated). ' +
  'Your messages are kept on this device; reload the page to connect.'
/** Shown instead of a private room on such a page. */
const PRIVATE_ROOM_BLOCKED =
  'Private rooms need a secure connection (https, or http on localhost): on plain http ' +
  'the browser gives this page no WebCrypto to encrypt the room with. Open this link over https.'
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
 * With the standard `autofocus` attribute, a first visit's name field takes the keyboard on
 * load; without it the element takes no focus on load (an embed leaves the host page's alone).
 *
 * @fires parley-send - the user sent a message (`detail.text`)
 * @fires parley-name - the user picked a display name (`detail.name`)
 * @fires parley-draft - the user started (`detail.active`) or stopped typing
 * @csspart header - the bar with the room name
 * @csspart invite - "Copy invite link" and its note, in the header (only with `invite-link`)
 * @csspart log - the message log
 * @csspart composer - the message composer
 * @csspart members - the members panel
 * @csspart message - one message in the log (the log's own part, passed on)
 * @csspart textarea - the message field (the composer's own part, passed on)
 * @csspart send - the send button (the composer's own part, passed on)
 * @csspart member-list - the list of members (the members panel's `list`, passed on)
 * @csspart name-form - the form asking for a display name (the name form's `form`, passed on)
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
  static override styles = chatStyles

  @query('parley-composer') private composer?: ParleyComposer
  @query('parley-message-list') private log?: ParleyMessageList
  @query('parley-name-form') private nameForm?: ParleyNameForm
  @query('.rename') private renameButton?: HTMLButtonElement
  /** The message the composer replies to, by id; null when writing a plain message. */
  @state() private replyingTo: string | null = null
  /** Whether the log's search bar is open. */
  @state() private searching = false
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
  /**
   * A URL that opens this room, for "Copy invite link" (and the share sheet where there is
   * one) in the header; empty (the default) shows neither. The element cannot make one: on
   * an embedding page, only the page knows which of its URLs opens which room. The site sets
   * its own address. A private room's link carries its secret: the header says so.
   */
  @property({ attribute: 'invite-link' }) inviteLink = ''
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
  /**
   * Most WebRTC links this tab offers (y-webrtc's `maxConns`), a whole number from 1 to 100;
   * unset or any other value uses the page's `?max-conns=`, else y-webrtc's default (20 to 34).
   * In a room bigger than it the mesh is partial and peers relay what a missing link would carry.
   */
  @property({ attribute: 'max-conns', type: Number }) maxConns?: number
  #room = new RoomController(this, () => this.#logChanged())
  #unread = new UnreadController(this)
  /** Drafts of the rooms this chat left, by draftKey: in memory only, never stored. */
  #drafts = new Map<string, string>()
  #unfollowProfileName: (() => void) | undefined
  /** Whether `autofocus` was acted on: once, on the element's first connection. */
  #autofocused = false
  /** Names an @mention may refer to: the members whose claim verified, and the user. */
  #mentionNames: MentionNames = NO_MENTIONS
  #mentionNamesKey = ''
  /** The other members' names, offered when the user types @. */
  #mentionable: readonly string[] = []
  /** The log's notices last made (see #notices), and the room's notices and marker they were made of. */
  #logNotices: { notices: readonly LogNotice[]; marker: number | null; list: readonly LogNotice[] } | null = null

  /** The room's messages, oldest first: a snapshot, taken on each read. */
  get messages(): readonly MessageRecord[] {
    return this.#room.messages.slice()
  }

  /**
   * The counters of the room this element shows (links, refusals, hidden records), or null
   * while it shows none: for diagnostics and tests.
   */
  stats(): RoomStats | null {
    return this.#room.room?.stats() ?? null
  }

  /**
   * Calls `listener` with each message new to this tab, sent here or by others, or loaded from
   * this browser's storage; it follows the element to whichever room it shows. Returns an
   * unsubscribe. (A method, not an event: Parley's events are for user intent only.)
   */
  onMessage(listener: (message: MessageRecord) => void): () => void {
    return this.#room.onMessage(listener)
  }

  override willUpdate(changed: PropertyValues<this>): void {
    const author = this.#author()
    // Wait for the keys: the user id is their fingerprint, and must not change once shown.
    if (this.signer !== undefined) this.#room.setUser(author)
    // A reply being written answers a message of the room it was started in, which another room lacks;
    // a draft was written for that room too: it waits there (for this page's life) for the user to come back.
    if ((changed.has('room') || changed.has('secret')) && this.composer !== undefined && this.composer !== null) {
      const left = draftKey(
        changed.has('room') ? changed.get('room') : this.room,
        changed.has('secret') ? changed.get('secret') : this.secret,
      )
      this.#drafts.set(left, this.composer.draftText)
      const entered = draftKey(this.room, this.secret)
      this.composer.draftText = this.#drafts.get(entered) ?? ''
      this.#drafts.delete(entered)
    }
    if (changed.has('room') || changed.has('secret')) this.replyingTo = null
    if (changed.has('room') || changed.has('secret') || changed.has('signaling') || changed.has('iceServers') || changed.has('maxConns')) {
      // A private room's signaling is encrypted with WebCrypto, which plain http pages lack.
      if (this.#privateRoomBlocked()) this.#room.setRoom(null)
      else
        this.#room.setRoom({
          name: this.#roomName(),
          secret: this.secret || null,
          signalingUrls: [this.signaling || resolveSignalingUrl(location, import.meta.env.PARLEY_SIGNALING_URL)],
          iceServers: this.iceServers ?? resolveIceServers(location, import.meta.env.PARLEY_ICE_SERVERS),
          maxConns: readMaxConns(this.maxConns) ?? resolveMaxConns(location),
        })
    }
    this.#updateMentionNames(author?.name ?? null)
    this.#updateUnread()
  }

  /** Brings the unread marker, the title's count and notifications up to date with the room. */
  #updateUnread(): void {
    this.#unread.update({
      messages: this.#room.messages,
      selfId: this.#author()?.userId ?? this.identity.userId,
      room: this.#roomName(),
      notify: this.notify,
      mentionNames: this.#mentionNames,
      verdictOf: this.#room.verdictOf,
    })
  }

  /**
   * New messages, verdicts, annotations or hidden lines (RoomController): handed to the log and
   * counted unread without a render of the whole chat, whose other parts do not show them; false
   * (render it all) when one of those parts does: the reply line (its original's author), the
   * unread marker (a log notice) moving, or a render already due. Every value handed on is a new
   * list or function, never one the chat's template bound before, or (the notices) the one it would
   * bind now, so the template's next render hands on the same values again or newer ones, never older.
   */
  #logChanged(): boolean {
    const log = this.log
    if (log === null || log === undefined || this.isUpdatePending || this.replyingTo !== null) return false
    const marker = this.#unread.marker
    this.#updateUnread()
    if (this.#unread.marker !== marker) return false
    log.messages = this.#room.messages
    log.arrivals = this.#room.arrivals
    log.notices = this.#notices()
    log.verdictOf = this.#room.verdictOf
    log.annotationOf = this.#room.annotationOf
    return true
  }

  /**
   * The log's notices: the room's, and the unread marker; the same array while neither changed, so
   * that an arrival while the marker shows does not have the log sort its notices again.
   */
  #notices(): readonly LogNotice[] {
    const notices = this.#room.notices
    const marker = this.#unread.marker
    const made = this.#logNotices
    if (made !== null && made.notices === notices && made.marker === marker) return made.list
    const list = marker === null ? notices : [...notices, { id: UNREAD_MARKER_ID, text: UNREAD_MARKER_TEXT, after: marker }]
    this.#logNotices = { notices, marker, list }
    return list
  }

  /** Rebuilds the mention names when the verified members or the user's name changed. */
  #updateMentionNames(self: string | null): void {
    const verified = this.#room.members.filter((member) => member.verdict === 'verified')
    const names = verified.map((member) => member.name)
    const key = JSON.stringify([names, self])
    if (key === this.#mentionNamesKey) return
    this.#mentionNamesKey = key
    this.#mentionNames = mentionNames(names, self)
    this.#mentionable = verified.filter((member) => !member.isSelf).map((member) => member.name)
  }

  /** Whether this is a private room on a page that cannot encrypt (no WebCrypto). */
  #privateRoomBlocked(): boolean {
    return this.secret !== '' && !canSign()
  }

  #roomName(): string {
    return this.room.trim() || DEFAULT_ROOM
  }

  override connectedCallback(): void {
    super.connectedCallback()
    // The name picked in another element of the page; one with a `name` of its own ignores it
    // (#author prefers that), and follows again if the attribute is removed.
    this.#unfollowProfileName ??= onProfileName((name) => {
      if (this.identity.name !== name) this.identity = { ...this.identity, name }
    })
    // And one picked while this element was out of the page.
    const stored = loadIdentity(profileStore()).name
    if (stored !== null && stored !== this.identity.name) this.identity = { ...this.identity, name: stored }
    this.#focusNameOnLoad()
    if (this.signer === undefined) {
      loadSigner().then(
        (signer) => {
          this.signer = signer
        },
        () => {
          this.signer = null
        },
      )
    }
  }

  /**
   * With the standard `autofocus` attribute (the site sets it: the chat is its page), a first
   * visit puts the keyboard in the name field, the only thing there is to do. Without it the
   * element takes no focus on load: an embed must not steal the keyboard from its host page.
   * Lapses if the user moved the keyboard first (deferred-focus.ts).
   */
  #focusNameOnLoad(): void {
    if (this.#autofocused || !this.autofocus) return
    this.#autofocused = true
    const request = askFocus()
    void this.updateComplete.then(async () => {
      // The form draws its field in its own first update, after this element's.
      await this.nameForm?.updateComplete
      request.land(this.nameForm)
    })
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#unfollowProfileName?.()
    this.#unfollowProfileName = undefined
  }

  #author(): Author | null {
    const name = cleanName(this.name) ?? this.identity.name
    if (name === null) return null
    return { userId: this.signer?.userId ?? this.identity.userId, name, signer: this.signer ?? null }
  }

  #onName(event: CustomEvent<NameDetail>): void {
    const next = saveName(profileStore(), this.identity, event.detail.name)
    if (next !== null) {
      this.identity = next
      if (next.name !== null) announceProfileName(next.name)
    }
    this.renaming = false
    this.#focusComposer()
  }

  /** Opens the name form over the conversation, the keyboard in its field (the button that opened it is gone). */
  #startRenaming(): void {
    this.renaming = true
    const request = askFocus()
    // The form draws its field in its own first update, after this element's.
    void this.updateComplete.then(async () => {
      await this.nameForm?.updateComplete
      request.land(this.nameForm)
    })
  }

  /** The user kept their name: back to the conversation, the keyboard on "Change name" again. */
  #cancelRenaming(): void {
    this.renaming = false
    const request = askFocus()
    void this.updateComplete.then(() => request.land(this.renameButton))
  }

  #onSend(event: CustomEvent<SendDetail>): void {
    // A page that cannot sign cannot link a reply (the link would be refused everywhere): the text goes as a message.
    if (this.signer === null) this.replyingTo = null
    const replyTo = this.replyingTo
    if (replyTo !== null) {
      const author = this.#author()
      if (author === null || this.signer === undefined) return
      this.#room.reply(author, replyTo, event.detail.text)
      this.#unread.clear()
      // After the message is out, as below; the reply line goes with it (a render of the chat).
      this.#room.afterSend(() => {
        if (this.replyingTo === replyTo) this.replyingTo = null
        this.log?.scrollToNewest()
      })
      return
    }
    // What the user just wrote is what they want to see, wherever they were reading: once the
    // message is out (the scroll costs 0.1 ms before it otherwise).
    if (this.send(event.detail.text)) this.#room.afterSend(() => this.log?.scrollToNewest())
  }

  /** Runs `act` as the current user, once the keys are loaded and only if they sign (the log offers actions only then). */
  #asAuthor(act: (author: Author) => void): void {
    const author = this.#author()
    if (author !== null && this.signer != null) act(author)
  }

  #onReplyTo(event: CustomEvent<MessageIdDetail>): void {
    this.replyingTo = event.detail.id
    this.#focusComposer()
  }

  #cancelReply(): void {
    this.replyingTo = null
    this.#focusComposer()
  }

  /** Puts the keyboard in the message field once drawn, unless the user took it elsewhere meanwhile. */
  #focusComposer(): void {
    const request = askFocus()
    void this.updateComplete.then(() => request.land(this.composer))
  }

  /** The line above the composer while replying: who and what, and a way out. */
  #renderReplying() {
    const id = this.replyingTo
    if (id === null) return ''
    const index = this.#room.indexOf(id)
    const original = index < 0 ? undefined : this.#room.messages.at(index)
    const who = original === undefined || this.#room.verdictOf(original) !== 'verified' ? 'a message' : original.authorName
    return html`<div class="replying" role="status"><span>Replying to ${who}</span>
      <button class="link" @click=${this.#cancelReply}>Cancel reply</button></div>`
  }

  #toggleSearch(): void {
    if (this.searching) {
      this.searching = false
    } else {
      this.searching = true
      void this.updateComplete.then(() => this.log?.openSearch())
    }
  }

  #onDraft(event: CustomEvent<DraftDetail>): void {
    this.#room.draft(event.detail.active)
  }

  /** Sends a message as the current user; returns false when it cannot be sent. */
  send(text: string): boolean {
    const author = this.#author()
    if (author === null || this.#room.room === null) return false
    if (this.signer === undefined) {
      // The keys are still loading (a page may send as soon as it made the element): sign with
      // them once they are here, instead of sending unsigned under a provisional id.
      void loadSigner()
        .catch(() => null)
        .then((signer) => {
          this.signer ??= signer
          const signedAuthor = this.#author()
          if (signedAuthor !== null) this.#room.send(signedAuthor, text)
        })
    } else {
      this.#room.send(author, text)
    }
    this.#unread.clear()
    return true
  }

  override render() {
    const author = this.#author()
    const blocked = this.#privateRoomBlocked()
    const asking = !blocked && (author === null || this.renaming)
    const room = this.#roomName()
    const level = Math.min(MAX_HEADING_LEVEL, Math.max(MIN_HEADING_LEVEL, Math.trunc(this.headingLevel) || 2))
    const theme = this.theme === 'light' || this.theme === 'dark' ? this.theme : 'auto'
    const notices = this.#notices()
    return html`
      <section class="chat ${theme}" aria-label=${this.label.trim() || `Chat: ${room}`}>
        <header part="header">
          <div class="title" role="heading" aria-level=${level}>${
            this.secret ? html`<span aria-hidden="true">🔒 </span>Private room` : `#${room}`
          }</div>
          ${
            this.inviteLink && !blocked
              ? html`<parley-invite part="invite" .link=${this.inviteLink} .privateRoom=${this.secret !== ''}></parley-invite>`
              : ''
          }
          ${
            author !== null && !this.renaming
              ? html`
            <div class="who">
              <span>You are <strong>${author.name}</strong></span>
              ${cleanName(this.name) === null ? html`<button class="link rename" @click=${this.#startRenaming}>Change name</button>` : ''}
              <button class="link search-toggle" aria-expanded=${this.searching ? 'true' : 'false'} @click=${this.#toggleSearch}>Search</button>
              ${
                this.notify && this.#unread.permission === 'default'
                  ? html`<button class="link" @click=${() => this.#unread.requestPermission()}>Turn on notifications</button>`
                  : ''
              }
            </div>`
              : ''
          }
          ${canSign() ? '' : html`<p class="note" role="note">${INSECURE_PAGE_NOTE}</p>`}
          ${this.#room.cannotConnect ? html`<p class="note failing" role="alert">${CANNOT_CONNECT_NOTE}</p>` : ''}
          ${
            this.#room.room !== null && CONNECTION_NOTES[this.#room.connection] !== ''
              ? html`<p class="note connection" role="status">${CONNECTION_NOTES[this.#room.connection]}</p>`
              : ''
          }
        </header>
        ${
          blocked
            ? html`<p class="problem" role="alert">${PRIVATE_ROOM_BLOCKED}</p>`
            : author === null
              ? html`<parley-name-form exportparts="form: name-form" .value=${''} @parley-name=${this.#onName}></parley-name-form>`
              : html`
            ${
              // A rename keeps the conversation drawn, hidden: the draft, the reply and the log's place wait for it.
              asking
                ? html`<parley-name-form exportparts="form: name-form" .value=${author.name} .cancellable=${true}
                    @parley-name=${this.#onName} @parley-name-cancel=${this.#cancelRenaming}></parley-name-form>`
                : ''
            }
            <div class="body" ?hidden=${asking}>
              <div class="conversation">
                <parley-message-list part="log" exportparts="message" .searching=${this.searching}
                  @parley-search-closed=${() => {
                    this.searching = false
                    this.renderRoot.querySelector<HTMLElement>('.search-toggle')?.focus()
                  }} .messages=${this.#room.messages} .arrivals=${this.#room.arrivals} .notices=${notices} .verdictOf=${this.#room.verdictOf} .checksSettle=${true}
                  .mentionNames=${this.#mentionNames}
                  .annotationOf=${this.#room.annotationOf} .indexOf=${this.#room.indexOf} .fetchFile=${this.#room.fetchFile} .selfId=${this.signer === undefined ? '' : (author?.userId ?? '')} .canAnnotate=${this.signer !== null}
                  @parley-edit=${(event: CustomEvent<EditDetail>) => this.#asAuthor((who) => this.#room.edit(who, event.detail.id, event.detail.text))}
                  @parley-delete=${(event: CustomEvent<MessageIdDetail>) => this.#asAuthor((who) => this.#room.remove(who, event.detail.id))}
                  @parley-react=${(event: CustomEvent<ReactDetail>) =>
                    this.#asAuthor((who) => this.#room.react(who, event.detail.id, event.detail.emoji, event.detail.on))}
                  @parley-reply-to=${this.#onReplyTo}></parley-message-list>
                <p class="typing" role="status">${this.#room.typingLine}</p>
                ${this.#renderReplying()}
                <parley-composer part="composer" exportparts="textarea, send" .mentionable=${this.#mentionable} @parley-send=${this.#onSend} @parley-draft=${this.#onDraft}
                  @parley-attach=${(event: CustomEvent<AttachDetail>) => this.#asAuthor((who) => this.#room.sendFile(who, event.detail.file))}
                  @keydown=${(event: KeyboardEvent) => {
                    if (event.key === 'Escape' && this.replyingTo !== null) this.#cancelReply()
                  }}></parley-composer>
              </div>
              <parley-members part="members" exportparts="list: member-list" .members=${this.#room.members} .heading=${membersHeading(this.#room.connection)} .headingLevel=${level + 1}></parley-members>
            </div>`
        }
      </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-chat': ParleyChat
  }
}
