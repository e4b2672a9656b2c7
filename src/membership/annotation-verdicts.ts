// The verdict on an annotation's signature (edit, deletion, reaction, reply link), cached with
// the message verdicts so each is checked once, and only when the message it targets is shown.
import type { AnnotationRecord } from '../history/index.js'
import { annotationBytes, verifySigned } from '../identity/index.js'
import type { Verdict, VerdictCache } from './verdicts.js'

/** The verdict on an annotation's authorship in the room with this topic; unsigned is unverified. */
export function annotationVerdict(cache: VerdictCache, topic: string, annotation: AnnotationRecord): Verdict {
  const { publicKey, signature } = annotation
  if (publicKey === undefined || signature === undefined) return 'unverified'
  const fields = { ...annotation, publicKey }
  const key = JSON.stringify([
    'annotation',
    topic,
    annotation.id,
    annotation.kind,
    annotation.target,
    annotation.authorId,
    annotation.authorName,
    annotation.content,
    annotation.on,
    annotation.sentAt,
    publicKey,
    signature,
  ])
  return cache.get(key, () => verifySigned(annotation.authorId, publicKey, signature, annotationBytes(topic, fields)))
}
