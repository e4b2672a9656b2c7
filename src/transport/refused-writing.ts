// What the peer guards refused of the document, by writer: the records refused updates brought
// that the document still lacks, so that the log can say "N messages from X hidden" of them too.
//
// A refused update is never applied, so nothing of it reaches the room's budgets. Here each Yjs
// client it writes for keeps the highest clock refused updates reached, and a few of its values
// (samples: the room reads a name from them). What is hidden is that clock less what the document
// holds of the writer: a record refused here and brought later by another link (a digest repair,
// a relay) is not counted twice, and two links refusing the same records count them once.
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

/** Values of a writer's refused records kept, the first read (a message among them names its author; a key or an annotation does not). */
const SAMPLES_KEPT = 4

/** One writer's refused records: how many the document lacks, and a few values it wrote (the first read). */
export interface RefusedWriter {
  records: number
  samples: readonly unknown[]
}

/** The records refused updates brought, by writer (Yjs client id). */
export class RefusedWriting {
  readonly #doc: Y.Doc
  readonly #onChange: () => void
  readonly #later: (run: () => void) => void
  /** Per writer: the clock refused updates reached, and a value it wrote. */
  readonly #writers = new Map<number, { clock: number; samples: unknown[] }>()
  /** Refused updates not read yet, oldest first, and their bytes. */
  #pending: Uint8Array[] = []
  #pendingBytes = 0

  /**
   * For the room whose document is `doc` (its own writing is never refused); `onChange` runs when
   * a writer's count changed, `later` runs a read in a later task (default: a task of its own).
   */
  constructor(doc: Y.Doc, onChange: () => void = () => {}, later: (run: () => void) => void = nextTask) {
    this.#doc = doc
    this.#onChange = onChange
    this.#later = later
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
      this.#writers.set(client, { clock, samples: known?.samples ?? [] })
      if (known === undefined || known.samples.length === 0) unsampled.push(client)
      changed = true
    }
    if (unsampled.length > 0) this.#sample(update, unsampled)
    return changed
  }

  /** Keeps, for each of `clients`, the first SAMPLES_KEPT values the update holds of its writing. */
  #sample(update: ReadUpdate, clients: readonly number[]): void {
    const wanted = new Set(clients)
    for (const struct of update.structs) {
      const writer = this.#writers.get(struct.id.client)
      if (!wanted.has(struct.id.client) || !(struct instanceof Y.Item) || writer === undefined) continue
      for (const value of struct.content.getContent().slice(0, SAMPLES_KEPT - writer.samples.length)) writer.samples.push(value as unknown)
      if (writer.samples.length < SAMPLES_KEPT) continue
      wanted.delete(struct.id.client)
      if (wanted.size === 0) return
    }
  }
}
