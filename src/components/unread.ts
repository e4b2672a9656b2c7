// Unread messages while the page is hidden, as pure functions over the message list:
// which ones count, the "(3) " title prefix ("(@1 · 3) " when one mentions the user), and
// what a system notification says. Only a verified message can mention the user.
import type { MessageRecord, ReadonlyList, Verdict } from '../room/index.js'

/** Longest message text shown in a system notification, in characters. */
export const MAX_NOTIFICATION_BODY_CHARS = 160

/** The messages after the first `after` that someone other than `selfId` wrote. */
export function unreadFrom(messages: ReadonlyList<MessageRecord>, after: number, selfId: string): MessageRecord[] {
  return messages.slice(Math.max(0, after)).filter((message) => message.authorId !== selfId)
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
