// Annotations: signed records that change how a message is shown (edit, delete, reaction, reply
// link), kept in their own shared array so messages stay append-only and old builds ignore them.
//
// Wire format: the room document's `annotations` Y.Array holds plain objects
//   { id, kind, target, authorId, authorName, content, on, sentAt, publicKey?, signature? }
// kind     'edit' | 'delete' | 'reaction' | 'reply' | 'file'
// target   the id of the message annotated (for a reply: the reply itself)
// content  edit: the new text; reaction: one of REACTION_EMOJI; reply: the id of the message
//          replied to; delete: ''; file: the file the message carries (file-meta.ts)
// on       reaction: added (true) or taken back (false); always true for the other kinds
// The signature (identity/annotation-signing.ts) covers every field but itself.
import type * as Y from 'yjs'
import { MAX_NAME_CHARS, MAX_SIGNATURE_FIELD_CHARS } from '../identity/index.js'
import { LaneBudgets, type LaneArguments } from './author-budget.js'
import { parseFileMeta } from './file-meta.js'
import { MAX_MESSAGE_CHARS } from './schema.js'

/** What an annotation does to its target message. */
export type AnnotationKind = 'edit' | 'delete' | 'reaction' | 'reply' | 'file'

/** The reactions a user can pick; any other content is not a reaction. */
export const REACTION_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const
/** One of the reaction emoji. */
export type ReactionEmoji = (typeof REACTION_EMOJI)[number]

/** Longest id (annotation, message or user), in characters; as for messages. */
const MAX_ID_CHARS = 128
/** Latest time a JavaScript Date can hold, in ms since the epoch; as for messages. */
const MAX_SENT_AT_MS = 8.64e15
/** Bytes an annotation costs in an author's budget besides its content and name. */
const ANNOTATION_OVERHEAD_BYTES = 250

/** One annotation as stored in the room's `annotations` array. Immutable once written. */
export interface AnnotationRecord {
  /** Unique id of the annotation (random, made by its author). */
  id: string
  kind: AnnotationKind
  /** The id of the message it annotates. */
  target: string
  /** Who wrote the annotation: the fingerprint of its key, when signed. */
  authorId: string
  /** Display name of its author when it was written (who reacted, for instance). */
  authorName: string
  /** Depends on the kind: new text, an emoji, the id replied to, or ''. */
  content: string
  /** A reaction added (true) or taken back (false); true for the other kinds. */
  on: boolean
  /** Milliseconds since the epoch, by the author's clock. */
  sentAt: number
  /** The author's Ed25519 public key (base64url); absent when unsigned. */
  publicKey?: string
  /** Signature over every other field (see identity/annotation-signing.ts); absent when unsigned. */
  signature?: string
}

/** The room's annotations, in the document's (converged) order. */
export function annotationsOf(doc: Y.Doc): Y.Array<unknown> {
  return doc.getArray<unknown>('annotations')
}

const isBoundedString = (value: unknown, max: number, allowEmpty = false): value is string =>
  typeof value === 'string' && value.length <= max && (allowEmpty || value.length > 0)

const KINDS: readonly string[] = ['edit', 'delete', 'reaction', 'reply', 'file']

/** Whether `value` is one of the reaction emoji. */
export function isReactionEmoji(value: unknown): value is ReactionEmoji {
  return typeof value === 'string' && (REACTION_EMOJI as readonly string[]).includes(value)
}

/** Whether `content` is what an annotation of `kind` may carry. */
function contentFits(kind: AnnotationKind, content: string): boolean {
  switch (kind) {
    case 'edit':
      return content.trim().length > 0 && content.length <= MAX_MESSAGE_CHARS
    case 'delete':
      return content === ''
    case 'reaction':
      return isReactionEmoji(content)
    case 'reply':
      return isBoundedString(content, MAX_ID_CHARS)
    case 'file':
      return parseFileMeta(content) !== null
  }
}

/** Returns the record if `value` is a well-formed annotation, otherwise null. */
export function parseAnnotationRecord(value: unknown): AnnotationRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const { id, kind, target, authorId, authorName, content, on, sentAt, publicKey, signature } = value as Record<string, unknown>
  if (!isBoundedString(id, MAX_ID_CHARS) || !isBoundedString(target, MAX_ID_CHARS)) return null
  if (typeof kind !== 'string' || !KINDS.includes(kind)) return null
  const annotationKind = kind as AnnotationKind
  if (!isBoundedString(authorId, MAX_ID_CHARS) || !isBoundedString(authorName, MAX_NAME_CHARS)) return null
  if (typeof content !== 'string' || !contentFits(annotationKind, content)) return null
  if (typeof on !== 'boolean' || (annotationKind !== 'reaction' && !on)) return null
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt) || sentAt < 0 || sentAt > MAX_SENT_AT_MS) return null
  const record: AnnotationRecord = { id, kind: annotationKind, target, authorId, authorName, content, on, sentAt }
  if (publicKey === undefined && signature === undefined) return record
  if (!isBoundedString(publicKey, MAX_SIGNATURE_FIELD_CHARS) || !isBoundedString(signature, MAX_SIGNATURE_FIELD_CHARS)) return null
  return { ...record, publicKey, signature }
}

/** The valid annotations of a batch of raw records, in order, and how many were skipped. */
export function parseAnnotations(raw: readonly unknown[]): { annotations: AnnotationRecord[]; skipped: number } {
  const annotations: AnnotationRecord[] = []
  let skipped = 0
  for (const value of raw) {
    const record = parseAnnotationRecord(value)
    if (record === null) skipped++
    else annotations.push(record)
  }
  return { annotations, skipped }
}

/** Appends an annotation to the room; throws if the record is invalid (a local bug, not input). */
export function appendAnnotation(doc: Y.Doc, record: AnnotationRecord, origin: unknown = null): void {
  if (parseAnnotationRecord(record) === null) throw new Error('appendAnnotation: invalid annotation record')
  doc.transact(() => annotationsOf(doc).push([{ ...record }]), origin)
}

/** What an annotation costs in bytes in its author's budget. */
export function annotationCostBytes(record: AnnotationRecord): number {
  return record.content.length + record.authorName.length + ANNOTATION_OVERHEAD_BYTES
}

/**
 * Per-author budgets for annotations: the same limits and lanes as messages (AUTHOR_BUDGET,
 * forgeries charged to a lane of their own), in buckets of their own, spent in the annotations'
 * document order and claimed time, so that every peer admits the same real ones whatever order
 * the document reached it in.
 */
export class AnnotationBudgets extends LaneBudgets<AnnotationRecord> {
  constructor(...args: LaneArguments<AnnotationRecord>) {
    super(annotationCostBytes, ...args)
  }
}
