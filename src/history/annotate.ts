// Folds a message's annotations onto it: the text after its author's last edit, deleted or not,
// reactions grouped per emoji, and the message it replies to. Pure, and independent of the
// order the annotations arrived in, so every peer that holds the same records shows the same.
import { REACTION_EMOJI, type AnnotationRecord, type ReactionEmoji } from './annotations.js'
import { parseFileMeta, type FileMeta } from './file-meta.js'
import type { MessageRecord } from './schema.js'

/** Whether a signature checked out (the same values as membership's Verdict). */
export type SignatureCheck = 'verified' | 'unverified' | 'pending'

/** Someone who reacted. */
export interface Reactor {
  authorId: string
  authorName: string
}

/** The verified reactions of one emoji on a message. */
export interface ReactionSummary {
  emoji: ReactionEmoji
  /** Who has this reaction on now, by name then id. */
  reactors: Reactor[]
}

/** A message as its annotations leave it. */
export interface AnnotatedMessage {
  /** The text to show: the last edit's, the original's, or '' when deleted. */
  text: string
  /** Whether its author edited it (and did not delete it). */
  edited: boolean
  /** Whether its author deleted it. */
  deleted: boolean
  /** Verified reactions, in REACTION_EMOJI order, only emoji someone has on. */
  reactions: ReactionSummary[]
  /** The id of the message this one replies to, or null. */
  replyTo: string | null
  /** The file the message carries, as its author signed it (the first such annotation), or null. */
  file: FileMeta | null
  /**
   * Edits, deletions and reply links that were not applied because they are not by the
   * message's verified author (forged, unsigned, or someone else's), and reactions whose
   * signature failed.
   */
  refused: number
  /** Whether some annotation's signature is still being checked (it is not applied meanwhile). */
  pending: boolean
}

/** A message with no annotations. */
export function unannotated(message: MessageRecord): AnnotatedMessage {
  return { text: message.text, edited: false, deleted: false, reactions: [], replyTo: null, file: null, refused: 0, pending: false }
}

/** Orders annotations by claimed time, then id: the last one of a kind wins on every peer. */
function later(a: AnnotationRecord, b: AnnotationRecord): boolean {
  return a.sentAt !== b.sentAt ? a.sentAt > b.sentAt : a.id > b.id
}

/**
 * Applies `annotations` (those whose target is `message`) to it. Edits, deletions, reply
 * links and files count only when the message verified and the annotation is by its author and verified;
 * a reaction counts when it verified, whoever wrote it. A deletion is final: later edits do not
 * bring the text back. `check` is asked only about annotations that could apply.
 */
export function annotate(
  message: MessageRecord,
  messageCheck: SignatureCheck,
  annotations: readonly AnnotationRecord[],
  check: (annotation: AnnotationRecord) => SignatureCheck,
): AnnotatedMessage {
  const result = unannotated(message)
  let lastEdit: AnnotationRecord | null = null
  let lastReply: AnnotationRecord | null = null
  let firstFile: AnnotationRecord | null = null
  /** The latest verified reaction of each author and emoji. */
  const reactions = new Map<string, AnnotationRecord>()
  for (const annotation of annotations) {
    if (annotation.target !== message.id) continue
    const byOther = annotation.kind !== 'reaction' && annotation.authorId !== message.authorId
    if (byOther || (annotation.kind !== 'reaction' && messageCheck === 'unverified')) {
      result.refused++ // not checked at all: no signature could make it apply
      continue
    }
    const verdict = check(annotation)
    if (verdict === 'unverified') {
      result.refused++
      continue
    }
    if (verdict === 'pending' || (annotation.kind !== 'reaction' && messageCheck === 'pending')) {
      result.pending = true
      continue
    }
    switch (annotation.kind) {
      case 'edit':
        if (lastEdit === null || later(annotation, lastEdit)) lastEdit = annotation
        break
      case 'delete':
        result.deleted = true
        break
      case 'reply':
        if (lastReply === null || later(annotation, lastReply)) lastReply = annotation
        break
      case 'file':
        if (firstFile === null || later(firstFile, annotation)) firstFile = annotation
        break
      case 'reaction': {
        const key = JSON.stringify([annotation.authorId, annotation.content])
        const known = reactions.get(key)
        if (known === undefined || later(annotation, known)) reactions.set(key, annotation)
        break
      }
    }
  }
  if (result.deleted) result.text = ''
  else if (lastEdit !== null) {
    result.text = lastEdit.content
    result.edited = true
  }
  result.replyTo = lastReply?.content ?? null
  result.file = firstFile === null ? null : parseFileMeta(firstFile.content)
  result.reactions = summarize([...reactions.values()])
  return result
}

/** Groups the reactions that are on per emoji. */
function summarize(latest: readonly AnnotationRecord[]): ReactionSummary[] {
  const summaries: ReactionSummary[] = []
  for (const emoji of REACTION_EMOJI) {
    const reactors = latest
      .filter((reaction) => reaction.on && reaction.content === emoji)
      .map(({ authorId, authorName }) => ({ authorId, authorName }))
      .sort((a, b) => compare(a.authorName, b.authorName) || compare(a.authorId, b.authorId))
    if (reactors.length > 0) summaries.push({ emoji, reactors })
  }
  return summaries
}

/** Annotations grouped by the message they target, each group in document order. */
export function annotationsByTarget(annotations: readonly AnnotationRecord[]): Map<string, AnnotationRecord[]> {
  const byTarget = new Map<string, AnnotationRecord[]>()
  for (const annotation of annotations) {
    const group = byTarget.get(annotation.target)
    if (group === undefined) byTarget.set(annotation.target, [annotation])
    else group.push(annotation)
  }
  return byTarget
}

/** Compares by UTF-16 code units: the same on every peer, whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
