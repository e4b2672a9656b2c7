// The room's messages as a live log: follows new messages at the bottom, and stays put when
// the user has scrolled up to read. Only what is near the viewport is in the DOM, so a room of
// 100,000 messages opens and scrolls like one of ten. Text is rendered as text, never as HTML:
// links, code, emphasis and mentions come from a parsed token tree (rich-text.ts), bound as text.
// Reading aids: one header per run of an author's messages, day separators, a button back to
// the newest (and one up to a new message that landed above the view), and search with jumps to each match.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { guard } from 'lit/directives/guard.js'
import { repeat } from 'lit/directives/repeat.js'
import {
  colorFor,
  draftProblem,
  unannotated,
  type AnnotatedMessage,
  type MessageRecord,
  type ReadonlyList,
  type Verdict,
} from '../room/index.js'
import { beforeNextPaint } from '../tasks/index.js'
import { askFocus, restoreFocus, type FocusRequest } from './deferred-focus.js'
import { StableAnnotations } from './entry-memo.js'
import { intent } from './events.js'
import { LazyModule, LazyPart } from './lazy-part.js'
import { afterDeletion, MESSAGE_KEYS_HINT, moveTarget } from './log-keys.js'
import { messageActionStyles, renderQuote, renderReactions, renderRefused } from './message-annotations.js'
import { MessageSearch, continuesGroup, dayLabel, keptHit, sameDay } from './log-reading.js'
import { renderFile } from './file-slot.js'
import type { FileFetcher } from './parley-file.js'
import { messageTimes } from './message-times.js'
import { NO_MENTIONS, type MentionNames } from './rich-text.js'
import { renderRichText, richTextOf } from './rich-text-view.js'
import { pixels, safeStyle } from './safe-style.js'
import { lightTheme, sharedStyles } from './shared-styles.js'

/** A local line in the log ("Carol joined"), shown after the first `after` messages. */
export interface LogNotice {
  id: number
  text: string
  after: number
}

/** The actions panel, delete confirmation and editor: loaded when a "More actions" is first hovered, focused or used. */
const messageActions = new LazyModule(() => import('./message-actions.js'))

/** How close to the bottom, in pixels, still counts as "at the bottom". */
const STICK_TO_BOTTOM_PX = 32
/**
 * Logs of at most this many entries are rendered whole: cheap at that size, and find-in-page
 * and screen-reader browsing then reach every line. Longer ones render a window.
 */
const RENDER_ALL_MAX_ENTRIES = 200
/** Content rendered beyond each edge of the viewport, in pixels. */
const OVERSCAN_PX = 800
/** Height assumed for an entry never measured, until some are, in pixels. */
const INITIAL_ESTIMATE_PX = 48
/** Weight of the newest measurements in the running height estimate (0–1). */
const ESTIMATE_WEIGHT = 0.1
/** Re-layout passes allowed per change before the list settles for what it has. */
const MAX_LAYOUT_PASSES = 4
/** Entries drawn in one render up to which the tab stops are written to them alone, not to every one. */
const FEW_DRAWN_ENTRIES = 8
/**
 * Messages drawn for the first time in one frame while the log follows the newest; the rest of a
 * burst (a flood's admitted records, a re-admission) wait as blank entries of the estimated
 * height for the next frames, newest first. A burst of 30 drawn at once took 8-27 ms of CPU in
 * one task (BENCHMARKS.md, "Flood").
 */
export const NEW_ENTRIES_PER_FRAME = 10
/** The controls inside a message: in the tab order only while that message has the log's tab stop. */
const MESSAGE_CONTROLS = 'a[href], button:not(.more), textarea'

/**
 * One line of the log: a message (with the message before it, or null if a notice or nothing
 * is between them: grouping and day separators look at it), or a notice placed between messages.
 */
type Entry =
  | { key: string; index: number; message: MessageRecord; previous: MessageRecord | null; previousMessage: MessageRecord | null }
  | { key: string; notice: LogNotice }

/**
 * A message entry as last drawn, and what it was drawn from: handed out again as it is while
 * none of that changed, so that a new message does not make the entries before it ask for their
 * verdict, annotation and grouping again.
 */
interface DrawnEntry {
  /** `#inputsEpoch` when drawn: a change of what every entry may show (verdicts, annotations, …) bumps it. */
  epoch: number
  index: number
  previous: MessageRecord | null
  previousMessage: MessageRecord | null
  hit: boolean
  /** Local midnight of the render's time: a day separator says "Today" or "Yesterday". */
  today: number
  /** The messages it was drawn with, if the message it replies to was not among them (it may arrive later); else null. */
  missingOriginalIn: ReadonlyList<MessageRecord> | null
  /** `#checksEpoch` when drawn. */
  checksEpoch: number
  /** Whether a verdict it was drawn from (its message's, the one before's, its quote's) was still pending. */
  askedPending: boolean
  view: unknown
}

/** The properties that any entry may show: a change of one makes every entry look at its inputs again. */
const ENTRY_INPUTS = [
  'verdictOf',
  'annotationOf',
  'indexOf',
  'selfId',
  'canAnnotate',
  'mentionNames',
  'fetchFile',
  'jumpedTo',
  'actionsFor',
  'editing',
]

/** Where an entry was on screen before a re-render: it is put back there after. */
interface Anchor {
  key: string
  offset: number
}

/**
 * A scrolling log of messages that renders only the entries near the viewport: spacers of
 * estimated height stand for the rest, and the entry at the top of the view keeps its place
 * whenever the rendered window moves. The log is one tab stop: the arrow keys, Page Up and Down,
 * Home and End move the focus between messages (bringing in more of the log as needed), Enter
 * opens a message's actions, and Escape closes them and takes the focus from a control back to its message.
 * @fires parley-edit - the user saved a new text for one of their messages
 * @fires parley-delete - the user deleted one of their messages
 * @fires parley-react - the user added or took back a reaction
 * @fires parley-reply-to - the user chose to reply to a message
 * @csspart log - the scrolling container
 * @csspart message - one message
 * @cssprop --parley-muted - colour of times, notices and messages whose signature is being checked
 * @cssprop --parley-author-lightness - OKLCH lightness of author names, each in its own hue (0–1)
 * @cssprop --parley-error - authors whose signature does not match
 * @cssprop --parley-focus - the focus ring of the log
 * @cssprop --parley-accent - links, and the highlight of mentions
 */
