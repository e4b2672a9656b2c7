// The times a log entry shows for a message, formatted once per record: Intl formatting costs
// tens of µs a call, and the log redraws every entry of its window for each new message.
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

/** The times of `message`, formatted the first time it is asked for (records never change). */
export function messageTimes(message: MessageRecord): MessageTimes {
  let times = formatted.get(message)
  if (times === undefined) {
    times = {
      short: timeFormat.format(message.sentAt),
      full: dateTimeFormat.format(message.sentAt),
      iso: new Date(message.sentAt).toISOString(),
    }
    formatted.set(message, times)
  }
  return times
}
