// The bytes an annotation's signature covers (edits, deletions, reactions, reply links), next to
// signing.ts whose Signer and verifySigned sign and check them.
//
//   ["parley/annotation/v1", topic, id, kind, target, authorId, authorName, content, on, sentAt, publicKey]
// UTF-8 JSON, domain-separated from messages and presence, so no signature of one kind can
// pass for another.

/** An annotation's fields as signed (the record in history/annotations.ts, less its signature). */
export interface SignedAnnotationFields {
  id: string
  kind: string
  target: string
  authorId: string
  authorName: string
  content: string
  on: boolean
  sentAt: number
  publicKey: string
}

/** The bytes an annotation's signature covers: the topic and every field of the record. */
export function annotationBytes(topic: string, a: SignedAnnotationFields): Uint8Array<ArrayBuffer> {
  const fields = ['parley/annotation/v1', topic, a.id, a.kind, a.target, a.authorId, a.authorName, a.content, a.on, a.sentAt, a.publicKey]
  return new TextEncoder().encode(JSON.stringify(fields))
}
