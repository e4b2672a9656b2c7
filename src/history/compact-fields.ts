// Fields of compact records that repeat from record to record, as strings made once each: a
// joiner parses every record of the room, and the same few author ids and names come back.
//
// A field seen before is found again by a hash of its bytes and a comparison, which costs less
// than encoding or decoding it. Validation stays with the parser: this takes fields it has
// already accepted.
import { encodeBase64url } from './base64url.js'

/** Most distinct fields remembered per table; past that the table starts over. */
const MAX_REMEMBERED = 1024
/** Most fields remembered under one hash; more (a peer making them collide on purpose) are converted each time. */
const MAX_PER_HASH = 4

/** Converts `bytes` from `start` to `end` into a string. */
type Convert = (bytes: Uint8Array, start?: number, end?: number) => string

/** A table of byte strings already converted, by a hash of their bytes. */
function rememberedStrings(convert: (bytes: Uint8Array, start: number, end: number) => string): Convert {
  const remembered = new Map<number, Array<{ bytes: Uint8Array; text: string }>>()
  let count = 0
  return (bytes, start = 0, end = bytes.length) => {
    const hash = hashOf(bytes, start, end)
    const bucket = remembered.get(hash)
    if (bucket !== undefined) {
      for (const entry of bucket) if (sameBytes(entry.bytes, bytes, start, end)) return entry.text
    }
    const text = convert(bytes, start, end)
    if (bucket !== undefined && bucket.length >= MAX_PER_HASH) return text
    if (count >= MAX_REMEMBERED) {
      remembered.clear()
      count = 0
    }
    // A copy: the bytes belong to the document, and what is remembered must not change under it.
    const entry = { bytes: bytes.slice(start, end), text }
    if (bucket === undefined || !remembered.has(hash)) remembered.set(hash, [entry])
    else bucket.push(entry)
    count++
    return text
  }
}

/** The base64url of an id's bytes (from `start` to `end`); an id seen before returns the same string without encoding. */
export const idString = rememberedStrings(encodeBase64url)

const utf8 = new TextDecoder()

/** The text of a name's UTF-8 bytes (malformed bytes read as U+FFFD, as Yjs reads its strings). */
export const nameString = rememberedStrings((bytes, start, end) => utf8.decode(bytes.subarray(start, end)))

/** FNV-1a over the bytes from `start` to `end` (32 bits). */
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5
  for (let index = start; index < end; index++) hash = Math.imul(hash ^ (bytes[index] as number), 0x01000193)
  return hash
}

/** Whether `remembered` holds the bytes of `bytes` from `start` to `end`. */
function sameBytes(remembered: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (remembered.length !== end - start) return false
  for (let index = 0; index < remembered.length; index++) if (remembered[index] !== bytes[start + index]) return false
  return true
}
