// The binary part of a v3 message record: every field but the text packed into one byte array,
// so that Yjs decodes one binary view per record instead of seven keys, two strings and three views.
//
// Layout (see schema.ts): kind, flags, id, author id, time (float64, big-endian), name (UTF-8),
// then the signature when flag 1 is set; each variable field is a varuint length and its bytes.
// Read with explicit bounds: a Yjs binary is a view into the whole update, and lib0's decoder
// would read a length that runs past the view's end out of the bytes that follow it.
import * as encoding from 'lib0/encoding'

/** Kind of a chat message in byte 0 (other kinds get their own number and signing domain). */
export const MESSAGE_KIND_BYTE = 1
/** Flag: the record carries a signature. */
const SIGNED_FLAG = 1

/** A v3 record's fields as stored: ids and signature as raw bytes, the name as text. */
export interface RecordFields {
  id: Uint8Array
  authorId: Uint8Array
  sentAt: number
  authorName: string
  signature?: Uint8Array
}

/** Most bytes accepted per field from a peer (checked as the record is read). */
export interface FieldLimits {
  binaryBytes: number
  nameBytes: number
}

/** The bytes of a chat message's fields, as the record's binary part holds them. */
export function encodeRecordBytes(fields: RecordFields): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, MESSAGE_KIND_BYTE)
  encoding.writeUint8(encoder, fields.signature === undefined ? 0 : SIGNED_FLAG)
  encoding.writeVarUint8Array(encoder, fields.id)
  encoding.writeVarUint8Array(encoder, fields.authorId)
  encoding.writeFloat64(encoder, fields.sentAt)
  encoding.writeVarString(encoder, fields.authorName)
  if (fields.signature !== undefined) encoding.writeVarUint8Array(encoder, fields.signature)
  return encoding.toUint8Array(encoder)
}

/**
 * Where a record's fields lie in its bytes, as `readRecordBytes` found them: offsets, not views
 * (a joiner reads ten thousand records at once, and each view is an object to collect).
 */
export interface FieldSpans {
  idStart: number
  idEnd: number
  authorIdStart: number
  authorIdEnd: number
  nameStart: number
  nameEnd: number
  /** -1 when the record is unsigned. */
  signatureStart: number
  signatureEnd: number
  sentAt: number
}

/** Spans to read records into, one at a time. */
export function fieldSpans(): FieldSpans {
  return {
    idStart: 0,
    idEnd: 0,
    authorIdStart: 0,
    authorIdEnd: 0,
    nameStart: 0,
    nameEnd: 0,
    signatureStart: -1,
    signatureEnd: -1,
    sentAt: 0,
  }
}

/** Eight bytes of a float64, read through one shared view (no allocation per record). */
const floatBytes = new Uint8Array(8)
const floatView = new DataView(floatBytes.buffer)

/**
 * Fills `spans` with where a chat message's fields lie in `bytes` and returns true; false when
 * the bytes are of another kind, carry unknown flags, end early, run on past their last field,
 * or hold a field longer than `limits` allow. Bounds and types only: the caller checks what the
 * values mean (time range, empty fields).
 */
export function readRecordBytes(bytes: Uint8Array, limits: FieldLimits, spans: FieldSpans): boolean {
  const end = bytes.length
  if (end < 2 || bytes[0] !== MESSAGE_KIND_BYTE) return false
  const flags = bytes[1] as number
  if ((flags & ~SIGNED_FLAG) !== 0) return false
  let field = fieldAt(bytes, 2, limits.binaryBytes)
  if (field < 0) return false
  spans.idStart = startOf(field)
  spans.idEnd = endOf(field)
  field = fieldAt(bytes, spans.idEnd, limits.binaryBytes)
  if (field < 0) return false
  spans.authorIdStart = startOf(field)
  spans.authorIdEnd = endOf(field)
  const time = spans.authorIdEnd
  if (time + 8 > end) return false
  for (let index = 0; index < 8; index++) floatBytes[index] = bytes[time + index] as number
  spans.sentAt = floatView.getFloat64(0)
  field = fieldAt(bytes, time + 8, limits.nameBytes)
  if (field < 0) return false
  spans.nameStart = startOf(field)
  spans.nameEnd = endOf(field)
  spans.signatureStart = -1
  spans.signatureEnd = -1
  if ((flags & SIGNED_FLAG) === 0) return spans.nameEnd === end
  field = fieldAt(bytes, spans.nameEnd, limits.binaryBytes)
  if (field < 0) return false
  spans.signatureStart = startOf(field)
  spans.signatureEnd = endOf(field)
  return spans.signatureEnd === end
}

/**
 * The length-prefixed field at `at`, as its start and end in one number (see startOf and endOf:
 * no object per field), or -1 when its length is over `max`, longer than two bytes, or past the end.
 */
function fieldAt(bytes: Uint8Array, at: number, max: number): number {
  const first = bytes[at]
  if (first === undefined) return -1
  let length = first
  let start = at + 1
  if (first >= 0x80) {
    const second = bytes[at + 1]
    if (second === undefined || second >= 0x80) return -1
    length = (first & 0x7f) | (second << 7)
    start = at + 2
  }
  if (length > max || start + length > bytes.length) return -1
  return start * FIELD_SPAN + length
}

/** Fields and records are far shorter than this, so a start and a length share one number. */
const FIELD_SPAN = 0x10000
const startOf = (field: number): number => Math.floor(field / FIELD_SPAN)
const endOf = (field: number): number => startOf(field) + (field % FIELD_SPAN)
