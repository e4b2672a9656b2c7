// A document's whole state as several Yjs updates (v1) which, applied in order, make the same
// document as the one update `Y.encodeStateAsUpdate` gives: a fresh joiner's answer in parts,
// so that the joiner applies, parses and budgets the first parts while the later ones are still
// on the wire (a fresh link carries about 1 MB in 0.1-0.6 s, and applying 10,000 messages at
// once after the last frame took another 0.1-0.4 s; BENCHMARKS.md, "Twelfth session").
//
// Parts follow an array's document order (the room's messages): part i holds, of each client,
// the structs below the highest clock among the first records of the array up to its end, so a
// record's left neighbour (its Yjs origin) is in the same part or an earlier one and each part
// integrates as it comes. A struct in another array or written out of order may depend on a later
// part: Yjs keeps it pending and integrates it when that part comes, so the result is the same
// whatever the order. The last part is `Y.encodeStateAsUpdate(doc, stateVector)` of what the
// others hold: everything else, and the whole delete set.
//
// Older Parley joiners free two sync steps 2 from their link's byte budget (peer-guard.ts,
// ANSWERS_TO_FRESH_REQUEST) and count the rest against it (SYNC_BYTES_BURST, 4 MiB): so the parts
// after the first two hold at most PARTED_MAX_BYTES, and in a larger document the first part
// holds everything before that.
import * as Y from 'yjs'
import { type ClockRange, rangesUpdateSteps, runSteps, StepBudget, type Steps, stateUpdateSteps } from '../updates/index.js'

/** Bytes a part aims at (about 2,900 messages of the bench's records, 4 frames deflated). */
export const PART_BYTES = 512 * 1024
/** Most bytes in the parts after the first two: older joiners count those against a link's byte budget (4 MiB). */
export const PARTED_MAX_BYTES = 2 * 1024 * 1024

/** How to cut (tests use small parts). */
export interface PartOptions {
  /** Bytes a part aims at (default PART_BYTES). */
  partBytes?: number
  /** Most bytes in the parts after the first two (default PARTED_MAX_BYTES). */
  partedMaxBytes?: number
}

/**
 * The document as updates to apply in order, cut along `order` (an array of the document) into
 * parts of about `partBytes`, given that the whole encodes to `wholeBytes`; null when one part
 * would hold it all (send the whole as it is).
 */
export function documentParts(doc: Y.Doc, order: Y.Array<unknown>, wholeBytes: number, options: PartOptions = {}): Uint8Array[] | null {
  return runSteps(documentPartSteps(doc, order, wholeBytes, options))
}

/** documentParts in steps of about `budget` records (stepped-encoding.ts): the document must not change between them. */
export function* documentPartSteps(
  doc: Y.Doc,
  order: Y.Array<unknown>,
  wholeBytes: number,
  options: PartOptions = {},
  budget = new StepBudget(),
): Steps<Uint8Array[] | null> {
  const partBytes = options.partBytes ?? PART_BYTES
  const partedMaxBytes = options.partedMaxBytes ?? PARTED_MAX_BYTES
  if (wholeBytes < 2 * partBytes) return null
  const weight = arrayWeight(order)
  if (weight === 0) return null
  // The share of the array each part holds, by its records: bytes are taken to follow them.
  const parted = Math.min(wholeBytes, partedMaxBytes + partBytes)
  const count = Math.max(2, Math.round(parted / partBytes))
  const ahead = ((wholeBytes - parted) / wholeBytes) * weight
  const cuts: number[] = []
  for (let part = 1; part < count; part++) cuts.push(Math.round(ahead + ((weight - ahead) * part) / count))
  if (ahead > 0) cuts.unshift(Math.round(ahead))
  const vectors = stateVectorsAt(order, cuts)
  const parts: Uint8Array[] = []
  let before = new Map<number, number>()
  for (const vector of vectors) {
    const ranges: ClockRange[] = []
    for (const [client, to] of vector) {
      const from = before.get(client) ?? 0
      if (to > from) ranges.push({ client, from, to })
    }
    if (ranges.length > 0) parts.push(yield* rangesUpdateSteps(doc, ranges, budget, false))
    before = vector
  }
  parts.push(yield* stateUpdateSteps(doc, before, budget))
  // Taken for granted above: records of about equal bytes. Where they are not, the parts after
  // the first two may pass what older joiners take: then the leading parts go as one.
  let after = parts.slice(2).reduce((sum, part) => sum + part.byteLength, 0)
  let merge = 0
  while (after > partedMaxBytes && merge + 3 < parts.length) {
    after -= parts[merge + 2].byteLength
    merge++
  }
  if (merge === 0) return parts.length > 1 ? parts : null
  return [Y.mergeUpdates(parts.slice(0, merge + 1)), ...parts.slice(merge + 1)]
}

