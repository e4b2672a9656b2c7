// Reading and writing chat messages in a room document: pure functions over a Y.Doc.
// Invalid records written by other peers are skipped and counted, never rendered.
import type * as Y from 'yjs'
import { keyDirectoryOf } from './author-keys.js'
import {
  MAX_MESSAGE_CHARS,
  encodeMessageRecord,
  keyStoredApart,
  messagesOf,
  parseMessageRecord,
  type KeyLookup,
  type MessageRecord,
} from './schema.js'

/** Why a draft cannot be sent, or null when it can. */
export type DraftProblem = 'empty' | 'too-long' | null

/** Checks a draft before sending; whitespace-only drafts are empty. */
export function draftProblem(text: string): DraftProblem {
  if (text.trim().length === 0) return 'empty'
  if (text.length > MAX_MESSAGE_CHARS) return 'too-long'
  return null
}

/** The valid messages of a batch of raw records, and how many were skipped. */
export interface MessageBatch {
  messages: MessageRecord[]
  skipped: number
}

/** Validates raw records, keeping their order; compact records find their keys through `keyOf`. */
export function parseMessages(raw: readonly unknown[], keyOf?: KeyLookup): MessageBatch {
  const messages: MessageRecord[] = []
  let skipped = 0
  for (const value of raw) {
    const record = parseMessageRecord(value, keyOf)
    if (record === null) skipped++
    else messages.push(record)
  }
  return { messages, skipped }
}

/** Reads every valid message of the room, in document order. */
export function readMessages(doc: Y.Doc): MessageBatch {
  return parseMessages(messagesOf(doc).toArray(), keyDirectoryOf(doc).keyOf)
}

/**
 * Appends a message to the room in the compact format, with its author's key if the room does
 * not hold it yet (in the same transaction, before the record); throws if the record is invalid
 * (a local bug, not input).
 */
export function appendMessage(doc: Y.Doc, record: MessageRecord, origin: unknown = null): void {
  if (parseMessageRecord(record) === null) throw new Error('appendMessage: invalid message record')
  doc.transact(() => messagesOf(doc).push([storedForm(doc, record)]), origin)
}

/** A record as written to `doc`, its key added to the room's keys when the record leaves it out. */
function storedForm(doc: Y.Doc, record: MessageRecord): unknown {
  const stored = encodeMessageRecord(record)
  if (record.publicKey !== undefined && keyStoredApart(stored)) keyDirectoryOf(doc).ensure(record.publicKey)
  return stored
}

/** What changed in the message array: a full reset, or records appended at the end. */
export type MessagesChange = { kind: 'reset'; batch: MessageBatch } | { kind: 'append'; batch: MessageBatch }

/**
 * Calls `listener` on every change of the room's messages. Appends at the end (the common
 * case: new messages) are reported as such, in time proportional to what was appended;
 * anything else (a concurrent insert that sorted earlier, a deletion) as a reset with the
 * whole list. Returns an unsubscribe.
 */
export function observeMessages(doc: Y.Doc, listener: (change: MessagesChange) => void): () => void {
  const messages = messagesOf(doc)
  const { keyOf } = keyDirectoryOf(doc)
  let length = messages.length
  let last = lastOf(messages)
  const handler = (event: Y.YArrayEvent<unknown>): void => {
    const appended = appendedRecords(messages, length, last, event.transaction)
    length = messages.length
    last = lastOf(messages)
    if (appended !== null) listener({ kind: 'append', batch: parseMessages(appended, keyOf) })
    else listener({ kind: 'reset', batch: parseMessages(messages.toArray(), keyOf) })
  }
  messages.observe(handler)
  return () => messages.unobserve(handler)
}

function lastOf(messages: Y.Array<unknown>): unknown {
  return messages.length > 0 ? messages.get(messages.length - 1) : undefined
}

/**
 * The records a transaction added at the very end of the array, or null if it did anything
 * else: nothing was deleted, and the record that was last is still at its index, so all that
 * is new sits after it. Y.Array#get finds recent indexes through search markers, so this
 * does not walk the whole list (Yjs's `event.changes` would, on every message).
 */
function appendedRecords(
  messages: Y.Array<unknown>,
  lengthBefore: number,
  lastBefore: unknown,
  transaction: Y.Transaction,
): unknown[] | null {
  if (transaction.deleteSet.clients.size > 0 || messages.length < lengthBefore) return null
  if (lengthBefore === 0) return messages.toArray()
  if (messages.get(lengthBefore - 1) !== lastBefore) return null
  // Many at once (a history's part): one walk of the array's items, not a lookup per record
  // (thousands of them, cold on a joiner's page, between the history's parts).
  if (messages.length - lengthBefore > GOT_ONE_BY_ONE) return messages.slice(lengthBefore)
  const appended: unknown[] = []
  for (let index = lengthBefore; index < messages.length; index++) appended.push(messages.get(index))
  return appended
}

/**
 * Most records appended at once that are looked up one by one (each `get` finds its index from a
 * search marker near the end); more are sliced, which walks the array's items from the start.
 */
const GOT_ONE_BY_ONE = 64

/** The messages of `after` that `before` did not hold (by id), in `after`'s order. */
export function newMessages(before: readonly MessageRecord[], after: readonly MessageRecord[]): MessageRecord[] {
  const known = new Set(before.map((message) => message.id))
  return after.filter((message) => !known.has(message.id))
}

/** Whether two records carry the same signed fields (their signatures aside). */
export function sameSignedFields(a: MessageRecord, b: MessageRecord): boolean {
  return (
    a.id === b.id &&
    a.authorId === b.authorId &&
    a.authorName === b.authorName &&
    a.text === b.text &&
    a.sentAt === b.sentAt &&
    a.publicKey === b.publicKey
  )
}

/** Whether two records are the same message, field for field. */
export function sameRecord(a: MessageRecord, b: MessageRecord): boolean {
  return sameSignedFields(a, b) && a.signature === b.signature
}

/**
 * Drops records identical to one already kept (in `kept`, by id, updated as it goes). Several
 * peers restoring one deleted message make copies; a different record reusing an id is kept,
 * so a forgery can never hide the message it imitates.
 */
export function withoutCopies(records: readonly MessageRecord[], kept: Map<string, MessageRecord[]>): MessageRecord[] {
  const result: MessageRecord[] = []
  for (const record of records) {
    const sameId = kept.get(record.id)
    if (sameId?.some((other) => sameRecord(other, record)) === true) continue
    if (sameId === undefined) kept.set(record.id, [record])
    else sameId.push(record)
    result.push(record)
  }
  return result
}

/** Records shown before that are gone now, each with the index it had. */
export function lostRecords(
  before: readonly MessageRecord[],
  after: readonly MessageRecord[],
): Array<{ index: number; record: MessageRecord }> {
  const present = new Map<string, MessageRecord[]>()
  withoutCopies(after, present)
  const lost: Array<{ index: number; record: MessageRecord }> = []
  before.forEach((record, index) => {
    if (present.get(record.id)?.some((other) => sameRecord(other, record)) !== true) lost.push({ index, record })
  })
  return lost
}

/** Puts lost records back where they were (as far as the array is long now). */
export function restoreRecords(doc: Y.Doc, lost: ReadonlyArray<{ index: number; record: MessageRecord }>, origin: unknown): void {
  const messages = messagesOf(doc)
  doc.transact(() => {
    for (const { index, record } of lost) messages.insert(Math.min(index, messages.length), [storedForm(doc, record)])
  }, origin)
}
