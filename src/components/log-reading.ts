// What makes a long log readable, as pure functions: which messages share one header, where a
// new day starts and what it is called, and finding messages by their text.
import type { MessageRecord, ReadonlyList, Verdict } from '../room/index.js'

/** Longest gap between two messages of one author that still shares a header, in ms. */
export const GROUP_GAP_MS = 5 * 60 * 1000

/**
 * Whether `message` goes under the header of `previous` (the entry just before it in the log,
 * or null if that is not a message): same author, within GROUP_GAP_MS, on the same day, and
 * both verified. A claim that is pending or failed always shows its own header, so a forgery
 * never hides under a real author's name.
 */
export function continuesGroup(
  previous: MessageRecord | null,
  message: MessageRecord,
  verdictOf: (message: MessageRecord) => Verdict,
): boolean {
  if (previous === null || previous.authorId !== message.authorId) return false
  const gap = message.sentAt - previous.sentAt
  if (gap < 0 || gap > GROUP_GAP_MS || !sameDay(previous.sentAt, message.sentAt)) return false
  return verdictOf(message) === 'verified' && verdictOf(previous) === 'verified'
}

/** Whether two times fall on one calendar day, in the device's time zone. */
export function sameDay(a: number, b: number): boolean {
  const x = new Date(a)
  const y = new Date(b)
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate()
}

const fullDate = new Intl.DateTimeFormat(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' })
const MS_PER_DAY = 24 * 60 * 60 * 1000

/** The day separator's text: "Today", "Yesterday", or the full date. */
export function dayLabel(time: number, now: number): string {
  if (sameDay(time, now)) return 'Today'
  // A day before `now`: noon yesterday is on yesterday's date whatever daylight saving does.
  const noonToday = new Date(now).setHours(12, 0, 0, 0)
  if (sameDay(time, noonToday - MS_PER_DAY)) return 'Yesterday'
  return fullDate.format(time)
}

/** The text a message shows (its last edit's), or null when it shows none (deleted). */
export type ShownText = (message: MessageRecord) => string | null

/**
 * Finds messages by the text they show, case-insensitively. Each record's folded text is kept
 * with the text it was folded from (an edit replaces it), so searching 100,000 messages again
 * folds nothing twice.
 */
export class MessageSearch {
  #folded = new WeakMap<MessageRecord, { text: string; folded: string }>()

  /**
   * Indices in `messages` whose shown text (`shown`; the record's own text by default) contains
   * `query`, oldest first; none for a blank query, never a message that shows no text.
   */
  find(messages: ReadonlyList<MessageRecord>, query: string, shown: ShownText = (message) => message.text): number[] {
    const needle = fold(query.trim())
    if (needle === '') return []
    const hits: number[] = []
    for (let index = 0; index < messages.length; index++) {
      const record = messages.at(index)
      if (record === undefined) continue
      const text = shown(record)
      if (text === null) continue
      let cached = this.#folded.get(record)
      if (cached === undefined || cached.text !== text) {
        cached = { text, folded: fold(text) }
        this.#folded.set(record, cached)
      }
      if (cached.folded.includes(needle)) hits.push(index)
    }
    return hits
  }
}

/**
 * Which of `hits` (message indices, oldest first) stands where the one shown before, at
 * message index `shown`, stood: itself if still a match, else the next newer match, else the
 * newest; -1 for none. Keeps "N of M" on the same place when matches come and go.
 */
export function keptHit(hits: readonly number[], shown: number | undefined): number {
  if (hits.length === 0 || shown === undefined) return -1
  const at = hits.findIndex((index) => index >= shown)
  return at < 0 ? hits.length - 1 : at
}

/** Text folded for matching: lower case, and letters without their accents ("é" finds "e"). */
function fold(text: string): string {
  // Most texts are plain ASCII: skip the costly normalisation for them.
  const plain = NON_ASCII.test(text) ? text.normalize('NFD').replace(DIACRITICS, '') : text
  return plain.toLocaleLowerCase()
}

/** Anything but printable ASCII and line breaks: only such texts need normalising. */
const NON_ASCII = /[^\t\n\r -~]/
const DIACRITICS = /\p{Diacritic}/gu
