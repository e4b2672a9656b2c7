// What the peer guards refused of the document, by writer: the records refused updates brought
// that the document still lacks, so that the log can say "N messages from X hidden" of them too.
//
// A refused update is never applied, so nothing of it reaches the room's budgets. Here each Yjs
// client it writes for keeps the highest clock refused updates reached, and a few of its values
// (samples: the room reads a name from them). What is hidden is that clock less what the document
// holds of the writer: a record refused here and brought later by another link (a digest repair,
// a relay) is not counted twice, and two links refusing the same records count them once.
import * as Y from 'yjs'

/** Writers remembered; the writing of more (made-up clients) is not counted. */
export const MAX_REFUSED_WRITERS = 64
/** The largest refused update read for its writers, in bytes (a larger one, a history, is not read: its parse would be a long task). */
export const MAX_READ_REFUSED_BYTES = 4 * 1024 * 1024

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
  /** Per writer: the clock refused updates reached, and a value it wrote. */
  readonly #writers = new Map<number, { clock: number; samples: unknown[] }>()

  /** For the room whose document is `doc` (its own writing is never refused). */
  constructor(doc: Y.Doc) {
    this.#doc = doc
  }

  /** Notes a refused Yjs update (v1); returns whether the count of a writer changed. Malformed updates note nothing. */
  note(update: Uint8Array): boolean {
    if (update.byteLength > MAX_READ_REFUSED_BYTES) return false
    let changed = false
    const unsampled: number[] = []
    try {
      for (const [client, clock] of Y.parseUpdateMeta(update).to) {
        if (client === this.#doc.clientID || clock <= Y.getState(this.#doc.store, client)) continue
        const known = this.#writers.get(client)
        if (known === undefined && this.#writers.size >= MAX_REFUSED_WRITERS) continue
        if (known !== undefined && known.clock >= clock) continue
        this.#writers.set(client, { clock, samples: known?.samples ?? [] })
        if (known === undefined || known.samples.length === 0) unsampled.push(client)
        changed = true
      }
      if (unsampled.length > 0) this.#sample(update, unsampled)
    } catch {
      // not a Yjs update: it wrote nothing
    }
    return changed
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

  /** Keeps, for each of `clients`, the first SAMPLES_KEPT values the update holds of its writing. */
  #sample(update: Uint8Array, clients: readonly number[]): void {
    const wanted = new Set(clients)
    for (const struct of Y.decodeUpdate(update).structs) {
      const writer = this.#writers.get(struct.id.client)
      if (!wanted.has(struct.id.client) || !(struct instanceof Y.Item) || writer === undefined) continue
      for (const value of struct.content.getContent().slice(0, SAMPLES_KEPT - writer.samples.length)) writer.samples.push(value as unknown)
      if (writer.samples.length < SAMPLES_KEPT) continue
      wanted.delete(struct.id.client)
      if (wanted.size === 0) return
    }
  }
}
