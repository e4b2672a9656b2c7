// The shape of a room's shared Yjs document, declared once, and the guard every record passes.
// Records come from other peers, so they arrive as `unknown` and are validated before use.
//
// The `messages` array holds records in three formats; readers accept all, writers write the
// binary one, or the compact one where a field is not raw bytes (see ARCHITECTURE.md, "Records"):
//   v1 (full):    { id, authorId, authorName, text, sentAt, publicKey?, signature? }  (strings, base64url)
//   v2 (compact): { k: 'm', i, a, n, text, s, g? }
//     k  the record's kind: 'm', a chat message (other kinds get their own letter and signing domain)
//     i  id, a  author id: raw bytes when the id is canonical base64url, else the string itself
//     n  author name, text  the text (named in full, so that a plain Yjs client still finds it),
//     s  sent at (ms), g  the Ed25519 signature (64 raw bytes)
//   v3 (binary):  { r, text }
//     r  kind, flags, id, author id, time, name and signature packed in one byte array
//        (record-bytes.ts has the layout); ids and signature raw, so only canonical ones fit
//     text  the text, as in v2
//   v2 and v3 records carry no public key: it is found in the `keys` array by the author id,
//   which is the key's fingerprint (identity/signing.ts), so nobody can put another key under it.
// The `keys` array holds raw 32-byte Ed25519 public keys, at least one entry per signing author.
// All formats stand for the same MessageRecord and the same signed bytes (messageBytes, v1).
import type * as Y from 'yjs'
import { decodeCanonicalBase64url, encodeBase64url } from './base64url.js'
import { idString, nameString } from './compact-fields.js'
import { encodeRecordBytes, fieldSpans, readRecordBytes, type FieldLimits } from './record-bytes.js'
import { MAX_NAME_CHARS, MAX_SIGNATURE_FIELD_CHARS, userIdOf } from '../identity/index.js'

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

/** The room's authors' public keys (raw bytes), appended once per author; see author-keys.ts. */
export function keysOf(doc: Y.Doc): Y.Array<unknown> {
  return doc.getArray<unknown>('keys')
}

/** Kind of a compact chat-message record (its `k`). */
export const MESSAGE_KIND = 'm'
/** Bytes of a raw Ed25519 public key, as the `keys` array holds it. */
export const PUBLIC_KEY_BYTES = 32
/** Most raw bytes accepted for a binary id or signature from a peer (base64url of it fits MAX_SIGNATURE_FIELD_CHARS). */
const MAX_BINARY_FIELD_BYTES = 96

/** Most bytes of a name's UTF-8 in a binary record: three per UTF-16 unit at most. */
const MAX_NAME_BYTES = 3 * MAX_NAME_CHARS
/** What a binary record's fields may hold. */
const BINARY_FIELD_LIMITS: FieldLimits = { binaryBytes: MAX_BINARY_FIELD_BYTES, nameBytes: MAX_NAME_BYTES }
/** Most bytes of a binary record's `r`: kind, flags, time, and its four fields at their limits. */
const MAX_RECORD_BYTES = 2 + 8 + 3 * (2 + MAX_BINARY_FIELD_BYTES) + 2 + MAX_NAME_BYTES

/** A message record as the binary (v3) format stores it. */
export interface BinaryRecord {
  r: Uint8Array
  text: string
}

/** A message record as the compact (v2) format stores it. */
export interface CompactRecord {
  k: typeof MESSAGE_KIND
  i: Uint8Array | string
  a: Uint8Array | string
  n: string
  text: string
  s: number
  g?: Uint8Array | string
}

/** Looks up the public key (base64url) bound to a user id; undefined when the room holds none. */
export type KeyLookup = (userId: string) => string | undefined

const noKeys: KeyLookup = () => undefined

const isBoundedString = (value: unknown, max: number, allowEmpty = false): value is string =>
  typeof value === 'string' && value.length <= max && (allowEmpty || value.length > 0)

/**
 * Returns the record if `value` is a well-formed message in either format, otherwise null. A
 * compact record's public key comes from `keyOf`; one whose key the room does not hold keeps
 * its signature but no key, and so never verifies.
 */
export function parseMessageRecord(value: unknown, keyOf: KeyLookup = noKeys): MessageRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  if ('k' in value) return parseCompactRecord(value as Record<string, unknown>, keyOf)
  if ('r' in value) return parseBinaryRecord(value as Record<string, unknown>, keyOf)
  const { id, authorId, authorName, text, sentAt, publicKey, signature } = value as Record<string, unknown>
  if (!isBoundedString(id, MAX_ID_CHARS)) return null
  if (!isBoundedString(authorId, MAX_ID_CHARS)) return null
  if (!isBoundedString(authorName, MAX_NAME_CHARS)) return null
  if (!isBoundedString(text, MAX_MESSAGE_CHARS)) return null
  if (!isSentAt(sentAt)) return null
  const record: MessageRecord = { id, authorId, authorName, text, sentAt }
  if (publicKey === undefined && signature === undefined) return record
  if (!isBoundedString(publicKey, MAX_SIGNATURE_FIELD_CHARS) || !isBoundedString(signature, MAX_SIGNATURE_FIELD_CHARS)) return null
  return { ...record, publicKey, signature }
}

