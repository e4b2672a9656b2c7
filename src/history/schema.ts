// The shape of a room's shared Yjs document, declared once, and the guard every record passes.
// Records come from other peers, so they arrive as `unknown` and are validated before use.
import type * as Y from 'yjs'
import { MAX_NAME_CHARS, MAX_SIGNATURE_FIELD_CHARS } from '../identity/index.js'

/** Longest message text a user may send, in characters (UTF-16 code units). */
export const MAX_MESSAGE_CHARS = 4000
/** Longest id (message or user), in characters. */
const MAX_ID_CHARS = 128
/**
 * Latest time a JavaScript Date can hold, in ms since the epoch (year 275760). A later `sentAt`
 * is an Invalid Date, which throws when the log formats it: one such record broke every log.
 */
const MAX_SENT_AT_MS = 8.64e15

/** One chat message as stored in the room's `messages` array. Immutable once written. */
export interface MessageRecord {
  /** Unique id of the message (random, made by the author). */
  id: string
  /** Stable id of the author's browser profile. */
  authorId: string
  /** Display name of the author when the message was sent. */
  authorName: string
  text: string
  /** Milliseconds since the epoch, by the author's clock. */
  sentAt: number
  /** The author's Ed25519 public key (base64url); absent on unsigned messages. */
  publicKey?: string
  /** Signature over the message (see signing.ts); absent on unsigned messages. */
  signature?: string
}

/** The room's messages, in the document's (converged) order. */
export function messagesOf(doc: Y.Doc): Y.Array<unknown> {
  return doc.getArray<unknown>('messages')
}

const isBoundedString = (value: unknown, max: number, allowEmpty = false): value is string =>
  typeof value === 'string' && value.length <= max && (allowEmpty || value.length > 0)

/** Returns the record if `value` is a well-formed message, otherwise null. */
export function parseMessageRecord(value: unknown): MessageRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const { id, authorId, authorName, text, sentAt, publicKey, signature } = value as Record<string, unknown>
  if (!isBoundedString(id, MAX_ID_CHARS)) return null
  if (!isBoundedString(authorId, MAX_ID_CHARS)) return null
  if (!isBoundedString(authorName, MAX_NAME_CHARS)) return null
  if (!isBoundedString(text, MAX_MESSAGE_CHARS)) return null
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt) || sentAt < 0 || sentAt > MAX_SENT_AT_MS) return null
  const record: MessageRecord = { id, authorId, authorName, text, sentAt }
  if (publicKey === undefined && signature === undefined) return record
  if (!isBoundedString(publicKey, MAX_SIGNATURE_FIELD_CHARS) || !isBoundedString(signature, MAX_SIGNATURE_FIELD_CHARS)) return null
  return { ...record, publicKey, signature }
}
