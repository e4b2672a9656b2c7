// A document's state encoded as a Yjs update (v1) a few records at a time, so that the work can
// be spread over tasks: `Y.encodeStateAsUpdate` writes every struct in one call, and a warm
// history answer of a flooded room took 37–64 ms of CPU in one idle callback (BENCHMARKS.md,
// "Twelfth session"). A Yjs writer merges a run of one client's records pushed one after another
// into one struct (thousands of a flooder's records in one), so the steps are counted in records,
// and an array item of values is written in pieces when one step cannot hold it: each piece is
// the item Yjs itself would make by splitting it there (its left origin the record before it).
//
// The update is the document's state as `Y.encodeStateAsUpdate(doc, stateVector)` gives it
// (the same structs, the same delete set; a large item may come as several pieces): applied, it
// makes the same document. Between two steps the document must not change: whoever runs the
// steps gives them up on any change (transport/sync-replies.ts); the relay's batches are cut into ranges of records (history/deferred-updates.ts).
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** Records written, or structs looked at for the delete set, in one step. */
export const RECORDS_PER_STEP = 256

/** Work in steps: each `yield` ends one; what it returns is the result. */
export type Steps<T> = Generator<void, T, void>

/** Runs `steps` to the end at once. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next()
    if (next.done === true) return next.value
  }
}

/** Counts the records of a step and says when it is full. */
export class StepBudget {
  #left: number

  constructor(readonly perStep: number = RECORDS_PER_STEP) {
    this.#left = perStep
  }

  /** Room left in this step, in records. */
  get left(): number {
    return this.#left
  }

  /** Spends `records`; true when the step is full (the caller yields, and the next step starts afresh). */
  spend(records: number): boolean {
    this.#left -= records
    if (this.#left > 0) return false
    this.#left = this.perStep
    return true
  }
}

type Struct = Y.Item | Y.GC

/** A client's structs from clock `from` up to (not including) `to`. */
export interface ClockRange {
  client: number
  from: number
  to: number
}

/** The index of the struct holding `clock` (structs are sorted by clock and cover it without gaps). */
function indexAt(structs: readonly Struct[], clock: number): number {
  let low = 0
  let high = structs.length - 1
  while (low < high) {
    const middle = (low + high + 1) >>> 1
    if (structs[middle].id.clock <= clock) low = middle
    else high = middle - 1
  }
  return low
}

/** Whether `struct` is an array item of values, which can be written in pieces. */
function isValues(struct: Struct): struct is Y.Item & { content: Y.ContentAny } {
  return struct instanceof Y.Item && struct.content instanceof Y.ContentAny
}

/**
 * Clock units `from`..`to` (offsets within `struct`) of an array item of values, as the item Yjs
 * makes when it splits one there: its left origin the record before `from` (Item.write with an
 * offset), its right origin the item's, its values those of the range.
 */
function writeValuesPiece(encoder: Y.UpdateEncoderV1, item: Y.Item & { content: Y.ContentAny }, from: number, to: number): void {
  const values = item.content.arr
  const piece = Object.create(item) as Y.Item
  Object.defineProperty(piece, 'content', {
    value: {
      getRef: () => item.content.getRef(),
      write: (pieceEncoder: Y.UpdateEncoderV1) => {
        pieceEncoder.writeLen(to - from)
        for (let index = from; index < to; index++) pieceEncoder.writeAny(values[index])
      },
    },
  })
  piece.write(encoder, from)
}

/**
 * Writes one client's structs of clocks `from`..`to` into `encoder` (its section: count, client,
 * first clock, structs), yielding each time `budget` fills; the last struct is cut at `to`.
 */
function* writeClientRange(
  encoder: Y.UpdateEncoderV1,
  structs: readonly Struct[],
  { client, from, to }: ClockRange,
  budget: StepBudget,
): Steps<ClockRange | null> {
  const body = new Y.UpdateEncoderV1()
  let count = 0
  let first = -1
  let last = -1
  for (let index = indexAt(structs, from); index < structs.length && structs[index].id.clock < to; index++) {
    const struct = structs[index]
    const start = Math.max(0, from - struct.id.clock)
    const end = Math.min(struct.length, to - struct.id.clock)
    if (first < 0) first = struct.id.clock + start
    last = struct.id.clock + end
    if (!isValues(struct)) {
      if (end === struct.length) struct.write(body, start)
      else cutAt(struct, end).write(body, start)
      count++
      if (budget.spend(1)) yield
      continue
    }
    for (let at = start; at < end; ) {
      const until = Math.min(end, at + Math.max(1, budget.left))
      if (at === 0 && until === struct.length) struct.write(body, 0)
      else writeValuesPiece(body, struct, at, until)
      count++
      const full = budget.spend(until - at)
      at = until
      if (full) yield
    }
  }
  encoding.writeVarUint(encoder.restEncoder, count)
  encoder.writeClient(client)
  encoding.writeVarUint(encoder.restEncoder, from)
  encoding.writeUint8Array(encoder.restEncoder, body.toUint8Array())
  return count === 0 ? null : { client, from: first, to: last }
}

/** A view of `struct` ending after its first `length` clock units, to write (the document is not touched). */
function cutAt(struct: Struct, length: number): Struct {
  const view = Object.create(struct) as Struct
  if (view instanceof Y.Item) {
    const content = (struct as Y.Item).content.copy()
    content.splice(length)
    Object.defineProperty(view, 'content', { value: content })
  }
  Object.defineProperty(view, 'length', { value: length })
  return view
}

/** The document's delete set, as `Y.createDeleteSetFromStructStore` finds it, looked for in steps; written into `encoder` as Yjs writes it. */
function* writeDeleteSetSteps(encoder: Y.UpdateEncoderV1, doc: Y.Doc, budget: StepBudget): Steps<void> {
  const deleted: [number, { clock: number; len: number }[]][] = []
  for (const [client, structs] of doc.store.clients) {
    const ranges: { clock: number; len: number }[] = []
    for (let index = 0; index < structs.length; index++) {
      const struct = structs[index]
      if (budget.spend(1)) yield
      if (!struct.deleted) continue
      const last = ranges[ranges.length - 1]
      if (last !== undefined && last.clock + last.len === struct.id.clock) last.len += struct.length
      else ranges.push({ clock: struct.id.clock, len: struct.length })
    }
    if (ranges.length > 0) deleted.push([client, ranges])
  }
  writeDeletions(encoder, deleted)
}

/**
 * Writes deletions into `encoder` as Yjs writes a delete set: clients in descending order, each's
 * ranges as given (sorted by clock and merged, as Yjs keeps them).
 */
function writeDeletions(encoder: Y.UpdateEncoderV1, deleted: Iterable<[number, readonly { clock: number; len: number }[]]>): void {
  const clients = [...deleted].sort((a, b) => b[0] - a[0])
  encoding.writeVarUint(encoder.restEncoder, clients.length)
  for (const [client, ranges] of clients) {
    encoder.resetDsCurVal()
    encoding.writeVarUint(encoder.restEncoder, client)
    encoding.writeVarUint(encoder.restEncoder, ranges.length)
    for (const { clock, len } of ranges) {
      encoder.writeDsClock(clock)
      encoder.writeDsLen(len)
    }
  }
}

/**
 * An update (v1) of the structs of `ranges`, in steps, with the document's whole delete set when
 * `deletions` (else an empty one): a part of the document, which Yjs applies as it comes or holds
 * pending until what it names comes. Writers go highest client id first, as Yjs writes them:
 * `Y.mergeUpdates` reads its inputs in that order and loses structs of updates written otherwise.
 */
export function* rangesUpdateSteps(doc: Y.Doc, ranges: readonly ClockRange[], budget: StepBudget, deletions: boolean): Steps<Uint8Array> {
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, ranges.length)
  const written: ClockRange[] = []
  for (const range of [...ranges].sort((a, b) => b.client - a.client)) {
    const wrote = yield* writeClientRange(encoder, doc.store.clients.get(range.client) ?? [], range, budget)
    if (wrote !== null) written.push(wrote)
  }
  if (deletions) yield* writeDeleteSetSteps(encoder, doc, budget)
  else encoding.writeVarUint(encoder.restEncoder, 0)
  const update = encoder.toUint8Array()
  writtenRanges.set(update, written)
  return update
}