@customElement('parley-message-list')
export class ParleyMessageList extends LitElement {
  static override styles = [
    sharedStyles,
    css`
    :host { display: flex; flex-direction: column; min-height: 0; position: relative; }
    /* The log and the buttons over it: the buttons sit on the log, below the search form when it shows. */
    /* Clipped: on a very short log (a phone at 360×360) nothing on it is painted over the members panel. */
    .view { position: relative; flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column; overflow: hidden; }
    .log { position: relative; flex: 1 1 auto; min-height: 0; overflow-y: auto; padding: 0.5rem 1rem; box-sizing: border-box; overflow-anchor: none; }
    .log:focus-visible { outline-offset: -2px; }
    article { padding: 0.35rem 0; }
    article:focus-visible { outline-offset: 0; }
    article.continued { padding-top: 0; }
    article.hit { background: color-mix(in srgb, var(--parley-accent, ${lightTheme.accent}) 14%, transparent);
      box-shadow: -0.5rem 0 0 color-mix(in srgb, var(--parley-accent, ${lightTheme.accent}) 14%, transparent); }
    .day { display: flex; align-items: center; gap: 0.75rem; padding: 0.75rem 0 0.25rem; font-size: 0.8em; font-weight: 600;
      color: var(--parley-muted, ${lightTheme.muted}); }
    .day::before, .day::after { content: ''; flex: 1; border-top: 1px solid var(--parley-border-color, ${lightTheme.borderColor}); }
    /* Within the log however short it gets: the gap shrinks to nothing first, then the button to the log's height. */
    .jump { position: absolute; bottom: clamp(0px, 100% - 2.25rem, 0.75rem); left: 50%; transform: translateX(-50%); font: inherit; font-size: 0.9em;
      max-height: 100%; box-sizing: border-box; overflow: hidden; white-space: nowrap;
      padding: 0.35rem 0.9rem; border-radius: 999px; cursor: pointer; border: 1px solid var(--parley-accent, ${lightTheme.accent});
      background: var(--parley-accent, ${lightTheme.accent}); color: var(--parley-on-accent, ${lightTheme.onAccent});
      box-shadow: 0 1px 4px rgb(0 0 0 / 0.25); }
    .jump.above { bottom: auto; top: clamp(0px, 100% - 2.25rem, 0.75rem); }
    .search { display: flex; gap: 0.25rem; align-items: center; padding: 0.35rem 0.5rem; flex-wrap: wrap;
      border-bottom: 1px solid var(--parley-border-color, ${lightTheme.borderColor}); }
    .search input { flex: 1 1 8rem; min-width: 0; font: inherit; padding: 0.3rem 0.5rem; border-radius: 4px;
      color: inherit; background: var(--parley-input-background, ${lightTheme.inputBackground});
      border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); }
    .search button { font: inherit; min-width: 2rem; padding: 0.25rem 0.4rem; border-radius: 4px; cursor: pointer; color: inherit;
      background: transparent; border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); }
    .search button:disabled { cursor: default; opacity: 0.5; }
    .search output { font-size: 0.85em; color: var(--parley-muted, ${lightTheme.muted}); min-width: 5.5rem; text-align: center; }
    .meta { display: flex; gap: 0.5rem; align-items: baseline; }
    /* A name may be one 64-character word, and a peer picks it: it wraps rather than push the time and the page sideways. */
    .author { font-weight: 650; min-width: 0; overflow-wrap: anywhere; color: var(--author-color);
      color: oklch(from var(--author-color) var(--parley-author-lightness, ${lightTheme.authorLightness}) min(c, 0.14) h); }
    .author.pending { color: var(--parley-muted, ${lightTheme.muted}); font-weight: 400; font-style: italic; }
    .author.unverified { color: var(--parley-error, ${lightTheme.error}) !important; font-style: italic; }
    time { font-size: 0.8em; color: var(--parley-muted, ${lightTheme.muted}); white-space: nowrap; }
    p { margin: 0.1rem 0 0; white-space: pre-wrap; overflow-wrap: anywhere; }
    .empty { color: var(--parley-muted, ${lightTheme.muted}); padding: 1rem 0; }
    .notice { color: var(--parley-muted, ${lightTheme.muted}); font-size: 0.9em; padding: 0.25rem 0; font-style: italic; overflow-wrap: anywhere; }
    p a { color: var(--parley-accent, ${lightTheme.accent}); text-decoration: underline; }
    p code { font: 0.9em ui-monospace, monospace; padding: 0 0.25em; border-radius: 4px; background: color-mix(in srgb, currentColor 10%, transparent); }
    p code.block { display: block; white-space: pre-wrap; padding: 0.4rem 0.6rem; margin: 0.25rem 0; }
    .mention { color: inherit; font-weight: 650; padding: 0 0.15em; border-radius: 4px;
      background: color-mix(in srgb, var(--parley-accent, ${lightTheme.accent}) 12%, transparent); }
    .mention.self { background: color-mix(in srgb, var(--parley-accent, ${lightTheme.accent}) 28%, transparent); }
  `,
    messageActionStyles,
  ]

  static {
    // updated() measures what it rendered and may widen the window: a second update is by design.
    ParleyMessageList.disableWarning?.('change-in-update')
  }

  @query('.log') private log!: HTMLElement
  @query('.items') private items!: HTMLElement
  /** The blank standing for the entries above the window: it grows as the window moves down. */
  @query('.above') private above!: HTMLElement
  /**
   * Messages to show, oldest first: an array, or a list such as the room's views; a new one for
   * every change (the room's are), never one changed in place.
   */
  @property({ attribute: false }) messages: ReadonlyList<MessageRecord> = []
  /**
   * The messages new to the reader that the last change of `messages` brought, set with it. Most
   * land at the bottom; one placed above the view while the log follows the newest (written
   * concurrently with what came before it, or held back until its signature was checked) is
   * announced with a button up to it, once verified.
   */
  @property({ attribute: false }) arrivals: readonly MessageRecord[] = []
  /** Presence lines, each placed after the messages that were there when it happened. */
  @property({ attribute: false }) notices: readonly LogNotice[] = []
  /** Whether each message's author is who it claims; unverified ones never show as that user. */
  @property({ attribute: false }) verdictOf: (message: MessageRecord) => Verdict = () => 'unverified'
  /**
   * Whether each new `verdictOf` differs from the one before only where a check that was pending
   * settled (as the room's do: RoomController): then an entry drawn from no pending verdict is
   * handed out as drawn, and only those drawn from one ask again. False: every entry asks again.
   */
  @property({ attribute: false }) checksSettle = false
  /** Whether the search bar is open (the chat's "Search" button toggles it). */
  @property({ type: Boolean }) searching = false
  /** Each message as its verified edits, deletion, reactions and reply link leave it. */
  @property({ attribute: false }) annotationOf: (message: MessageRecord) => AnnotatedMessage = unannotated
  /** Index in `messages` of a message id, or -1: where a reply's quote jumps to. */
  @property({ attribute: false }) indexOf: (id: string) => number = (id) => this.messages.findIndex((message) => message.id === id)
  /** The user's id: their verified messages offer Edit and Delete, their reactions show pressed. Empty: none. */
  @property({ attribute: false }) selfId = ''
  /**
   * Whether the user may react, reply, edit and delete. False on a page that cannot sign (plain
   * http): what it wrote would be refused everywhere, and shown under the message as a forgery.
   */
  @property({ attribute: false }) canAnnotate = true
  /** Fetches the verified bytes of a file a message carries (null: files are not fetched). */
  @property({ attribute: false }) fetchFile: FileFetcher | null = null
  /** The message whose actions panel is open, by id. */
  @state() private actionsFor: string | null = null
  /** The message whose deletion asks to be confirmed, by id. */
  @state() private confirmingDelete: string | null = null
  /** The message being edited in place, by id. */
  @state() private editing: string | null = null
  /** The message a quote jumped to, highlighted until the next jump. */
  @state() private jumpedTo: string | null = null
  /** Messages that arrived while the user was reading further up. */
  @state() private unseen = 0
  /** Whether the view is more than a screen above the newest. */
  @state() private far = false
  /** New messages that landed above the view while it followed the newest, until the reader sees them. */
  @state() private missed: readonly MessageRecord[] = []
  @state() private query = ''
  /** Indices (in `messages`) of the messages that match the query, oldest first. */
  @state() private hits: readonly number[] = []
  /** Which of `hits` is shown; -1 before the first jump. */
  @state() private hitIndex = -1
  #search = new MessageSearch()
  #actions = new LazyPart(this, messageActions)
  #editedCopies = new WeakMap<MessageRecord, MessageRecord>()
  /** Each shown message's annotation, the same object while it shows the same: entries redraw only when it changes. */
  #annotations = new StableAnnotations()
  /** Each message entry as last drawn (see DrawnEntry). */
  #drawn = new WeakMap<MessageRecord, DrawnEntry>()
  /** Counts the changes of ENTRY_INPUTS: an entry drawn at another count looks at its inputs again. */
  #inputsEpoch = 0
  /** Counts the new verdictOfs that only settled checks (see `checksSettle`): an entry drawn from a pending verdict at another count asks again. */
  #checksEpoch = 0
  /** Where each notice sits (after how many messages): a message right after one starts a new header. */
  #noticeAfter = new Set<number>()
  /** The names an @mention may refer to (the members'), the reader's own among them. */
  @property({ attribute: false }) mentionNames: MentionNames = NO_MENTIONS
  /** The message (by id) that holds the log's tab stop; null: the newest in view, or the first. */
  #current: string | null = null
  /** The article last given the log's tab stop. */
  #stop: HTMLElement | null = null
  /** Keys of the message entries drawn (first or again) since the tab stops were last written. */
  #drawnKeys = new Set<string>()
  /** Whether the keyboard was on a rendered message (or its controls) before this render. */
  #focusInside = false
  /** Follow new entries at the bottom (false once the user scrolled up). */
  #stick = true
  /**
   * Set by scrollToNewest until the next render or frame: that render follows the newest without
   * reading where the view is (what the user asked for stands, and on a send the read would
   * force a layout of the page, whose composer has just emptied its field).
   */
  #followAsked = false
  /**
   * The scroll position last seen or set while following, in pixels: only a view above it has
   * been moved up by the user; content growing below (a late image) leaves it where it was.
   */
  #stuckTop = 0
  /**
   * The log's height when #stuckTop was set, in pixels: a log that grew taller since has moved a
   * view at the bottom up by as much (the browser keeps the view in range), which no user did.
   */
  #stuckHeight = -1
  /** Rendered window: entries first..last (inclusive) of the interleaved log. */
  #first = 0
  #last = -1
  #sortedNotices: readonly LogNotice[] = []
  #anchor: Anchor | null = null
  /** Running estimate of an entry's height, in pixels, from the entries measured so far. */
  #estimatePx = INITIAL_ESTIMATE_PX
  #measured = false
  #passes = 0
  #renderedEstimate = INITIAL_ESTIMATE_PX
  #resizes = new ResizeObserver(() => this.#onResize())
  /** The log's height when a resize was last handled, in pixels (-1: not yet observed). */
  #sizedHeight = -1
  /** A render's layout left for the next frame: settles once it ran or was dropped. */
  #frameLayout: { done: Promise<void>; cancel(): void } | null = null
  /** Arrivals of the renders since the last layout while following: where they landed is read then. */
  #landing: MessageRecord[] = []
  /** When the log was made (Date.now()): messages claimed sent before it are history, not news (see willUpdate). */
  readonly #openedAt = Date.now()
  /** Keys of the message entries drawn whole by the last render. */
  #whole = new Set<string>()
  /** Keys of the message entries the last render left blank, to draw at the next frames. */
  #later = new Set<string>()
  /** Messages this render may draw for the first time (NEW_ENTRIES_PER_FRAME while following, else all). */
  #newAllowed = Number.POSITIVE_INFINITY

