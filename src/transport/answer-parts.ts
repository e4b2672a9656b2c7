// A document's whole state as several Yjs updates (v1) which, applied in order, make the same
// document as the one update `Y.encodeStateAsUpdate` gives: a fresh joiner's answer in parts,
// so that the joiner applies, parses and budgets the first parts while the later ones are still
// on the wire (a fresh link carries about 1 MB in 0.1-0.6 s, and applying 10,000 messages at
// once after the last frame took another 0.1-0.4 s; BENCHMARKS.md, "Twelfth session").
//
// Parts follow an array's document order (the room's messages), each integrating as it comes
// (updates/array-parts.ts); here cut into parts of about equal bytes.
//
// Joiners that say so in their framing hello (FEATURE_ANSWER_PARTS) free every part from their
// link's byte budget (peer-guard.ts FRESH_ANSWER_BYTES): every part is about PART_BYTES
// (`partedMaxBytes` Infinity), so the joiner applies no more than that in one task. Older Parley
// joiners free two sync steps 2 and count the rest against the budget (SYNC_BYTES_BURST, 4 MiB):
// for them the parts after the first two hold at most PARTED_MAX_BYTES, and in a larger document
// the first part holds everything before that (sync-replies.ts answers each as it takes it).
import * as Y from 'yjs'
import {
  arrayWeight,
  contentBytes,
  partsAtSteps,
  runSteps,
  STRUCT_HEADER_BYTES,
  StepBudget,
  type Steps,
  stateVectorsAt,
} from '../updates/index.js'

/** Bytes a part aims at (about 2,900 messages of the bench's records, 4 frames deflated). */
export const PART_BYTES = 512 * 1024
/** Most bytes in the parts after the first two: older joiners count those against a link's byte budget (4 MiB). */
export const PARTED_MAX_BYTES = 2 * 1024 * 1024

/** How to cut (tests use small parts). */
export interface PartOptions {
  /** Bytes a part aims at (default PART_BYTES). */
  partBytes?: number
  /** Most bytes in the parts after the first two (default PARTED_MAX_BYTES; Infinity: every part about `partBytes`). */
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
  const parts = yield* partsAtSteps(doc, stateVectorsAt(order, cuts), budget)
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