function parseCompactRecord(value: Record<string, unknown>, keyOf: KeyLookup): MessageRecord | null {
  const { k, i, a, n, text, s, g } = value
  if (k !== MESSAGE_KIND) return null // a kind this build does not know
  if (!isBinaryField(i, MAX_ID_CHARS) || !isBinaryField(a, MAX_ID_CHARS)) return null
  if (!isBoundedString(n, MAX_NAME_CHARS)) return null
  if (!isBoundedString(text, MAX_MESSAGE_CHARS)) return null
  if (!isSentAt(s)) return null
  if (g !== undefined && !isBinaryField(g, MAX_SIGNATURE_FIELD_CHARS)) return null
  // Accepted: now the strings. Author ids repeat from record to record (encoded once each).
  const id = typeof i === 'string' ? i : encodeBase64url(i)
  const authorId = typeof a === 'string' ? a : idString(a)
  const signature = g === undefined ? undefined : typeof g === 'string' ? g : encodeBase64url(g)
  return parsedRecord(id, authorId, n, text, s, signature, keyOf)
}

/** Where the binary record being parsed keeps its fields. */
const spans = fieldSpans()

function parseBinaryRecord(value: Record<string, unknown>, keyOf: KeyLookup): MessageRecord | null {
  const { r, text } = value
  if (!(r instanceof Uint8Array) || r.length > MAX_RECORD_BYTES) return null
  if (!isBoundedString(text, MAX_MESSAGE_CHARS)) return null
  // False also for a kind this build does not know.
  if (!readRecordBytes(r, BINARY_FIELD_LIMITS, spans) || !isSentAt(spans.sentAt)) return null
  const { idStart, idEnd, authorIdStart, authorIdEnd, nameStart, nameEnd, signatureStart, signatureEnd } = spans
  if (idEnd === idStart || authorIdEnd === authorIdStart || nameEnd === nameStart) return null
  if (signatureStart >= 0 && signatureEnd === signatureStart) return null
  // Names repeat as author ids do (decoded once each).
  const authorName = nameString(r, nameStart, nameEnd)
  if (authorName.length > MAX_NAME_CHARS) return null
  const id = encodeBase64url(r, idStart, idEnd)
  const authorId = idString(r, authorIdStart, authorIdEnd)
  const signature = signatureStart < 0 ? undefined : encodeBase64url(r, signatureStart, signatureEnd)
  return parsedRecord(id, authorId, authorName, text, spans.sentAt, signature, keyOf)
}

/**
 * A parsed compact or binary record, with its key when it is signed and the room holds the key.
 * Object literals, not spreads: a joiner makes ten thousand at once, and a spread costs V8 more.
 */
function parsedRecord(
  id: string,
  authorId: string,
  authorName: string,
  text: string,
  sentAt: number,
  signature: string | undefined,
  keyOf: KeyLookup,
): MessageRecord {
  if (signature === undefined) return { id, authorId, authorName, text, sentAt }
  const publicKey = keyOf(authorId)
  return publicKey === undefined
    ? { id, authorId, authorName, text, sentAt, signature }
    : { id, authorId, authorName, text, sentAt, publicKey, signature }
}

const isSentAt = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_SENT_AT_MS

/** Whether a field is raw bytes (read as base64url) or a string, within bounds. */
function isBinaryField(value: unknown, maxChars: number): value is Uint8Array | string {
  if (value instanceof Uint8Array) return value.length > 0 && value.length <= MAX_BINARY_FIELD_BYTES
  return isBoundedString(value, maxChars)
}

/** The raw bytes of a canonical base64url string (one that encodes back to itself), else the string. */
function compactField(text: string): Uint8Array | string {
  return decodeCanonicalBase64url(text) ?? text
}

/** A record as the document stores it, in any of the three formats. */
export type StoredRecord = BinaryRecord | CompactRecord | MessageRecord

/** Whether a stored record leaves its public key to the `keys` array (v2 and v3 do; v1 carries it). */
export function keyStoredApart(stored: StoredRecord): boolean {
  return !('id' in stored)
}

/**
 * How a record is written to the document: binary, where its ids and signature are canonical
 * base64url (as Room.send makes them); else compact, with those fields as strings; and in full
 * when it carries a public key that is not its author's (a forgery kept as it came, when put
 * back), which only the full format can hold.
 */
export function encodeMessageRecord(record: MessageRecord): StoredRecord {
  const stored = encodeCompactRecord(record)
  if (!('k' in stored)) return stored
  const { i, a, g } = stored
  if (typeof i === 'string' || typeof a === 'string' || typeof g === 'string') return stored
  return {
    r: encodeRecordBytes({ id: i, authorId: a, sentAt: record.sentAt, authorName: record.authorName, signature: g }),
    text: record.text,
  }
}

/** A record as the builds before the binary format wrote it: compact, or in full for a key that is not its author's. */
export function encodeCompactRecord(record: MessageRecord): CompactRecord | MessageRecord {
  const { id, authorId, authorName, text, sentAt, publicKey, signature } = record
  if (publicKey !== undefined && (signature === undefined || userIdOf(publicKey) !== authorId)) return { ...record }
  const compact: CompactRecord = { k: MESSAGE_KIND, i: compactField(id), a: compactField(authorId), n: authorName, text, s: sentAt }
  return signature === undefined ? compact : { ...compact, g: compactField(signature) }
}
