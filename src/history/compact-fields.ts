// Author ids of compact records as strings, encoded once per author: a joiner parses every
// record of the room, and the same few author ids come back in record after record.
//
// An id seen before is found again by a hash of its bytes and a comparison, which costs less
// than encoding it. Validation stays with the parser: this takes fields it has already accepted.
import { encodeBase64url } from './base64url.js'

/** Most distinct author ids remembered; past that the table starts over. */
const MAX_REMEMBERED_IDS = 1024
/** Most ids remembered under one hash; more (a peer making ids collide on purpose) are encoded each time. */
const MAX_IDS_PER_HASH = 4

/** Remembered ids by a hash of their bytes: the bytes, and their base64url. */
const remembered = new Map<number, Array<{ bytes: Uint8Array; text: string }>>()
let rememberedCount = 0

/** The base64url of an id's bytes; an id seen before returns the same string without encoding. */
export function idString(bytes: Uint8Array): string {
  const hash = hashOf(bytes)
  const bucket = remembered.get(hash)
  if (bucket !== undefined) {
    for (const entry of bucket) if (sameBytes(entry.bytes, bytes)) return entry.text
  }
  const text = encodeBase64url(bytes)
  if (bucket !== undefined && bucket.length >= MAX_IDS_PER_HASH) return text
  if (rememberedCount >= MAX_REMEMBERED_IDS) {
    remembered.clear()
    rememberedCount = 0
  }
  // A copy: the bytes belong to the document, and what is remembered must not change under it.
  const entry = { bytes: bytes.slice(), text }
  if (bucket === undefined || !remembered.has(hash)) remembered.set(hash, [entry])
  else bucket.push(entry)
  rememberedCount++
  return text
}

/** FNV-1a over the bytes (32 bits). */
function hashOf(bytes: Uint8Array): number {
  let hash = 0x811c9dc5
  for (let index = 0; index < bytes.length; index++) hash = Math.imul(hash ^ (bytes[index] as number), 0x01000193)
  return hash
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}