/**
 * The update one transaction made, byte for byte what Yjs's 'update' event gives for it: the
 * structs it added (each changed client's, from its clock before the transaction) and the
 * deletions it made. Call it once Yjs has sorted the transaction's deletions and noted its state
 * after (from 'beforeObserverCalls' on). Unlike `Y.encodeStateAsUpdate` past a state vector, it
 * neither writes and reads state vectors nor looks at every struct of the document for its
 * whole delete set: a message sent costs what it wrote, not what the room holds.
 */
export function transactionUpdate(transaction: Y.Transaction): Uint8Array {
  const { doc, beforeState, afterState, deleteSet } = transaction
  const ranges: ClockRange[] = []
  for (const [client, to] of afterState) {
    const from = beforeState.get(client) ?? 0
    if (to <= from) continue
    ranges.push({ client, from, to })
  }
  return changesUpdate(doc, ranges, deleteSet)
}

/** A Yjs delete set (a transaction's, or several merged by `Y.mergeDeleteSets`): per client, its deleted clocks. */
export type DeleteSet = Y.Transaction['deleteSet']

/**
 * The update of the records of `ranges` (each writer's from its clock on) and the deletions of
 * `deleteSet` (sorted and merged, as Yjs keeps a transaction's): what some transactions wrote, as
 * their own 'update' events would give it, in one update. Unlike `Y.encodeStateAsUpdate`, it
 * does not look at every struct of the document for its whole delete set.
 */
