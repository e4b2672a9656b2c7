// A large Yjs update applied in slices, a task each. Yjs applies an update whole, in one
// transaction: a relayed batch or a history of thousands of records was integrated, parsed,
// admitted and handed to the log in one task of the page (BENCHMARKS.md, "Twelfth session").
// Here a y-webrtc sync message whose update holds more than RECORDS_PER_SLICE records is cut
// into sync messages of at most that many, each a valid update of its own: a run of each
// client's structs, in clock order, as Yjs reads them (`Y.decodeUpdate`) and writes them again
// (each struct's own `write`, as Yjs's `mergeUpdates` does), the delete set with the last. The
// structs are taken in an order Yjs can apply slice after slice: what a struct names of other
// clients (its origins, its parent) comes before it, as Yjs integrates a whole update.
//
// Whatever the slicing, the document ends the same: a slice is a part of the update, all of it
// is applied, and Yjs holds a struct whose origin it lacks yet as pending until that comes (as it
// does for updates that arrive out of order). A client's records keep their order: its structs
// are cut in clock order and the slices applied in the order cut.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { messageYjsSyncStep2, messageYjsUpdate, readSyncMessage } from 'y-protocols/sync'
import { takeUpdate } from '../updates/index.js'
import { MESSAGE_SYNC, syncMessage } from './y-webrtc-messages.js'

/**
 * Records (units of a Yjs clock: one message, key or annotation) one slice holds at most. A
 * relayed batch of about 100 records took 21 ms of CPU in one task of a flooded page (BENCHMARKS.md,
 * "Twelfth session"), several times that in wall time on a shared core.
 */
export const RECORDS_PER_SLICE = 64

/**
 * Updates of at most this many bytes are applied whole, unread: they hold fewer records than a
 * slice does (a signed record takes over 100 bytes), and most updates are one message.
 */
export const SLICE_ABOVE_BYTES = 4 * 1024

type Struct = Y.Item | Y.GC | Y.Skip
/** An update's deletions, as Yjs reads them. */
type Deletions = ReturnType<typeof Y.decodeUpdate>['ds']

/** Records a struct counts for: the values of an array item, else one (a deleted run, a string, a gap). */
function recordsOf(struct: Struct): number {
  return struct instanceof Y.Item && struct.content instanceof Y.ContentAny ? struct.length : 1
}

/**
 * Cuts an array item of values after its first `keep`: `item` keeps them, the rest is returned
 * as the item that follows it (what Yjs's own slicing of a struct makes).
 */
function cutItem(item: Y.Item, keep: number): Y.Item {
  const { client, clock } = item.id
  const rest = item.content.splice(keep)
  item.length = keep
  return new Y.Item(
    Y.createID(client, clock + keep),
    null,
    Y.createID(client, clock + keep - 1),
    null,
    item.rightOrigin,
    item.parent,
    item.parentSub,
    rest,
  )
}

/** One slice as an update (format v1): each client's run of structs, then the delete set. */
function encodeSlice(runs: Map<number, Struct[]>, deletes: Deletions | null): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  encoding.writeVarUint(encoder.restEncoder, runs.size)
  for (const [client, structs] of runs) {
    encoding.writeVarUint(encoder.restEncoder, structs.length)
    encoder.writeClient(client)
    encoding.writeVarUint(encoder.restEncoder, structs[0].id.clock)
    for (const struct of structs) struct.write(encoder, 0)
  }
  const clients = deletes === null ? [] : [...deletes.clients]
  encoding.writeVarUint(encoder.restEncoder, clients.length)
  for (const [client, ranges] of clients) {
    encoder.resetDsCurVal()
    encoding.writeVarUint(encoder.restEncoder, client)
    encoding.writeVarUint(encoder.restEncoder, ranges.length)
    for (const range of ranges) {
      encoder.writeDsClock(range.clock)
      encoder.writeDsLen(range.len)
    }
  }
  return encoder.toUint8Array()
}

/** A slice not written yet: each is written when its turn comes, so the arrival's task only reads the update. */
export type Slice = () => Uint8Array

/**
 * `update` (format v1) as updates of at most `perSlice` records each, in the order to apply
 * them; null when it holds no more than that (apply it whole). A struct that cannot be cut (a
 * string, a deleted run) makes a slice of its own if it is larger.
 */
export function sliceUpdate(update: Uint8Array, perSlice: number = RECORDS_PER_SLICE): Uint8Array[] | null {
  return planSlices(update, perSlice)?.map((slice) => slice()) ?? null
}

/**
 * The structs of an update in an order Yjs can apply them one slice after another without
 * waiting: each client's in clock order, and before a struct, the structs of other clients in the
 * update that it names (its origins, its parent), as Yjs itself integrates an update. A slice
 * applied before what it names would be held pending by Yjs, and tried again with every later one.
 */