/** Clock units of the array's items, deleted ones included. */
function arrayWeight(order: Y.Array<unknown>): number {
  let weight = 0
  for (let item = order._start; item !== null; item = item.right) weight += item.length
  return weight
}

/**
 * Per cut (a number of clock units along the array, ascending): each client's clock just past
 * the highest of its records up to there, never lower than at the cut before.
 */
function stateVectorsAt(order: Y.Array<unknown>, cuts: readonly number[]): Map<number, number>[] {
  const vectors: Map<number, number>[] = []
  const vector = new Map<number, number>()
  let walked = 0
  let next = 0
  for (let item = order._start; item !== null && next < cuts.length; item = item.right) {
    const { client, clock } = item.id
    while (next < cuts.length && walked + item.length >= cuts[next]) {
      const within = cuts[next] - walked
      if (within > 0) vector.set(client, Math.max(vector.get(client) ?? 0, clock + within))
      vectors.push(new Map(vector))
      next++
    }
    vector.set(client, Math.max(vector.get(client) ?? 0, clock + item.length))
    walked += item.length
  }
  return vectors
}

/** Bytes of a struct's header in an update, about: its info byte, origins and parent (a client id and a clock each). */
const STRUCT_HEADER_BYTES = 8

/**
 * About the bytes `Y.encodeStateAsUpdate(doc)` writes, without encoding it: each struct's header
 * and content, strings counted a byte per UTF-16 unit (as ASCII text encodes). A walk of the
 * store, a fraction of an encoding: it places the cuts of a document never encoded before, whose
 * parts' own bytes then decide what older joiners take (`documentParts`).
 */
export function estimatedBytes(doc: Y.Doc): number {
  let bytes = 0
  for (const structs of doc.store.clients.values()) {
    bytes += 2 * STRUCT_HEADER_BYTES
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) bytes += 2
      else
        bytes += STRUCT_HEADER_BYTES + (typeof struct.parentSub === 'string' ? struct.parentSub.length : 0) + contentBytes(struct.content)
    }
  }
  return bytes
}

function contentBytes(content: Y.Item['content']): number {
  if (content instanceof Y.ContentAny) {
    let bytes = 1
    for (const value of content.arr) bytes += anyBytes(value)
    return bytes
  }
  if (content instanceof Y.ContentString) return 2 + content.str.length
  if (content instanceof Y.ContentBinary) return 2 + content.content.byteLength
  if (content instanceof Y.ContentDeleted) return 2
  return STRUCT_HEADER_BYTES // a type, a format, an embed, JSON or a subdocument: rare in a history
}

/** About the bytes lib0's `writeAny` writes for `value`. */
function anyBytes(value: unknown): number {
  if (typeof value === 'string') return 2 + value.length
  if (typeof value === 'number') return 5
  if (value instanceof Uint8Array) return 2 + value.byteLength
  if (Array.isArray(value)) {
    let bytes = 2
    for (const each of value) bytes += anyBytes(each)
    return bytes
  }
  if (typeof value === 'object' && value !== null) {
    let bytes = 2
    for (const key in value) bytes += 1 + key.length + anyBytes((value as Record<string, unknown>)[key])
    return bytes
  }
  return 1
}
