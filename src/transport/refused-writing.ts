// What the peer guards refused of the document, by writer: the records refused updates brought
// that the document still lacks, so that the log can say "N messages from X hidden" of them too.
//
// A refused update is never applied, so nothing of it reaches the room's budgets. Here each Yjs
// client it writes for keeps the highest clock refused updates reached, the clocks of its refused
// messages, and a few of its values (samples: the room reads a name from them). What is hidden is
// what the document does not hold of those: a record refused here and brought later by another
// link (a digest repair, a relay) is not counted twice, and two links refusing the same records
// count them once. `records` counts every record (keys, annotations, messages: the room's stats);
// `messages` only those the log's line names.
//
// The room says which values are messages (`names`: they claim an author, so name the writer). In
// an update, the first value of each of the writer's items is tested (an item's values were written
// together, to one array: a Parley writer's messages, keys and annotations are never in one item): a
// test an item, of items the update's read decoded already, however many of the writer's updates are
// refused. A writer's first refused values may name nobody (a key alone, a restored one or a Parley
// writer's first; reactions, edits): it is named by the first refused update that holds a message,
// whenever that comes, and its keys and annotations are never counted as messages.
//
// An update is read in the task that refused it only when that task read it already (the guard's
// count of its records: updates/ `readUpdate`); any other (refused before it was counted: its link
// flooding, past its bytes) is read in a task of its own, after the arrival's: reading up to
// MAX_READ_REFUSED_BYTES is a long task's worth (about 7.5 ms of CPU a thousand records).
import * as Y from 'yjs'
import { nextTask } from '../tasks/index.js'
import { keptUpdate, readUpdate, type ReadUpdate } from '../updates/index.js'

/** Writers remembered; the writing of more (made-up clients) is not counted. */
export const MAX_REFUSED_WRITERS = 64
/** The largest refused update read for its writers, in bytes (a larger one, a history, is not read: its parse would be a long task). */
export const MAX_READ_REFUSED_BYTES = 4 * 1024 * 1024
/**
 * Bytes of refused updates waiting to be read, at most; more are not read. A flooding link is dropped
 * at once, but a page short of CPU still gets the messages its channel held, each refused (thousands
 * of a flooder's one-record updates in a traced flood).
 */
export const MAX_PENDING_REFUSED_BYTES = 2 * MAX_READ_REFUSED_BYTES
/** Bytes of refused updates read in one task (one at least, however large): 64 KiB of one-record updates took 10-19 ms of CPU a task in a traced flood. */
const READ_PER_TASK_BYTES = 16 * 1024

/** Values of a writer's refused records kept that name it, the first found (one names it; a few in case the room reads one it cannot use). */
const SAMPLES_KEPT = 4
/**
 * Runs of a writer's refused messages kept apart (clock ranges); past that the two closest merge,
 * and what lies between them (a writer's keys or annotations) is counted as messages too. A Parley
 * writer's messages run on between its few reactions; only a writer that interleaves more than
 * this many runs of messages with other records is over-counted.
 */
export const MAX_MESSAGE_RUNS = 64

/** Whether a value a refused writer wrote names it (for the room: a message record, which claims an author). */
export type NamesWriter = (value: unknown) => boolean

/** One writer's refused records that the document lacks: how many, how many of them are messages, and a few values it wrote that name it (the first found). */
export interface RefusedWriter {
  records: number
  messages: number
  samples: readonly unknown[]
}

/** One writer as refused updates showed it. */
interface Writer {
  /** The clock its refused updates reached. */
  clock: number
  /** Clock ranges of its refused messages, from (inclusive) to (exclusive), sorted and apart; MAX_MESSAGE_RUNS at most. */
  messages: Array<[number, number]>
  samples: unknown[]
}

/** The records refused updates brought, by writer (Yjs client id). */
export class RefusedWriting {
  readonly #doc: Y.Doc
  readonly #onChange: () => void
  readonly #later: (run: () => void) => void
  readonly #names: NamesWriter
  readonly #writers = new Map<number, Writer>()
  /** Refused updates not read yet, oldest first, and their bytes. */
  #pending: Uint8Array[] = []
  #pendingBytes = 0

  /**
   * For the room whose document is `doc` (its own writing is never refused); `onChange` runs when
   * a writer's count changed, `later` runs a read in a later task (default: a task of its own),
   * `names` tells the values kept as samples (default: any value, so the first read).
   */
  constructor(doc: Y.Doc, onChange: () => void = () => {}, later: (run: () => void) => void = nextTask, names: NamesWriter = () => true) {
    this.#doc = doc
    this.#onChange = onChange
    this.#later = later
    this.#names = names
  }

