// What the peer guards refused of the document, by writer: the records refused updates brought
// that the document still lacks, so that the log can say "N messages from X hidden" of them too.
//
// A refused update is never applied, so nothing of it reaches the room's budgets. Here each Yjs
// client it writes for keeps the highest clock refused updates reached, and a few of its values
// (samples: the room reads a name from them). What is hidden is that clock less what the document
// holds of the writer: a record refused here and brought later by another link (a digest repair,
// a relay) is not counted twice, and two links refusing the same records count them once.
//
// The room names a writer by a message among its samples, and a writer's first refused values may
// be none: a key alone (a restored one, or a Parley writer's first), reactions, edits. So the room
// says which values name a writer (`names`), and a writer is sampled update after update until one
// does, MAX_SAMPLED_UPDATES of them at most: a flooder that writes no message goes unnamed rather
// than make every refused update a search. In an update, the first value of each of the writer's
// items is tested (an item's values were written together, to one array): a test an item, of
// items the update's read decoded already.
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
/** A writer's refused updates searched for a value that names it, at most: past that it goes unnamed (counted all the same). */
export const MAX_SAMPLED_UPDATES = 8

/** Whether a value a refused writer wrote names it (for the room: a message record, which claims an author). */
export type NamesWriter = (value: unknown) => boolean

/** One writer's refused records: how many the document lacks, and a few values it wrote that name it (the first found). */
export interface RefusedWriter {
  records: number
  samples: readonly unknown[]
}

/** The records refused updates brought, by writer (Yjs client id). */
export class RefusedWriting {
  readonly #doc: Y.Doc
  readonly #onChange: () => void
  readonly #later: (run: () => void) => void
  readonly #names: NamesWriter
  /** Per writer: the clock refused updates reached, values it wrote that name it, and how many of its refused updates were searched for them. */
  readonly #writers = new Map<number, { clock: number; samples: unknown[]; searched: number }>()
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
    for (const [client, { clock, samples }] of this.#writers) {
      const records = clock - Y.getState(this.#doc.store, client)
      if (records > 0) lacking.set(client, { records, samples })
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
    const unsampled: number[] = []
    for (const [client, clock] of update.to) {
      if (client === this.#doc.clientID || clock <= Y.getState(this.#doc.store, client)) continue
      const known = this.#writers.get(client)
      if (known === undefined && this.#writers.size >= MAX_REFUSED_WRITERS) continue
      if (known !== undefined && known.clock >= clock) continue
      const writer = known ?? { clock, samples: [], searched: 0 }
      writer.clock = clock
      this.#writers.set(client, writer)
      if (writer.samples.length === 0 && writer.searched < MAX_SAMPLED_UPDATES) {
        writer.searched++
        unsampled.push(client)
      }
      changed = true
    }
    if (unsampled.length > 0) this.#sample(update, unsampled)
    return changed
  }

  /**
   * Keeps, for each of `clients`, values of the first of its items in the update whose first value
   * names it (SAMPLES_KEPT at most, those that name it): a test an item, and SAMPLES_KEPT of the one kept.
   */
  #sample(update: ReadUpdate, clients: readonly number[]): void {
    const wanted = new Set(clients)
    for (const struct of update.structs) {
      const writer = this.#writers.get(struct.id.client)
      // A text's characters are never a record (and getContent would split the whole string).
      if (!wanted.has(struct.id.client) || !(struct instanceof Y.Item) || struct.content instanceof Y.ContentString || writer === undefined)
        continue
      const values = struct.content.getContent()
      if (values.length === 0 || !this.#names(values[0])) continue
      writer.samples.push(values[0], ...values.slice(1, SAMPLES_KEPT).filter((value) => this.#names(value)))
      wanted.delete(struct.id.client)
      if (wanted.size === 0) return
    }
  }
}
