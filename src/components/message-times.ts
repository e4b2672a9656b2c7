// The times a log entry shows for a message, formatted once per record and once per minute: Intl
// formatting costs tens of µs a call, and a new message is drawn in the task that shows it.
import type { MessageRecord } from '../room/index.js'

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A message's sending time as the log shows it. */
export interface MessageTimes {
  /** Hours and minutes, as shown next to the author. */
  short: string
  /** Date and time, for hover and screen readers. */
  full: string
  /** ISO 8601, for the `datetime` attribute. */
  iso: string
}

const formatted = new WeakMap<MessageRecord, MessageTimes>()

const MS_PER_MINUTE = 60_000
/** Minutes whose shown times are kept; past that the cache starts over. */
const MAX_MINUTES = 512
/**
 * The shown times (to the minute) by minute since the epoch: a conversation's messages mostly
 * share their minute with the one before, so a new message is seldom formatted at all. Time
 * zones are whole minutes off UTC, so a UTC minute is one local minute.
 */
const byMinute = new Map<number, Pick<MessageTimes, 'short' | 'full'>>()

/** The times of `message`, formatted the first time it is asked for (records never change). */
export function messageTimes(message: MessageRecord): MessageTimes {
  let times = formatted.get(message)
  if (times === undefined) {
    const minute = Math.floor(message.sentAt / MS_PER_MINUTE)
    let shown = byMinute.get(minute)
    if (shown === undefined) {
      if (byMinute.size >= MAX_MINUTES) byMinute.clear()
      shown = { short: timeFormat.format(message.sentAt), full: dateTimeFormat.format(message.sentAt) }
      byMinute.set(minute, shown)
    }
    times = { ...shown, iso: new Date(message.sentAt).toISOString() }
    formatted.set(message, times)
  }
  return times
}