  /**
   * Notes a refused Yjs update (v1): at once when this task read it already, else in a later task
   * (see above). Malformed updates note nothing.
   */
  note(update: Uint8Array): void {
    if (update.byteLength > MAX_READ_REFUSED_BYTES) return
    const kept = keptUpdate(update)
    if (kept !== null) {
      if (this.#take(kept)) this.#onChange()
      return
    }
    if (this.#pendingBytes + update.byteLength > MAX_PENDING_REFUSED_BYTES) return
    this.#pending.push(update)
    this.#pendingBytes += update.byteLength
    if (this.#pending.length === 1) this.#later(() => this.#readPending())
  }

  /** Records refused per writer that the document still lacks (none listed once it holds them all). */
  writers(): Map<number, RefusedWriter> {
    const lacking = new Map<number, RefusedWriter>()
    for (const [client, writer] of this.#writers) {
      // The document holds a writer's records from clock 0 on, without a gap (Yjs holds back what follows one).
      const held = Y.getState(this.#doc.store, client)
      const records = writer.clock - held
      if (records <= 0) continue
      writer.messages = writer.messages.filter(([, to]) => to > held)
      const messages = writer.messages.reduce((sum, [from, to]) => sum + to - Math.max(from, held), 0)
      lacking.set(client, { records, messages, samples: writer.samples })
    }
    return lacking
  }

  /** Reads waiting updates, READ_PER_TASK_BYTES a task (one at least); the rest in the next. */
  #readPending(): void {
    let changed = false
    let read = 0
    while (this.#pending.length > 0 && (read === 0 || read + this.#pending[0].byteLength <= READ_PER_TASK_BYTES)) {
      const update = this.#pending.shift() as Uint8Array
      this.#pendingBytes -= update.byteLength
      read += update.byteLength
      try {
        if (this.#take(readUpdate(update))) changed = true
      } catch {
        // not a Yjs update: it wrote nothing
      }
    }
    if (this.#pending.length > 0) this.#later(() => this.#readPending())
    if (changed) this.#onChange()
  }

  /** Takes a refused update's writers in; returns whether the count of one changed. */
  #take(update: ReadUpdate): boolean {
    let changed = false
    const taken = new Set<number>()
    for (const [client, clock] of update.to) {
      if (client === this.#doc.clientID || clock <= Y.getState(this.#doc.store, client)) continue
      const known = this.#writers.get(client)
      if (known === undefined && this.#writers.size >= MAX_REFUSED_WRITERS) continue
      const writer = known ?? { clock, messages: [], samples: [] }
      this.#writers.set(client, writer)
      taken.add(client)
      if (known !== undefined && known.clock >= clock) continue
      writer.clock = clock
      changed = true
    }
    // Records below the clock reached may be new too (another link refused later ones first).
    if (taken.size > 0 && this.#noteMessages(update, taken)) changed = true
    return changed
  }

  /**
   * Notes, for each of `clients`, the clocks of its items in the update whose first value names it
   * (messages), and keeps values of the first such item as its samples while it has none (SAMPLES_KEPT
   * at most, those that name it): a test an item, and SAMPLES_KEPT of the one kept. Returns whether
   * a writer's messages changed.
   */
  #noteMessages(update: ReadUpdate, clients: ReadonlySet<number>): boolean {
    let changed = false
    for (const struct of update.structs) {
      const client = struct.id.client
      // A text's characters are never a record (and getContent would split the whole string).
      if (!clients.has(client) || !(struct instanceof Y.Item) || struct.content instanceof Y.ContentString) continue
      const writer = this.#writers.get(client)
      if (writer === undefined || struct.id.clock + struct.length <= Y.getState(this.#doc.store, client)) continue
      const values = struct.content.getContent()
      if (values.length === 0 || !this.#names(values[0])) continue
      if (addRun(writer.messages, struct.id.clock, struct.id.clock + struct.length)) changed = true
      if (writer.samples.length === 0)
        writer.samples.push(values[0], ...values.slice(1, SAMPLES_KEPT).filter((value) => this.#names(value)))
    }
    return changed
  }
}

/**
 * Adds the clocks from..to (exclusive) to `runs` (sorted, apart), merging what they meet; past
 * MAX_MESSAGE_RUNS the two closest runs merge. Returns whether `runs` gained clocks.
 */
export function addRun(runs: Array<[number, number]>, from: number, to: number): boolean {
  let at = 0
  while (at < runs.length && runs[at][1] < from) at++
  let end = at
  while (end < runs.length && runs[end][0] <= to) end++
  if (end - at === 1 && runs[at][0] <= from && runs[at][1] >= to) return false
  const merged: [number, number] = end > at ? [Math.min(from, runs[at][0]), Math.max(to, runs[end - 1][1])] : [from, to]
  runs.splice(at, end - at, merged)
  if (runs.length > MAX_MESSAGE_RUNS) {
    let closest = 0
    for (let k = 1; k < runs.length - 1; k++) if (runs[k + 1][0] - runs[k][1] < runs[closest + 1][0] - runs[closest][1]) closest = k
    runs.splice(closest, 2, [runs[closest][0], runs[closest + 1][1]])
  }
  return true
}
