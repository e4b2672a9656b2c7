// Unread messages while the page is hidden, as pure functions over the message list:
// which ones count, the "(3) " title prefix ("(@1 · 3) " when one mentions the user), and
// what a system notification says. Only a verified message can mention the user.
import { type MessageRecord, type ReadonlyList, type Verdict, continuesList } from '../room/index.js'

/** Longest message text shown in a system notification, in characters. */
export const MAX_NOTIFICATION_BODY_CHARS = 160

/** The messages after the first `after` that someone other than `selfId` wrote. */
export function unreadFrom(messages: ReadonlyList<MessageRecord>, after: number, selfId: string): MessageRecord[] {
  return messages.slice(Math.max(0, after)).filter((message) => message.authorId !== selfId)
}

/**
 * How many of `unreadFrom(messages, after, selfId)` there are, kept from one list of a room to its
 * next: a list that continues the one counted last (the room's next view of the array it appends
 * to) costs only the messages it added, so an arrival costs the same with ten unread or 10,000.
 * Any other list (the room re-sorted or dropped its array, or a caller hands plain arrays), or
 * another `after` or `selfId`, is counted afresh.
 */
export class UnreadTally {
  #counted: ReadonlyList<MessageRecord> | null = null
  #after = 0
  #selfId = ''
  #count = 0

  /** The number of messages after the first `after` in `messages` that someone other than `selfId` wrote. */
  countOf(messages: ReadonlyList<MessageRecord>, after: number, selfId: string): number {
    const counted = this.#counted
    if (counted !== null && after === this.#after && selfId === this.#selfId && continuesList(messages, counted))
      this.#count += unreadFrom(messages, Math.max(after, counted.length), selfId).length
    else this.#count = unreadFrom(messages, after, selfId).length
    this.#counted = messages
    this.#after = after
    this.#selfId = selfId
    return this.#count
  }
}

/**
 * `messages` split by whether their signature check settled: the settled ones can be told
 * about now, the pending ones once it does.
 */
export function bySettled(
  messages: readonly MessageRecord[],
  verdictOf: (message: MessageRecord) => Verdict,
): { settled: MessageRecord[]; pending: MessageRecord[] } {
  const settled: MessageRecord[] = []
  const pending: MessageRecord[] = []
  for (const message of messages) (verdictOf(message) === 'pending' ? pending : settled).push(message)
  return { settled, pending }
}

/**
 * The page title with "(count) " in front ("(3) #lobby · Parley"), and the mentions of the
 * user among them first ("(@1 · 3) #lobby · Parley"); `title` itself when there are none.
 */
export function withUnreadCount(title: string, count: number, mentions = 0): string {
  if (mentions > 0) return `(@${mentions} · ${Math.max(count, mentions)}) ${title}`
  return count > 0 ? `(${count}) ${title}` : title
}

/** A system notification's title and body. */
export interface NotificationText {
  title: string
  body: string
}

/**
 * What to tell the user about `fresh` messages from others in `room`; null for none. Those
 * for which `mentionsUser` holds are said to mention the user, if verified; an author whose
 * claim did not verify (`verdictOf`; callers without verdicts leave all verified) is marked,
 * as in the log, never shown as the user claimed.
 */
export function notificationFor(
  room: string,
  fresh: readonly MessageRecord[],
  mentionsUser: (message: MessageRecord) => boolean = () => false,
  verdictOf: (message: MessageRecord) => Verdict = () => 'verified',
): NotificationText | null {
  if (fresh.length === 0) return null
  const author = (message: MessageRecord): string =>
    verdictOf(message) === 'verified' ? message.authorName : `⚠ ${message.authorName} (unverified)`
  const mentioning = (message: MessageRecord): boolean => verdictOf(message) === 'verified' && mentionsUser(message)
  if (fresh.length === 1) {
    const [message] = fresh
    const title = mentioning(message) ? `${author(message)} mentioned you in #${room}` : `${author(message)} in #${room}`
    return { title, body: truncate(message.text, MAX_NOTIFICATION_BODY_CHARS) }
  }
  const authors = [...new Set(fresh.map(author))]
  const mentions = fresh.filter(mentioning).length
  const mentioned = mentions === 0 ? '' : mentions === 1 ? ', 1 mentions you' : `, ${mentions} mention you`
  return { title: `${fresh.length} new messages in #${room}${mentioned}`, body: `From ${authors.join(', ')}` }
}

function truncate(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…'
}