export function changesUpdate(doc: Y.Doc, ranges: readonly ClockRange[], deleteSet: DeleteSet): Uint8Array {
  const sorted = [...ranges].sort((a, b) => b.client - a.client)
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, sorted.length)
  const budget = new StepBudget(Number.POSITIVE_INFINITY)
  const written: ClockRange[] = []
  for (const range of sorted) {
    const wrote = runSteps(writeClientRange(encoder, doc.store.clients.get(range.client) ?? [], range, budget))
    if (wrote !== null) written.push(wrote)
  }
  writeDeletions(encoder, deleteSet.clients)
  const update = encoder.toUint8Array()
  writtenRanges.set(update, written)
  return update
}

/**
 * Per writer, the clocks of each update this module wrote (`transactionUpdate`, `rangesUpdateSteps`),
 * as `Y.parseUpdateMeta` would read them back. The relay's budget counts a batch's records and
 * storage asks whether a history it kept holds them: each read the batch whole again (lib0
 * decoding every string of it, cold on a late joiner's page, between the history's parts), and a
 * send's was read on the message's way out (BENCHMARKS.md, "Send", "Fifteenth session").
 */
const writtenRanges = new WeakMap<Uint8Array, readonly ClockRange[]>()

/** How many records (clocks of their writers) a Yjs update holds; a malformed one holds none. */
export function updateRecords(update: Uint8Array): number {
  return updateClocks(update).records
}

/** A Yjs update's records (as `updateRecords` counts them) and its clock ranges (as `updateClockRanges` reads them). */
export interface UpdateClocks {
  readonly records: number
  /** Per writer, the clocks the update spans; null for one that is malformed. */
  ranges(): ClockRange[] | null
}

/**
 * The records and clock ranges of `update`, its meta read at most once, when either is first
 * asked (one written here is known without reading): the relay counts a batch for
 * its budget and, for one left to the digests, notes the ranges its stock links are owed.
 */
export function updateClocks(update: Uint8Array): UpdateClocks {
  let ranges: ClockRange[] | null | undefined
  const read = (): ClockRange[] | null => {
    if (ranges === undefined) ranges = updateClockRanges(update)
    return ranges
  }
  return {
    get records(): number {
      return (read() ?? []).reduce((records, { from, to }) => records + to - from, 0)
    },
    ranges: read,
  }
}

/**
 * Per writer, the clocks a Yjs update spans (`Y.parseUpdateMeta`); null for one that is malformed.
 * One written here is known without reading it.
 */
export function updateClockRanges(update: Uint8Array): ClockRange[] | null {
  const written = writtenRanges.get(update)
  if (written !== undefined) return written.map((range) => ({ ...range }))
  try {
    const { from, to } = Y.parseUpdateMeta(update)
    return [...to].map(([client, end]) => ({ client, from: from.get(client) ?? 0, to: end }))
  } catch {
    return null // not a Yjs update
  }
}

/**
 * Whether a Yjs update (v1) holds no record and no deletion (`[0, 0]`, or writers and deleters
 * listed with none): what a run of parts nobody wanted ends with. Reads the counts only, up to the
 * first record or deletion; a malformed update is not empty.
 */
export function isEmptyUpdate(update: Uint8Array): boolean {
  try {
    const decoder = decoding.createDecoder(update)
    for (let writers = decoding.readVarUint(decoder); writers > 0; writers--) {
      if (decoding.readVarUint(decoder) > 0) return false // its structs
      decoding.readVarUint(decoder) // client
      decoding.readVarUint(decoder) // clock
    }
    for (let deleters = decoding.readVarUint(decoder); deleters > 0; deleters--) {
      decoding.readVarUint(decoder) // client
      if (decoding.readVarUint(decoder) > 0) return false // its deleted ranges
    }
    return !decoding.hasContent(decoder)
  } catch {
    return false
  }
}

/**
 * What `Y.encodeStateAsUpdate(doc, Y.encodeStateVector(known))` gives (the whole document when
 * `known` is empty), in steps of about `budget` records: each client's structs past what `known`
 * holds of it, higher client ids first as Yjs writes them, then the whole delete set. A document
 * with updates pending (structs or deletions it cannot integrate yet) is encoded by Yjs at the
 * end, in one go, as those must be merged in.
 */
export function* stateUpdateSteps(
  doc: Y.Doc,
  known: ReadonlyMap<number, number> = new Map(),
  budget = new StepBudget(),
): Steps<Uint8Array> {
  const pendingEncoding = (): Uint8Array => Y.encodeStateAsUpdate(doc, Y.encodeStateVector(new Map(known)))
  if (hasPending(doc)) return pendingEncoding() // not walked in steps only to be thrown away below
  const ranges: ClockRange[] = []
  for (const [client, structs] of doc.store.clients) {
    const last = structs[structs.length - 1]
    const to = last.id.clock + last.length
    const from = Math.max(known.get(client) ?? 0, structs[0].id.clock)
    if (to > from) ranges.push({ client, from, to })
  }
  const update = yield* rangesUpdateSteps(doc, ranges, budget, true)
  // Pending since the first step (a caller that does not give up on changes): Yjs merges them in.
  return hasPending(doc) ? pendingEncoding() : update
}

/** Whether Yjs holds structs or deletions of `doc` it cannot integrate yet (its own encoding merges them into an update). */
export function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingDs !== null || doc.store.pendingStructs !== null
}