  override willUpdate(changed: PropertyValues<this>): void {
    this.#focusInside = this.hasUpdated && this.items.contains(this.shadowRoot?.activeElement ?? null)
    // The user may have scrolled (up, or back to the newest) while the scroll event still waits
    // for the next frame: read where the view is now, or a message arriving in between would be
    // drawn for the old position (pulling the view down, or holding it above the newest). Not
    // when a jump (reveal) or the window chose where to go.
    if (this.#anchor === null && this.hasUpdated && !this.#followAsked) this.#readStick()
    this.#followAsked = false
    // A check that settled redraws the entries drawn from a pending verdict, not every entry: the
    // room hands out a new verdictOf as each arrival's check settles, a frame after the arrival.
    const inputs = ENTRY_INPUTS.filter((name) => (changed as Map<PropertyKey, unknown>).has(name))
    if (inputs.length === 1 && inputs[0] === 'verdictOf' && this.checksSettle) this.#checksEpoch++
    else if (inputs.length > 0) this.#inputsEpoch++
    if (changed.has('notices')) {
      this.#sortedNotices = [...this.notices].sort((a, b) => a.after - b.after || a.id - b.id)
      this.#noticeAfter = new Set(this.notices.map((notice) => notice.after))
    }
    if (changed.has('messages')) {
      const before = changed.get('messages')?.length ?? 0
      if (this.#stick) this.unseen = 0
      else this.unseen += Math.max(0, this.messages.length - before)
      // The log's first messages (opening the room) are not news: only later arrivals are watched,
      // and of them not history written before the log opened (a late joiner's, which comes in parts).
      if (this.#stick && before > 0 && changed.has('arrivals'))
        for (const message of this.arrivals) if (message.sentAt >= this.#openedAt) this.#landing.push(message)
    }
    if (!this.#stick) this.#landing = []
    // What is shown changes with new messages, and with edits and deletions (a new annotationOf).
    if ((changed.has('messages') || changed.has('annotationOf')) && this.query !== '') {
      const shown = this.hits[this.hitIndex]
      this.hits = this.#find()
      this.hitIndex = keptHit(this.hits, shown)
    }
    const count = this.#count()
    if (count <= RENDER_ALL_MAX_ENTRIES) {
      this.#anchor ??= this.#stick ? null : this.#currentAnchor()
      this.#first = 0
      this.#last = count - 1
    } else if (this.#stick) {
      this.#last = count - 1
      this.#first = Math.max(0, count - this.#entriesFor(this.#viewHeight() + OVERSCAN_PX))
    } else {
      this.#anchor ??= this.#currentAnchor()
      this.#first = Math.min(this.#first, Math.max(0, count - 1))
      this.#last = Math.min(count - 1, Math.max(this.#last, this.#first + this.#entriesFor(this.#viewHeight() + 2 * OVERSCAN_PX)))
    }
    // A burst that arrives while following is drawn over frames (its layout waits for the frame
    // too, updated()); the log's first render, a jump and a reader's scroll draw all they show.
    const following = this.#stick && this.#anchor === null && this.#passes === 0 && this.#whole.size > 0
    this.#newAllowed = following && document.visibilityState === 'visible' ? NEW_ENTRIES_PER_FRAME : Number.POSITIVE_INFINITY
  }

  override updated(): void {
    // Following the newest with nothing to put back in place (a message arrived at the bottom):
    // what needs the layout (scrolling down, the height estimate, the window's cover) waits for
    // the next frame, before its paint, rather than forcing a layout now: the new entry reaches
    // the DOM (and the page goes on) sooner, and the frame lays the page out once. The log's
    // length, written into every rendered message, waits with it. The tab stop does not: written
    // later, Tab from the composer reached the old stop (and a new message's links) until the
    // frame, while the new message was on screen. It writes only to the entries drawn and the old stop.
    if (this.#stick && this.#anchor === null && this.#passes === 0 && document.visibilityState === 'visible') {
      this.#syncFocus()
      this.#layoutAtFrame()
      return
    }
    this.#cancelFrameLayout()
    this.#syncSetSize()
    this.#measure()
    const log = this.log
    if (this.#stick) {
      log.scrollTop = log.scrollHeight
      this.#stickAt(log.scrollTop)
      this.#noteLanded()
    } else if (this.#anchor !== null) {
      const element = this.items.querySelector<HTMLElement>(`[data-key="${CSS.escape(this.#anchor.key)}"]`)
      if (element !== null) log.scrollTop = element.offsetTop - this.#anchor.offset
    }
    this.#anchor = null
    this.#syncFocus()
    this.#coverView()
  }

  /** Resolves also after a layout left for the next frame, and any redraw that asked for. */
  protected override async getUpdateComplete(): Promise<boolean> {
    let complete = await super.getUpdateComplete()
    while (this.#frameLayout !== null) {
      await this.#frameLayout.done
      complete = await super.getUpdateComplete()
    }
    return complete
  }

  /** Puts the tab stop in place, and the keyboard back on the log if its message left the window. */
  #syncFocus(): void {
    const stop = this.#syncTabStops()
    // The message with the keyboard left the window (Space or the wheel scrolled it away): the
    // keyboard goes to the message that now holds the tab stop, not to the page's start.
    // The page's own move, not the user's: a focus asked for before this render still stands (deferred-focus.ts).
    if (this.#focusInside && this.shadowRoot?.activeElement == null && stop !== null) restoreFocus(stop, { preventScroll: true })
  }

  /** The estimate may have been off: widens the window until the viewport is covered. */
  #coverView(): void {
    if (this.#passes < MAX_LAYOUT_PASSES && this.#moveWindow()) {
      this.#passes++
      this.requestUpdate()
    } else {
      this.#passes = 0
    }
  }

  /**
   * Runs the layout of a render while following at the next frame (once for several renders);
   * a timer stands in when no frame comes (the page was hidden meanwhile: `beforeNextPaint`).
   */
  #layoutAtFrame(): void {
    if (this.#frameLayout !== null) return
    let resolve = (): void => undefined
    const done = new Promise<void>((settle) => {
      resolve = settle
    })
    const run = (): void => {
      if (this.#frameLayout?.done !== done) return
      this.#cancelFrameLayout()
      if (!this.isConnected) return
      this.#syncSetSize()
      this.#measure()
      // A scroll by the user before this frame has been read (#onScroll): it stops following.
      if (this.#stick) {
        this.log.scrollTop = this.log.scrollHeight
        this.#stickAt(this.log.scrollTop)
        this.#noteLanded()
      }
      this.#coverView()
      // The rest of a burst: the next few, in this frame (its layout waits for the next).
      if (this.#later.size > 0) this.requestUpdate()
    }
    const cancel = beforeNextPaint(run)
    this.#frameLayout = {
      done,
      cancel: () => {
        cancel()
        resolve()
      },
    }
  }

  /** Drops a layout waiting for the next frame (one is done now, or the log left the page). */
  #cancelFrameLayout(): void {
    const pending = this.#frameLayout
    this.#frameLayout = null
    pending?.cancel()
  }

  override connectedCallback(): void {
    super.connectedCallback()
    if (this.hasUpdated) this.#observeSizes()
  }

  override firstUpdated(): void {
    this.#sizedHeight = this.log.clientHeight
    this.#observeSizes()
  }

  /**
   * Watches what moves the newest: the log's size, the drawn entries', and the blank above them.
   * A long log drops an entry at the top of its window as it draws one at the bottom, so while
   * following the entries' height may not change: the blank above grows instead. Its resize is
   * handled in the frame that laid it out, before that frame paints, so a message drawn in a
   * frame callback (the sender's own, drawn in the redraw after the send) is scrolled into view
   * in the frame that first paints it, not by the layout left for the next frame.
   */
  #observeSizes(): void {
    this.#resizes.observe(this.log)
    this.#resizes.observe(this.items)
    this.#resizes.observe(this.above)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#resizes.disconnect()
    this.#cancelFrameLayout()
  }

  /**
   * The log changed size (a phone rotated, the window or the members panel resized), or its
   * content did outside a render (an image loaded), or in a render made in a frame callback
   * (#observeSizes): none fires a scroll event, so a view at the newest would otherwise stay behind it.
   */
  #onResize(): void {
    this.#sizedHeight = this.log.clientHeight
    this.#readStick()
    if (this.#stick) {
      this.log.scrollTop = this.log.scrollHeight
      this.#stickAt(this.log.scrollTop)
    }
    if (this.#moveWindow()) this.requestUpdate()
  }

  /**
   * Whether to follow the newest, from where the view is now. Following starts when the view is
   * at the newest, and stops only when the user moved it up: a view that is merely no longer at
   * the bottom because content grew below it (a late image) still follows.
   */
  #readStick(): void {
    // Read even while the size is not handled yet (below): the log grown since #stuckTop was
    // set (the typing line emptied) has pulled a view at the bottom up by as much; content that
    // lands below before the next look must not make that look like the user scrolling up.
    const height = this.log.clientHeight
    if (this.#stuckHeight >= 0 && height > this.#stuckHeight) this.#stuckTop -= height - this.#stuckHeight
    this.#stuckHeight = height
    const atNewest = this.#atNewest()
    if (atNewest === null) return
    const top = this.log.scrollTop
    if (!this.#stick) this.#stick = atNewest
    else if (!atNewest && top < this.#stuckTop - 1) this.#stick = false
    if (this.#stick) this.#stickAt(top)
  }

  /** Records `top` as where the view was seen (or put) at the newest, at the log's height now. */
  #stickAt(top: number): void {
    this.#stuckTop = top
    this.#stuckHeight = this.log?.clientHeight ?? -1
  }

  /**
   * Whether the view is at the newest entry; null when the log changed size since the last
   * resize was handled: a scroll event dispatched after the log shrank but before the resize
   * is handled (browsers dispatch scroll events before resize observations) would read the new
   * height as the user scrolling up, so following is left to #onResize then.
   */
  #atNewest(): boolean | null {
    const log = this.log
    if (log.clientHeight !== this.#sizedHeight) return null
    return log.scrollHeight - log.scrollTop - log.clientHeight <= STICK_TO_BOTTOM_PX
  }

  /** Whether the view is scrolled all the way down (within a pixel), at the size last handled. */
  #atBottom(): boolean {
    const log = this.log
    if (!this.hasUpdated || log.clientHeight !== this.#sizedHeight) return false
    return log.scrollHeight - log.scrollTop - log.clientHeight < 1
  }

  #onScroll(): void {
    const log = this.log
    const fromBottom = log.scrollHeight - log.scrollTop - log.clientHeight
    this.#readStick()
    if (this.#stick) this.unseen = 0
    this.far = !this.#stick && fromBottom > log.clientHeight
    if (this.missed.length > 0) {
      const unseen = this.missed.filter((message) => !this.#inView(message.id))
      if (unseen.length < this.missed.length) this.missed = unseen
    }
    if (this.#moveWindow()) this.requestUpdate()
  }

  /**
   * Reads, with the view at the newest, where the messages that arrived since the last look
   * landed: one above the view (not drawn, or drawn above its top) is missed, and announced.
   */
  #noteLanded(): void {
    const landing = this.#landing
    if (landing.length === 0) return
    // One still blank (drawn at a later frame) is looked at once drawn.
    this.#landing = landing.filter((message) => this.#later.has(`m:${message.id}`))
    const known = new Set(this.missed.map((message) => message.id))
    // The drawn articles found once, not one query of the whole log per message landed.
    const drawn = this.#drawnArticles()
    const missed = landing.filter(
      (message) =>
        !known.has(message.id) &&
        !this.#later.has(`m:${message.id}`) &&
        this.indexOf(message.id) >= 0 &&
        this.#aboveView(message.id, drawn),
    )
    if (missed.length > 0) this.missed = [...this.missed, ...missed]
  }

  /**
   * Whether message `id` is above the view: not drawn while following (so above the window), or
   * drawn above its top. `drawn`: the drawn articles by message id, if already found.
   */
  #aboveView(id: string, drawn?: ReadonlyMap<string, HTMLElement>): boolean {
    const article = drawn === undefined ? this.#articleOf(id) : (drawn.get(id) ?? null)
    return article === null ? this.#stick : article.offsetTop + article.offsetHeight <= this.log.scrollTop
  }

  /** Whether message `id` is drawn and at least partly in the view. */
  #inView(id: string): boolean {
    const article = this.#articleOf(id)
    if (article === null) return false
    const top = this.log.scrollTop
    return article.offsetTop + article.offsetHeight > top && article.offsetTop < top + this.log.clientHeight
  }

  /** The missed messages worth a button: verified ones (a forgery or an unsigned record is not news to go up for). */
  #announced(): MessageRecord[] {
    return this.missed.filter((message) => this.indexOf(message.id) >= 0 && this.verdictOf(message) === 'verified')
  }

  /** Shows the oldest announced message (highlighted), and forgets the missed ones. */
  #showMissed(): void {
    const [oldest] = this.#announced()
      .map((message) => ({ id: message.id, index: this.indexOf(message.id) }))
      .sort((a, b) => a.index - b.index)
    this.missed = []
    if (oldest !== undefined) this.#jumpTo(oldest.id)
  }

  /** Scrolls to the newest message and follows new ones again (the jump button; sending). */
  scrollToNewest(): void {
    // Already following and showing the newest, nothing pending: a redraw would change nothing
    // (it costs a sender 0.2–1 ms before its signed message goes on). A view the user has just
    // moved up, before its scroll event, is not at the newest and takes the full path.
    this.#askFollow()
    if (this.#stick && this.#anchor === null && this.unseen === 0 && !this.far && this.#atBottom()) return
    this.#stick = true
    this.#stickAt(this.log?.scrollTop ?? 0) // the view goes down from here at the next render
    this.unseen = 0
    this.far = false
    this.#anchor = null
    this.requestUpdate()
  }

  /** Marks the next render as following the newest as asked, if it comes before the next frame. */
  #askFollow(): void {
    if (this.#followAsked) return
    this.#followAsked = true
    beforeNextPaint(() => {
      this.#followAsked = false
    })
  }

  /** Opens the search bar and puts the keyboard in its field. */
  async openSearch(): Promise<void> {
    const request = askFocus()
    this.searching = true
    await this.updateComplete
    request.land(this.renderRoot.querySelector<HTMLInputElement>('.search input'))
  }

  /**
   * Shows the message at `index` (in `messages`) a third of the way down the view and stops
   * following the newest; the window is moved there, so it works at any length of log.
   */
  reveal(index: number): void {
    this.#place(index, Math.round(this.#viewHeight() / 3))
  }

  /** Message `index` of `messages`, or undefined past either end (-1, "not found", is not the newest). */
  #messageAt(index: number): MessageRecord | undefined {
    return index < 0 ? undefined : this.messages.at(index)
  }

  /** Moves the window to message `index`, `offsetPx` below the top of the view, and stops following. */
  #place(index: number, offsetPx: number): void {
    const record = this.#messageAt(index)
    if (record === undefined) return
    const at = index + this.#sortedNotices.filter((notice) => notice.after <= index).length
    const count = this.#count()
    this.#stick = false
    this.#anchor = { key: `m:${record.id}`, offset: offsetPx }
    this.#first = Math.max(0, at - this.#entriesFor(OVERSCAN_PX))
    this.#last = Math.min(count - 1, at + this.#entriesFor(this.#viewHeight() + OVERSCAN_PX))
    this.requestUpdate()
  }

  #onQuery(event: Event): void {
    this.query = (event.target as HTMLInputElement).value
    this.hits = this.#find()
    this.hitIndex = -1
    if (this.hits.length > 0) this.#showHit(this.hits.length - 1) // the newest match first
  }