function applicableOrder(structs: readonly Struct[]): Struct[] {
  const byClient = new Map<number, Struct[]>()
  for (const struct of structs) {
    const run = byClient.get(struct.id.client)
    if (run === undefined) byClient.set(struct.id.client, [struct])
    else run.push(struct)
  }
  /** Per client, the index of its first struct not yet in the order. */
  const next = new Map<number, number>()
  /** An id in another client's structs of this update that are not yet in the order. */
  const waitingFor = (id: Y.ID | null, client: number): Y.ID | null => {
    if (id === null || id.client === client) return null
    const run = byClient.get(id.client)
    if (run === undefined) return null
    const first = run[next.get(id.client) ?? 0]
    const end = run[run.length - 1]
    return first !== undefined && id.clock >= first.id.clock && id.clock < end.id.clock + end.length ? id : null
  }
  const ordered: Struct[] = []
  for (const start of byClient.keys()) {
    const stack = [{ client: start, until: Number.POSITIVE_INFINITY }]
    while (stack.length > 0) {
      const top = stack[stack.length - 1]
      const run = byClient.get(top.client) ?? []
      const at = next.get(top.client) ?? 0
      const struct = run[at]
      if (struct === undefined || struct.id.clock > top.until) {
        stack.pop()
        continue
      }
      if (struct instanceof Y.Item) {
        const parent = struct.parent instanceof Y.ID ? struct.parent : null
        const named = [struct.origin, struct.rightOrigin, parent]
          .map((id) => waitingFor(id, top.client))
          .find((id) => id !== null && !stack.some((entry) => entry.client === id.client))
        if (named !== undefined && named !== null) {
          stack.push({ client: named.client, until: named.clock })
          continue
        }
      }
      ordered.push(struct)
      next.set(top.client, at + 1)
    }
  }
  return ordered
}

/** `sliceUpdate`, each slice written only when called. */
export function planSlices(update: Uint8Array, perSlice: number = RECORDS_PER_SLICE): Slice[] | null {
  // Read once with the guard's count in the arrival's task (updates/ `readUpdate`); cut here, so taken.
  const decoded = takeUpdate(update)
  const { ds } = decoded
  let total = 0
  for (const struct of decoded.structs) total += recordsOf(struct)
  if (total <= perSlice) return null
  const structs = applicableOrder(decoded.structs)
  const slices: Slice[] = []
  let runs = new Map<number, Struct[]>()
  let records = 0
  const close = (): void => {
    const closed = runs
    if (closed.size > 0) slices.push(() => encodeSlice(closed, null))
    runs = new Map()
    records = 0
  }
  const add = (struct: Struct, count: number): void => {
    const run = runs.get(struct.id.client)
    if (run === undefined) runs.set(struct.id.client, [struct])
    else run.push(struct)
    records += count
  }
  for (const next of structs) {
    // A gap starts no run: the run starts where the client's next struct does.
    if (next instanceof Y.Skip && !runs.has(next.id.client)) continue
    let struct: Struct | null = next
    while (struct !== null) {
      const count = recordsOf(struct)
      if (records + count <= perSlice || records === 0) {
        if (records + count > perSlice && struct instanceof Y.Item && struct.content instanceof Y.ContentAny) {
          const rest = cutItem(struct, perSlice)
          add(struct, perSlice)
          close()
          struct = rest
          continue
        }
        add(struct, count)
        struct = null
      } else if (struct instanceof Y.Item && struct.content instanceof Y.ContentAny) {
        const rest = cutItem(struct, perSlice - records)
        add(struct, struct.length)
        close()
        struct = rest
      } else {
        close()
      }
    }
    if (records >= perSlice) close()
  }
  // The deletions go with the last slice, once every struct they may name was applied.
  const last = runs
  slices.push(() => encodeSlice(last, ds))
  return slices
}

/** What `sliceSyncMessage` cuts. */
export interface SliceOptions {
  /** Records a slice holds at most (RECORDS_PER_SLICE). */
  perSlice?: number
  /**
   * Whether a sync step 2 (the answer to a request) is cut too (default false): yes on a link this
   * page opened holding a document, where an answer is a change like any other; no where it may
   * be the history a joiner's first request asked for (see PeerGuard.historyDue).
   */
  step2?: boolean
}

/**
 * A y-webrtc sync update (a change as it is broadcast or relayed) of more than RECORDS_PER_SLICE
 * records, and with `step2` a sync step 2 too, as sync messages of the same kind carrying its
 * slices, each written when called; null for any other message (smaller, another kind, not one
 * Yjs can read), which is handed on whole. A joiner's history (the answer to its fresh request) is
 * handed on whole: applied in slices, each slice after the first was news to the room (a joiner's
 * log took every later slice's records for arrivals, and looked for each on every scroll: a
 * 10,000-message join did not finish in 30 s). Other answers (a repair's, after the digests
 * differed: what a flood's relayed parts left to them brings) were applied whole too, up to
 * thousands of records in one task of a flooded page; with `step2` they are sliced as updates are.
 */
export function sliceSyncMessage(data: unknown, options: SliceOptions = {}): Slice[] | null {
  const { perSlice = RECORDS_PER_SLICE, step2 = false } = options
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
  if (bytes === null || bytes.byteLength <= SLICE_ABOVE_BYTES) return null
  let kind: number
  let slices: Slice[] | null
  try {
    const decoder = decoding.createDecoder(bytes)
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return null
    kind = decoding.readVarUint(decoder)
    if (kind !== messageYjsUpdate && !(step2 && kind === messageYjsSyncStep2)) return null
    const update = decoding.readVarUint8Array(decoder)
    if (decoding.hasContent(decoder)) return null
    slices = planSlices(update, perSlice)
  } catch {
    return null // y-webrtc reads it as it would have, and fails as it would have
  }
  if (slices === null) return null
  return slices.map((slice) => () => syncMessage(kind, slice()))
}

/**
 * Applies a slice `sliceSyncMessage` wrote (a y-webrtc sync message) to `doc` with `origin`, as
 * y-webrtc applies what a link delivers (its room as origin); for a slice whose link closed.
 */
export function applySyncSlice(data: unknown, doc: Y.Doc, origin: unknown): void {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
  if (bytes === null) return
  const decoder = decoding.createDecoder(bytes)
  if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return
  readSyncMessage(decoder, encoding.createEncoder(), doc, origin)
}
