// A document's whole state as several Yjs updates (v1) cut along an array's document order (the
// room's messages), which, applied in order, make the same document as `Y.encodeStateAsUpdate`
// gives. Part i holds, of each client, the structs below the highest clock among the array's
// records up to cut i, so a record's left neighbour (its Yjs origin) is in the same part or an
// earlier one and each part integrates as it is applied, with nothing held pending. A struct in
// another array or written out of order may depend on a later part: Yjs keeps it pending and
// integrates it when that part comes, so the result is the same whatever the order. The last
// part is everything else, and the whole delete set.
// Used by a fresh joiner's answer (transport/answer-parts.ts: parts of about equal bytes) and by
// storage's merge (history/persistence.ts: parts of a bounded number of records, one a task).
import * as Y from 'yjs'
import { type ClockRange, rangesUpdateSteps, StepBudget, type Steps, stateUpdateSteps } from './stepped-encoding.js'

/** Clock units of the array's items, deleted ones included. */
export function arrayWeight(order: Y.Array<unknown>): number {
  let weight = 0
  for (let item = order._start; item !== null; item = item.right) weight += item.length
  return weight
}

/**
 * Per cut (a number of clock units along the array, ascending): each client's clock just past
 * the highest of its records up to there, never lower than at the cut before.
 */
export function stateVectorsAt(order: Y.Array<unknown>, cuts: readonly number[]): Map<number, number>[] {
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

/**
 * The document as updates to apply in order, in steps of about `budget` records: one per state
 * vector of `vectors` (ascending, from `stateVectorsAt`), each holding what its vector adds to
 * the one before, none when it adds nothing; then the rest with the whole delete set. The
 * document must not change between the steps.
 */
export function* partsAtSteps(doc: Y.Doc, vectors: readonly ReadonlyMap<number, number>[], budget = new StepBudget()): Steps<Uint8Array[]> {
  const parts: Uint8Array[] = []
  let before: ReadonlyMap<number, number> = new Map()
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
  return parts
}

/**
 * The document as updates of about `partBytes` each at most (a record more, and what of other
 * clients' records their origins need), cut along `order`, in steps of `budget` records; bytes
 * as `contentBytes` counts them, record by record (one item may hold thousands).
 */
export function* boundedPartSteps(doc: Y.Doc, order: Y.Array<unknown>, partBytes: number, budget = new StepBudget()): Steps<Uint8Array[]> {
  const cuts: number[] = []
  let walked = 0
  let bytes = 0
  for (let item = order._start; item !== null; item = item.right) {
    const values = item.content instanceof Y.ContentAny ? item.content.arr : null
    bytes += STRUCT_HEADER_BYTES
    for (let offset = 0; offset < item.length; offset++) {
      bytes += values === null ? (offset === 0 ? contentBytes(item.content) : 0) : anyBytes(values[offset])
      if (bytes < partBytes) continue
      cuts.push(walked + offset + 1)
      bytes = 0
    }
    walked += item.length
  }
  if (cuts[cuts.length - 1] === walked) cuts.pop()
  return yield* partsAtSteps(doc, stateVectorsAt(order, cuts), budget)
}

/** Bytes of a struct's header in an update, about: its info byte, origins and parent (a client id and a clock each). */
export const STRUCT_HEADER_BYTES = 8

/** About the bytes an item's content takes in an update: strings counted a byte per UTF-16 unit (as ASCII text encodes). */
export function contentBytes(content: Y.Item['content']): number {
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