  /** The messages whose shown text (the last edit's; none once deleted) matches the query. */
  #find(): number[] {
    return this.#search.find(this.messages, this.query, (message) => {
      const annotated = this.annotationOf(message)
      return annotated.deleted ? null : annotated.text
    })
  }

  #showHit(hitIndex: number): void {
    this.hitIndex = hitIndex
    this.reveal(this.hits[hitIndex])
  }

  /** Moves to the next match, older (`-1`) or newer (`+1`), wrapping around. */
  #step(direction: -1 | 1): void {
    const total = this.hits.length
    if (total === 0) return
    const from = this.hitIndex < 0 ? total : this.hitIndex
    this.#showHit((from + direction + total) % total)
  }

  #onSearchKey(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault()
      this.#step(event.shiftKey ? 1 : -1)
    } else if (event.key === 'Escape') {
      event.preventDefault()
      this.#closeSearch()
    }
  }

  #closeSearch(): void {
    this.searching = false
    this.query = ''
    this.hits = []
    this.hitIndex = -1
    this.dispatchEvent(new Event('parley-search-closed', { bubbles: true, composed: true }))
  }

  /**
   * Picks a new window when the rendered entries do not cover the viewport with some margin;
   * records the anchor that keeps the view in place. Returns whether the window changed.
   */
  #moveWindow(): boolean {
    const log = this.log
    const items = this.items
    const count = this.#count()
    if (log === null || items === null || count <= RENDER_ALL_MAX_ENTRIES) return false
    const viewTop = log.scrollTop
    const viewBottom = viewTop + log.clientHeight
    const top = items.offsetTop
    const bottom = top + items.offsetHeight
    const margin = OVERSCAN_PX / 4
    const coveredAbove = this.#first === 0 || top <= viewTop - margin
    const coveredBelow = this.#last >= count - 1 || bottom >= viewBottom + margin
    if (coveredAbove && coveredBelow) return false
    if (this.#stick) {
      this.#first = Math.max(0, this.#first - this.#entriesFor(OVERSCAN_PX))
      return true
    }
    // The spacers were drawn with the estimate of the last render: map positions with it.
    const estimate = this.#renderedEstimate
    const start = top - this.#first * estimate // where the top spacer begins
    let index: number
    let offset: number
    if (viewTop < top) {
      index = Math.max(0, Math.min(this.#first - 1, Math.floor((viewTop - start) / estimate)))
      offset = start + index * estimate - viewTop
    } else if (viewTop >= bottom) {
      index = Math.min(count - 1, this.#last + 1 + Math.floor((viewTop - bottom) / estimate))
      offset = bottom + (index - this.#last - 1) * estimate - viewTop
    } else {
      const at = this.#renderedAt(viewTop)
      if (at === null) return false
      ;({ index, offset } = at)
    }
    const [entry] = this.#window(index, index)
    if (entry === undefined) return false
    this.#anchor = { key: entry.key, offset }
    this.#first = Math.max(0, index - this.#entriesFor(OVERSCAN_PX))
    this.#last = Math.min(count - 1, index + this.#entriesFor(log.clientHeight + OVERSCAN_PX))
    return true
  }

  /**
   * The rendered entry at scroll position `y`: its index, key and offset from `y`. A notice there
   * gives way to the message drawn after it: a line may move (a flood's "hidden" line follows the
   * flood down the log), and a view kept on it would move with it.
   */
  #renderedAt(y: number): (Anchor & { index: number }) | null {
    const children = this.items.children
    let found: (Anchor & { index: number }) | null = null
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as HTMLElement
      if (found === null && child.offsetTop + child.offsetHeight <= y) continue
      const key = child.dataset.key ?? ''
      found ??= { index: this.#first + i, key, offset: child.offsetTop - y }
      if (key.startsWith('m:')) return { index: this.#first + i, key, offset: child.offsetTop - y }
    }
    return found
  }

  /** The first rendered entry still in view, to keep in place across a re-render. */
  #currentAnchor(): Anchor | null {
    return this.log === null ? null : this.#renderedAt(this.log.scrollTop)
  }

  /** Folds the rendered entries' average height into the estimate. */
  #measure(): void {
    const count = this.items.children.length
    if (count === 0) return
    const average = this.items.offsetHeight / count
    this.#estimatePx = this.#measured ? this.#estimatePx + (average - this.#estimatePx) * ESTIMATE_WEIGHT : Math.max(1, average)
    this.#measured = true
  }

  #estimate(): number {
    return this.#estimatePx
  }

  #entriesFor(pixels: number): number {
    return Math.max(1, Math.ceil(pixels / this.#estimate()))
  }

  #viewHeight(): number {
    return this.log?.clientHeight || 800
  }

  #count(): number {
    return this.messages.length + this.#sortedNotices.length
  }

  /** Entries first..last of the log, with notices placed among the messages. */
  #window(first = this.#first, last = this.#last): Entry[] {
    const entries: Entry[] = []
    const notices = this.#sortedNotices
    const total = this.messages.length
    // Notice k sits at display index min(after, total) + k; count those before `first`.
    let k = 0
    while (k < notices.length && Math.min(notices[k].after, total) + k < first) k++
    let message = first - k
    for (let index = first; index <= last; index++) {
      if (k < notices.length && Math.min(notices[k].after, total) + k === index) {
        entries.push({ key: `n:${notices[k].id}`, notice: notices[k] })
        k++
      } else if (message < total) {
        const previousMessage = this.#messageAt(message - 1) ?? null
        const previous = this.#noticeAfter.has(message) ? null : previousMessage
        const record = this.#messageAt(message)
        if (record === undefined) break
        entries.push({ key: `m:${record.id}`, index: message++, message: record, previous, previousMessage })
      }
    }
    return entries
  }

  override render() {
    const estimate = this.#estimate()
    this.#renderedEstimate = estimate
    const count = this.#count()
    const above = this.#first * estimate
    const below = Math.max(0, count - 1 - this.#last) * estimate
    const hitId = this.hitIndex >= 0 ? this.#messageAt(this.hits[this.hitIndex])?.id : undefined
    const now = Date.now()
    const today = new Date(now).setHours(0, 0, 0, 0)
    const entries = this.#window()
    this.#pickWhole(entries)
    return html`
      ${this.searching ? this.#renderSearch() : nothing}
      <div class="view">
      <div class="log" part="log" role="log" aria-label="Messages" tabindex=${this.messages.length === 0 ? '0' : '-1'}
        @scroll=${this.#onScroll} @keydown=${this.#onLogKey} @focusin=${this.#onFocusIn}>
        ${count === 0 ? html`<div class="empty">No messages yet. Say hello!</div>` : ''}
        <div class="above" aria-hidden="true" style=${safeStyle({ height: pixels(above) })}></div>
        <div class="items">${repeat(
          entries,
          (entry) => entry.key,
          (entry) =>
            'notice' in entry
              ? html`<div class="notice" data-key=${entry.key}>${entry.notice.text}</div>`
              : this.#whole.has(entry.key)
                ? this.#renderEntry(entry, entry.message.id === hitId, now, today)
                : html`<div class="entry later" data-key=${entry.key} style=${safeStyle({ height: pixels(estimate) })}></div>`,
        )}</div>
        <div aria-hidden="true" style=${safeStyle({ height: pixels(below) })}></div>
      </div>
      ${this.#renderMissed()}
      ${
        this.unseen > 0 || this.far
          ? html`<button class="jump" @click=${this.scrollToNewest}>${
              this.unseen > 0 ? `${this.unseen} new ${this.unseen === 1 ? 'message' : 'messages'}` : 'Jump to newest'
            } <span aria-hidden="true">↓</span></button>`
          : nothing
      }
      </div>
      <span id="message-keys" class="visually-hidden">${MESSAGE_KEYS_HINT}</span>`
  }

  /**
   * Which message entries this render draws whole: those drawn before, and of the others the
   * newest #newAllowed; the rest are left blank for the next frames (#later).
   */
  #pickWhole(entries: readonly Entry[]): void {
    const whole = new Set<string>()
    const later = new Set<string>()
    let allowed = this.#newAllowed
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]
      if ('notice' in entry) continue
      if (this.#whole.has(entry.key) || allowed-- > 0) whole.add(entry.key)
      else later.add(entry.key)
    }
    this.#whole = whole
    this.#later = later
  }

  /** The button up to new messages that landed above the view, if any is verified. */
  #renderMissed() {
    const count = this.missed.length === 0 ? 0 : this.#announced().length
    if (count === 0) return nothing
    return html`<button class="jump above" @click=${this.#showMissed}>${count} new ${count === 1 ? 'message' : 'messages'} above
      <span aria-hidden="true">↑</span></button>`
  }

  /** Gives the keyboard back to message `id` once rendered (from its actions or its editor), unless it went elsewhere. */
  async #focusMore(id: string): Promise<void> {
    const request = askFocus()
    await this.updateComplete
    request.land(this.#articleOf(id))
  }

  /** The rendered articles by message id. */
  #drawnArticles(): Map<string, HTMLElement> {
    const drawn = new Map<string, HTMLElement>()
    for (const entry of this.items?.children ?? []) {
      const key = entry.getAttribute('data-key')
      const article = key?.startsWith('m:') === true ? entry.querySelector<HTMLElement>('article') : null
      if (key !== null && article !== null) drawn.set(key.slice(2), article)
    }
    return drawn
  }

  /** The rendered article of message `id`, or null when it is outside the window. */
  #articleOf(id: string): HTMLElement | null {
    return this.items?.querySelector<HTMLElement>(`[data-key="${CSS.escape(`m:${id}`)}"] article`) ?? null
  }

  /**
   * Puts the log's one tab stop on the current message (else the newest while following, else
   * the first in view); only that message's own controls are in the tab order, after it. Writes
   * only to the messages drawn since the last call and to the old and new stop; all of them when
   * many were drawn (a jump, a first render). Every article is drawn with tabindex -1 already:
   * only the stop's changes here.
   */
  #syncTabStops(): HTMLElement | null {
    const drawn = this.#drawnKeys
    this.#drawnKeys = new Set()
    const all = drawn.size > FEW_DRAWN_ENTRIES ? [...this.items.querySelectorAll<HTMLElement>('article')] : null
    const current = this.#current === null ? null : this.#articleOf(this.#current)
    const stop = current ?? (this.#stick ? this.#lastArticle() : this.#firstArticleInView())
    const touched = new Set<HTMLElement>(all ?? [])
    if (all === null) {
      for (const entry of this.#entriesKeyed(drawn)) {
        const article = entry.querySelector<HTMLElement>('article')
        if (article !== null) touched.add(article)
      }
      if (this.#stop?.isConnected) touched.add(this.#stop)
      if (stop !== null) touched.add(stop)
    }
    this.#stop = stop
    // Only what changes is written: an attribute set, even to its value, invalidates styles.
    for (const article of touched) {
      const on = article === stop
      const index = on ? '0' : '-1'
      if (article.getAttribute('tabindex') !== index) article.setAttribute('tabindex', index)
      for (const control of article.querySelectorAll<HTMLElement>(MESSAGE_CONTROLS)) {
        if (on) control.removeAttribute('tabindex')
        else if (control.getAttribute('tabindex') !== '-1') control.setAttribute('tabindex', '-1')
      }
    }
    return stop
  }

  /** The rendered entries with these keys, looked for from the newest (where new ones are). */
  #entriesKeyed(keys: ReadonlySet<string>): HTMLElement[] {
    const found: HTMLElement[] = []
    for (let entry = this.items.lastElementChild; entry !== null && found.length < keys.size; entry = entry.previousElementSibling) {
      const key = entry.getAttribute('data-key')
      if (key !== null && keys.has(key)) found.push(entry as HTMLElement)
    }
    return found
  }

  /** The newest rendered message's article, or null when none is rendered. */
  #lastArticle(): HTMLElement | null {
    for (let entry = this.items.lastElementChild; entry !== null; entry = entry.previousElementSibling) {
      const article = entry.querySelector<HTMLElement>('article')
      if (article !== null) return article
    }
    return null
  }

  /** The first rendered message's article still in view, or null. */
  #firstArticleInView(): HTMLElement | null {
    const top = this.log.scrollTop
    for (const article of this.items.querySelectorAll<HTMLElement>('article'))
      if (article.offsetTop + article.offsetHeight > top) return article
    return null
  }

  #onFocusIn(event: FocusEvent): void {
    const article = (event.target as HTMLElement).closest('article')
    const id = article === null ? null : idOf(article)
    if (id === null || id === this.#current) return
    // Enter on a message opens its actions: their code starts loading when it gets the keyboard.
    this.#warmActions()
    this.#current = id
    this.#syncTabStops()
  }

  #onLogKey(event: KeyboardEvent): void {
    const target = event.target as HTMLElement
    const article = target.closest('article')
    const id = article === null ? null : idOf(article)
    // With a modifier a key is the browser's or the screen reader's (Shift+arrows select text).
    if (article === null || id === null || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey)
      return
    // Escape closes the message's open actions from anywhere in it, not only from inside the panel:
    // the keyboard is still on "More actions" until the panel's code is here and its next frame drew
    // it. Left open, the panel went unseen by the keyboard, and Enter on the message then closed it.
    if (event.key === 'Escape' && this.actionsFor === id) {
      event.preventDefault()
      this.actionsFor = null
      this.confirmingDelete = null
      if (target !== article) article.focus()
      return
    }
    if (target !== article) {
      // From a link, reaction or quote of the message: Escape goes back to the message.
      if (event.key === 'Escape') {
        event.preventDefault()
        article.focus()
      }
      return
    }
    if (event.key === 'Enter') {
      event.preventDefault()
      if (article.querySelector('.more') !== null) this.#toggleActions(id)
      return
    }
    // From the message a move is still on its way to, when keys come faster than renders.
    const current = this.indexOf(this.#current ?? id)
    const from = current < 0 ? this.indexOf(id) : current
    const to = moveTarget(event.key, from, this.messages.length, this.#entriesFor(this.#viewHeight()))
    if (to === null) return
    event.preventDefault()
    void this.#focusMessage(to, to < from ? 'older' : 'newer', askFocus())
  }

  /**
   * Moves the keyboard to message `index`, scrolling it into view, if `request` still stands; one
   * outside the rendered window is brought in first, at the top of the view (going `older`) or at the bottom.
   */
  async #focusMessage(index: number, toward: 'older' | 'newer', request: FocusRequest): Promise<void> {
    const record = this.#messageAt(index)
    if (record === undefined) return
    this.#current = record.id
    let article = this.#articleOf(record.id)
    if (article === null) {
      if (index === this.messages.length - 1) this.scrollToNewest()
      else this.#place(index, toward === 'older' ? 0 : Math.max(0, this.#viewHeight() - 2 * this.#estimate()))
      await this.updateComplete
      if (this.#current !== record.id) return // a later key moved on
      article = this.#articleOf(record.id)
    }
    if (article === null) return
    this.#syncTabStops()
    if (request.land(article, { preventScroll: true })) article.scrollIntoView({ block: 'nearest' })
  }

  /**
   * Moves the keyboard from deleted message `id` to the next message, or the previous one when
   * it was the last (`afterDeletion`), so that it stays on a message rather than the whole log.
   */
  async #focusAfterDeletion(id: string): Promise<void> {
    const request = askFocus()
    const index = this.indexOf(id)
    if (index < 0) {
      await this.updateComplete
      request.land(this.log)
      return
    }
    const to = afterDeletion(index, this.messages.length)
    // By id: the messages may change (one arrives, the deletion is drawn) before the render.
    const target = this.#messageAt(to)?.id
    await this.updateComplete
    const now = target === undefined ? -1 : this.indexOf(target)
    if (now >= 0) await this.#focusMessage(now, now < index ? 'older' : 'newer', request)
  }

  /** Focuses the first button matching `selector` in message `id`'s actions once rendered, if `request` still stands. */
  async #focusAction(id: string, selector: string, request = askFocus()): Promise<void> {
    await this.updateComplete
    request.land(this.renderRoot.querySelector<HTMLElement>(`[data-key="${CSS.escape(`m:${id}`)}"] ${selector}`))
  }

  #toggleActions(id: string): void {
    if (this.actionsFor === id) {
      this.actionsFor = null
      this.confirmingDelete = null
    } else {
      this.#openActions(id)
    }
  }

  #openActions(id: string): void {
    this.actionsFor = id
    this.confirmingDelete = null
    // A first use waits for the panel's code; the keyboard stays on "More actions" until then,
    // and where the user took it meanwhile after.
    const request = askFocus()
    this.#actions.load().then(
      () => {
        if (this.actionsFor === id) void this.#focusAction(id, '.actions button', request)
      },
      () => undefined, // drawn as a failure with "Try again" (#renderActionsPanel)
    )
  }

  #closeActions(id: string): void {
    this.actionsFor = null
    this.confirmingDelete = null
    void this.#focusMore(id)
  }

  /** Starts loading the actions' code when the user is about to open them. */
  #warmActions(): void {
    this.#actions.use()
  }

  #startEdit(id: string): void {
    this.actionsFor = null
    this.editing = id
    const request = askFocus()
    void this.updateComplete.then(() => request.land(this.renderRoot.querySelector<HTMLTextAreaElement>('.editor textarea')))
  }

  #finishEdit(id: string, text: string | null, original: string): void {
    if (text !== null && text !== original && draftProblem(text) === null) this.dispatchEvent(intent('parley-edit', { id, text }))
    this.editing = null
    void this.#focusMore(id)
  }

  #jumpTo(id: string): void {
    const index = this.indexOf(id)
    if (index < 0) return
    this.jumpedTo = id
    this.reveal(index)
  }

  /** The open actions of message `id`: the panel or the delete confirmation once loaded, a placeholder until then. */
  #renderActionsPanel(id: string, annotated: AnnotatedMessage, own: boolean, react: (emoji: string, on: boolean) => void) {
    const actions = this.#actions.use()
    if (actions === undefined) {
      return this.#actions.failed
        ? html`<div class="actions" role="alert">Could not load the message actions.
            <button type="button" @click=${() => this.#openActions(id)}>Try again</button></div>`
        : html`<div class="actions" role="status">Loading…</div>`
    }
    if (this.confirmingDelete === id)
      return actions.renderDeleteConfirm({
        confirm: () => {
          this.dispatchEvent(intent('parley-delete', { id }))
          this.actionsFor = null
          this.confirmingDelete = null
          void this.#focusAfterDeletion(id)
        },
        cancel: () => {
          this.confirmingDelete = null
          void this.#focusAction(id, '.actions .delete')
        },
      })
    return actions.renderActions(annotated, own, this.selfId, {
      react: (emoji, on) => {
        react(emoji, on)
        this.#closeActions(id)
      },
      reply: () => {
        this.actionsFor = null
        this.dispatchEvent(intent('parley-reply-to', { id }))
      },
      edit: () => this.#startEdit(id),
      remove: () => {
        this.confirmingDelete = id
        void this.#focusAction(id, '.confirm .cancel')
      },
      close: () => this.#closeActions(id),
    })
  }

  /**
   * The record as its author's last edit left it: one copy per record and text, so the text's
   * parse (cached per record object) is not redone at every render.
   */
  #editedCopy(record: MessageRecord, text: string): MessageRecord {
    let copy = this.#editedCopies.get(record)
    if (copy === undefined || copy.text !== text) {
      copy = { ...record, text }
      this.#editedCopies.set(record, copy)
    }
    return copy
  }

  /** The message as its annotations leave it, the same object as last time if it shows the same. */
  #annotated(record: MessageRecord): AnnotatedMessage {
    return this.#annotations.keep(record, this.annotationOf(record))
  }

  /**
   * Writes the log's length into each rendered message (`aria-setsize`); done here, not in the
   * entries' templates, so that a new message does not make every entry render again.
   */
  #syncSetSize(): void {
    const size = String(this.messages.length)
    for (const article of this.items.querySelectorAll<HTMLElement>('article'))
      if (article.getAttribute('aria-setsize') !== size) article.setAttribute('aria-setsize', size)
  }

  /**
   * A message entry, rendered again only when something it shows changed: its record, verdict and
   * annotation, its place (position, group, day), search and jump highlight, the message it
   * quotes, the reader's id and the member names; always while its actions or editor are open.
   * An entry drawn before, none of whose inputs can have changed since (see DrawnEntry), is handed
   * out as drawn without looking at them: a new message costs the entries before it nothing.
   */
  #renderEntry(entry: Extract<Entry, { message: MessageRecord }>, hit: boolean, now: number, today: number) {
    const { message: record, previousMessage } = entry
    const id = record.id
    const open = this.actionsFor === id || this.editing === id
    const drawn = this.#drawn.get(record)
    if (
      !open &&
      drawn !== undefined &&
      drawn.epoch === this.#inputsEpoch &&
      drawn.index === entry.index &&
      drawn.previous === entry.previous &&
      drawn.previousMessage === previousMessage &&
      drawn.hit === hit &&
      drawn.today === today &&
      (drawn.missingOriginalIn === null || drawn.missingOriginalIn === this.messages) &&
      (drawn.checksEpoch === this.#checksEpoch || !drawn.askedPending)
    )
      return drawn.view
    const annotated = this.#annotated(record)
    let askedPending = false
    const verdictOf = (message: MessageRecord): Verdict => {
      const verdict = this.verdictOf(message)
      if (verdict === 'pending') askedPending = true
      return verdict
    }
    const verdict = verdictOf(record)
    const newDay = previousMessage === null || !sameDay(previousMessage.sentAt, record.sentAt)
    // A continued message keeps its author and time for screen readers; only the eye skips them.
    // An edited message shows its header, so that "(edited)" is seen; the verdicts are the
    // records' own (a copy with the edited text would not verify).
    const continued = !newDay && !annotated.edited && continuesGroup(entry.previous, record, verdictOf)
    const day = newDay ? dayLabel(record.sentAt, now) : null
    const original = annotated.replyTo === null ? undefined : this.#messageAt(this.indexOf(annotated.replyTo))
    const quoted = original === undefined ? null : this.#annotated(original)
    const quotedVerdict: Verdict = original === undefined ? 'pending' : verdictOf(original)
    const highlighted = hit || this.jumpedTo === id
    const inputs = { annotated, verdict, continued, day, original, quoted, quotedVerdict, highlighted }
    const view = guard(
      [
        record,
        annotated,
        verdict,
        entry.index,
        continued,
        day,
        highlighted,
        original,
        quoted,
        quotedVerdict,
        // An open panel or editor depends on more state (its loading, the delete confirmation): drawn every time.
        open ? {} : false,
        this.selfId,
        this.canAnnotate,
        this.mentionNames,
        this.fetchFile,
      ],
      () => this.#renderMessage(entry, inputs),
    )
    const missingOriginalIn = annotated.replyTo !== null && original === undefined ? this.messages : null
    this.#drawn.set(record, {
      epoch: this.#inputsEpoch,
      index: entry.index,
      previous: entry.previous,
      previousMessage,
      hit,
      today,
      missingOriginalIn,
      checksEpoch: this.#checksEpoch,
      askedPending,
      view,
    })
    return view
  }

  #renderMessage(
    entry: Extract<Entry, { message: MessageRecord }>,
    inputs: {
      annotated: AnnotatedMessage
      verdict: Verdict
      continued: boolean
      day: string | null
      original: MessageRecord | undefined
      quoted: AnnotatedMessage | null
      quotedVerdict: Verdict
      highlighted: boolean
    },
  ) {
    const { annotated, verdict, continued, day, original, quoted, quotedVerdict, highlighted } = inputs
    this.#drawnKeys.add(entry.key) // its controls may be new: #syncTabStops takes them out of the tab order
    // The text as its author's last edit left it, drawn at the same spot as any text.
    const message = annotated.text === entry.message.text ? entry.message : this.#editedCopy(entry.message, annotated.text)
    const id = message.id
    const own = verdict === 'verified' && this.selfId !== '' && message.authorId === this.selfId
    const react = (emoji: string, on: boolean): void => {
      this.dispatchEvent(intent('parley-react', { id, emoji, on }))
    }
    const times = messageTimes(message)
    const fullTime = times.full
    // Editing starts from the actions panel, so its code (the editor's too) is loaded by then.
    const editor =
      this.editing === id ? this.#actions.use()?.renderEditor(message.text, (text) => this.#finishEdit(id, text, message.text)) : undefined
    // The editor stands in for the text (hidden meanwhile), not for a deleted message's line. The
    // text is a part of the entry's own template: a template of its own cost every new message
    // one more instance to clone (BENCHMARKS.md, "Send", "Fifteenth session").
    const editing = editor !== undefined && !annotated.deleted
    // Every article is drawn out of the tab order yet able to take the keyboard (tabindex -1), so
    // #syncTabStops writes only the stop's 0: a message drawn without one, already offering its
    // actions, took no focus until its tabindex came (edits.test.ts failed so in CI).
    return html`
      <div class="entry" data-key=${entry.key}>
        ${day === null ? nothing : html`<div class="day">${day}</div>`}
        <article part="message" tabindex="-1" class="${continued ? 'continued' : ''} ${highlighted ? 'hit' : ''}" title=${continued ? fullTime : nothing}
          aria-posinset=${entry.index + 1} aria-describedby="message-keys">
          <div class="meta ${continued && !annotated.edited ? 'visually-hidden' : ''}">
            <span class="author ${verdict}" title=${AUTHOR_TITLES[verdict]} style=${safeStyle(verdict === 'verified' ? { '--author-color': colorFor(message.authorId) } : {})}>${authorLabel(message, verdict)}</span>
            <time datetime=${times.iso} title=${fullTime}><span aria-hidden="true">${times.short}</span><span class="visually-hidden">${fullTime}</span></time>
            ${annotated.edited ? html`<span class="edited">(edited)</span>` : nothing}
          </div>
          ${
            annotated.replyTo === null ? nothing : renderQuote(original, quoted, quotedVerdict, () => this.#jumpTo(annotated.replyTo ?? ''))
          }
          <p class=${annotated.deleted ? 'deleted' : nothing} ?hidden=${editing}>${
            annotated.deleted ? 'message deleted' : renderRichText(richTextOf(message, this.mentionNames))
          }</p>
          ${editing ? editor : nothing}
          ${annotated.file === null || annotated.deleted ? nothing : renderFile(annotated.file, this.fetchFile)}
          ${renderRefused(annotated)}
          ${annotated.deleted ? nothing : renderReactions(annotated, this.selfId, this.canAnnotate ? react : null)}
          ${
            annotated.deleted || verdict === 'pending' || !this.canAnnotate
              ? nothing
              : html`<button type="button" class="more" tabindex="-1" aria-label="More actions" title="More actions (Enter on the message)" aria-expanded=${this.actionsFor === id ? 'true' : 'false'}
                  @click=${() => this.#toggleActions(id)} @focus=${this.#warmActions} @pointerenter=${this.#warmActions}>…</button>`
          }
          ${this.actionsFor === id && !annotated.deleted && this.canAnnotate ? this.#renderActionsPanel(id, annotated, own, react) : nothing}
        </article>
      </div>`
  }

  #renderSearch() {
    const total = this.hits.length
    const status = this.query.trim() === '' ? '' : total === 0 ? 'No matches' : `${this.hitIndex + 1} of ${total}`
    return html`
      <form class="search" role="search" aria-label="Search messages" @submit=${(event: Event) => event.preventDefault()}>
        <input type="search" aria-label="Search messages" placeholder="Search messages" .value=${this.query}
          @input=${this.#onQuery} @keydown=${this.#onSearchKey}>
        <output aria-live="polite">${status}</output>
        <button type="button" aria-label="Older match" title="Older match (Enter)" ?disabled=${total === 0} @click=${() => this.#step(-1)}>↑</button>
        <button type="button" aria-label="Newer match" title="Newer match (Shift+Enter)" ?disabled=${total === 0} @click=${() => this.#step(1)}>↓</button>
        <button type="button" aria-label="Close search" title="Close search (Escape)" @click=${this.#closeSearch}>✕</button>
      </form>`
  }
}

/** The id of the message an article shows, from its entry's key. */
function idOf(article: HTMLElement): string | null {
  const key = article.closest<HTMLElement>('.entry')?.dataset.key
  return key?.startsWith('m:') ? key.slice(2) : null
}

/** Shown instead of a message's author, in neither name nor colour, until its signature is checked. */
const PENDING_LABEL = 'Checking signature…'

/** The author's title by verdict (none for a verified one). */
const AUTHOR_TITLES: Record<Verdict, string | typeof nothing> = {
  unverified: 'The signature of this message does not match its author',
  pending: 'The signature of this message is being checked',
  verified: nothing,
}

/**
 * The author as shown: a claim that failed (or was never signed) is marked, not trusted; one
 * still being checked shows no name at all. The colour is derived from the id, never sent (set
 * only on a verified author). Bindings of the entry's own template, not a template per verdict:
 * a template of its own cost every new message one more instance to clone, and its verification another.
 */
function authorLabel(message: MessageRecord, verdict: Verdict): string {
  switch (verdict) {
    case 'unverified':
      return `⚠ ${message.authorName} (unverified)`
    case 'pending':
      return PENDING_LABEL
    case 'verified':
      return message.authorName
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-message-list': ParleyMessageList
  }
}
