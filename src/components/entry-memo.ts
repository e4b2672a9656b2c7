// Keeps a log entry's inputs the same objects while their content is the same, so that an
// entry whose inputs did not change is skipped at a redraw (Lit's `guard`) instead of re-rendered.
import type { AnnotatedMessage, MessageRecord } from '../room/index.js'

/** Whether two annotations of one message show the same thing (text, flags, reactions, file, reply link). */
export function sameAnnotation(a: AnnotatedMessage, b: AnnotatedMessage): boolean {
  if (a === b) return true
  if (
    a.text !== b.text ||
    a.edited !== b.edited ||
    a.deleted !== b.deleted ||
    a.replyTo !== b.replyTo ||
    a.refused !== b.refused ||
    a.pending !== b.pending ||
    a.reactions.length !== b.reactions.length ||
    (a.file === null) !== (b.file === null)
  )
    return false
  // Reactions and files are small records of strings and numbers: their text compares them.
  if (a.reactions.length > 0 && JSON.stringify(a.reactions) !== JSON.stringify(b.reactions)) return false
  return a.file === b.file || JSON.stringify(a.file) === JSON.stringify(b.file)
}

/**
 * Each record's annotation as last handed out: a new one equal to it is replaced by it, so an
 * unchanged message keeps the same object across the room's new `annotationOf` functions.
 */
export class StableAnnotations {
  #last = new WeakMap<MessageRecord, AnnotatedMessage>()

  /** `fresh`, or the object last returned for `record` when that shows the same thing. */
  keep(record: MessageRecord, fresh: AnnotatedMessage): AnnotatedMessage {
    const last = this.#last.get(record)
    if (last !== undefined && sameAnnotation(last, fresh)) return last
    this.#last.set(record, fresh)
    return fresh
  }
}
