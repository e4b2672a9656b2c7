// Tells the user about messages that arrive while the page is hidden: where they start (a
// marker in the log), how many and how many mention the user (the document title), and, if
// allowed, system notifications. Mentions and notifications wait for a message's verdict.
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import type { MessageRecord, ReadonlyList, Verdict } from '../room/index.js'
import { type MentionNames, NO_MENTIONS, mentionsSelf } from './rich-text.js'
import { richTextOf } from './rich-text-view.js'
import { UnreadTally, bySettled, notificationFor, unreadFrom, withUnreadCount } from './unread.js'

/** What the controller looks at on each update of its host. */
export interface UnreadInput {
  /** The room's messages, oldest first. */
  messages: ReadonlyList<MessageRecord>
  /** The user's id: their own messages (from any of their tabs) are never unread. */
  selfId: string
  /** The room's name, for notifications. */
  room: string
  /** Whether to touch the document title and post system notifications. */
  notify: boolean
  /** The names a mention may refer to, the user's own among them. */
  mentionNames?: MentionNames
  /**
   * Whether each message's author is who it claims (a new function when verdicts settle):
   * only a verified message mentions the user; a pending one is told about once settled.
   */
  verdictOf: (message: MessageRecord) => Verdict
}

/** Whether system notifications may be shown, or 'unsupported' without the Notification API. */
export type NotifyPermission = NotificationPermission | 'unsupported'

/** Unread counts (and mentions among them) of every chat element on the page, summed into one title prefix. */
const titleCounts = new Map<object, { unread: number; mentions: number }>()
/** The title without a count while one is shown, else null. */
let titleBase: string | null = null
/** The title as last written here, to notice when the page retitles itself. */
let titleWritten = ''

function showUnreadCount(source: object, count: number, mentions = 0): void {
  if (count > 0 || mentions > 0) titleCounts.set(source, { unread: count, mentions })
  else titleCounts.delete(source)
  let total = 0
  let totalMentions = 0
  for (const each of titleCounts.values()) {
    total += each.unread
    totalMentions += each.mentions
  }
  if (titleBase !== null && document.title !== titleWritten) titleBase = document.title
  if (total === 0) {
    if (titleBase !== null && document.title === titleWritten) document.title = titleBase
    titleBase = null
    return
  }
  titleBase ??= document.title
  titleWritten = withUnreadCount(titleBase, total, totalMentions)
  document.title = titleWritten
}

/** Tracks unread messages of one chat element while the page is hidden. */
export class UnreadController implements ReactiveController {
  /** Where the "New messages" marker goes: after this many messages; null for none. */
  marker: number | null = null
  #host: ReactiveControllerHost
  #hidden = false
  /** How many messages there were when the page was hidden. */
  #after = 0
  /** How many messages were already considered for notifications. */
  #seen = 0
  /** How many of the unread messages mention the user. */
  #mentions = 0
  /** Unread messages from others whose signature check had not settled when last looked at. */
  #waiting: MessageRecord[] = []
  /** The unread count, kept across arrivals: each costs what it added, not what is unread. */
  #unread = new UnreadTally()
  #room: string | null = null
  /**
   * Notification.permission as last read: Chromium answers it through a synchronous call to
   * the browser process, a millisecond or more, and the chat reads it on every render.
   */
  #permission: NotifyPermission = typeof Notification === 'undefined' ? 'unsupported' : Notification.permission

  constructor(host: ReactiveControllerHost) {
    this.#host = host
    host.addController(this)
  }

  /** Whether the user allowed system notifications. */
  get permission(): NotifyPermission {
    return this.#permission
  }

  hostConnected(): void {
    this.#hidden = document.visibilityState === 'hidden'
    document.addEventListener('visibilitychange', this.#onVisibilityChange)
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.#onVisibilityChange)
    showUnreadCount(this, 0)
  }

  /** Brings the marker, the title and notifications up to date; call on every host update. */
  update({ messages, selfId, room, notify, mentionNames = NO_MENTIONS, verdictOf }: UnreadInput): void {
    if (room !== this.#room) {
      // Another room: what it shows on arrival is not news.
      this.#room = room
      this.marker = null
      this.#after = this.#seen = messages.length
      this.#mentions = 0
      this.#waiting = []
    }
    if (messages.length < this.#seen) {
      this.#seen = this.#after = messages.length
      this.#mentions = 0
      this.#waiting = []
    }
    const fresh = unreadFrom(messages, this.#seen, selfId)
    this.#seen = messages.length
    if (!this.#hidden) {
      this.#waiting = []
      showUnreadCount(this, 0)
      return
    }
    // A forged or unsigned message mentions no one: mentions and notifications are counted
    // once a message's verdict is known, pending ones when it settles (a later update).
    const { settled, pending } = bySettled([...this.#waiting, ...fresh], verdictOf)
    this.#waiting = pending
    // Parsed once per message (cached), and only the settled fresh ones: counted once each.
    const mentionsUser = (message: MessageRecord): boolean =>
      verdictOf(message) === 'verified' && mentionsSelf(richTextOf(message, mentionNames))
    this.#mentions += settled.filter(mentionsUser).length
    const unread = this.#unread.countOf(messages, this.#after, selfId)
    if (unread > 0) this.marker = this.#after
    showUnreadCount(this, notify ? unread : 0, notify ? this.#mentions : 0)
    if (notify) this.#post(room, settled, mentionsUser, verdictOf)
  }

  /** Removes the marker, e.g. once the user writes. */
  clear(): void {
    this.marker = null
  }

  /** Asks the user to allow system notifications; call it from a click. */
  async requestPermission(): Promise<void> {
    if (typeof Notification === 'undefined') return
    this.#permission = await Notification.requestPermission()
    this.#host.requestUpdate()
  }

  #onVisibilityChange = (): void => {
    const hidden = document.visibilityState === 'hidden'
    // The user may have changed it in the browser's settings meanwhile.
    if (typeof Notification !== 'undefined') this.#permission = Notification.permission
    if (hidden === this.#hidden) return
    this.#hidden = hidden
    if (hidden) {
      this.#after = this.#seen
      this.marker = null
    }
    this.#mentions = 0
    this.#waiting = []
    this.#host.requestUpdate()
  }

  #post(
    room: string,
    fresh: readonly MessageRecord[],
    mentionsUser: (message: MessageRecord) => boolean,
    verdictOf: (message: MessageRecord) => Verdict,
  ): void {
    const text = notificationFor(room, fresh, mentionsUser, verdictOf)
    if (text === null || this.permission !== 'granted') return
    try {
      const notification = new Notification(text.title, { body: text.body, tag: `parley:${room}` })
      notification.addEventListener('click', () => {
        window.focus()
        notification.close()
      })
    } catch {
      // Some browsers (Chrome on Android) allow notifications only from a service worker.
    }
  }
}
