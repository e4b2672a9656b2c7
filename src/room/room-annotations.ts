// A room's annotations (edits, deletions, reactions, reply links) as a parsed, budgeted list,
// indexed by the message each targets; deleted entries are put back, as messages are.
import type * as Y from 'yjs'
import { AnnotationBudgets, annotationsOf, parseAnnotations, type AnnotationRecord } from '../history/index.js'

/** Origin of the transactions that put deleted annotations back. */
const RESTORE_ORIGIN = 'parley-restore-annotations'

/** Watches a document's `annotations` array and keeps the valid, admitted records by target. */
export class RoomAnnotations {
  readonly #doc: Y.Doc
  readonly #array: Y.Array<unknown>
  readonly #onChange: () => void
  /** Admitted records, in document order. */
  #records: AnnotationRecord[] = []
  /** Admitted records by target id. */
  #byTarget = new Map<string, AnnotationRecord[]>()
  /** JSON of each admitted record, so that identical copies count once. */
  #seen = new Set<string>()
  #budgets = new AnnotationBudgets()
  #length = 0
  /** Records other peers wrote that failed validation. */
  skipped = 0
  /** Annotations some peer deleted that this one put back. */
  restored = 0
  #closed = false

  /** `onChange` runs after any change to the admitted annotations. */
  constructor(doc: Y.Doc, onChange: () => void) {
    this.#doc = doc
    this.#array = annotationsOf(doc)
    this.#onChange = onChange
    this.#reset()
    this.#array.observe(this.#observer)
  }

  /** Annotations over their authors' budgets, so not applied. */
  get hidden(): number {
    return this.#budgets.hiddenTotal
  }

  /** The admitted annotations targeting message `id`, in document order (a live array: do not change it). */
  of(id: string): readonly AnnotationRecord[] {
    return this.#byTarget.get(id) ?? NONE
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true
    this.#array.unobserve(this.#observer)
  }

  #observer = (event: Y.YArrayEvent<unknown>): void => {
    const appendOnly = event.transaction.deleteSet.clients.size === 0 && this.#array.length >= this.#length
    if (appendOnly) {
      const batch = parseAnnotations(this.#array.slice(this.#length))
      this.#length = this.#array.length
      this.skipped += batch.skipped
      this.#add(batch.annotations)
    } else {
      // Annotations are append-only too: whatever vanished, put back (at the end: where an
      // annotation sits does not change what it does).
      const before = this.#records
      this.#reset()
      const lost = before.filter((record) => !this.#seen.has(JSON.stringify(record)))
      if (lost.length > 0) {
        this.restored += lost.length
        queueMicrotask(() => {
          if (!this.#closed) this.#doc.transact(() => this.#array.push(lost.map((record) => ({ ...record }))), RESTORE_ORIGIN)
        })
      }
    }
    this.#onChange()
  }

  #reset(): void {
    this.#records = []
    this.#byTarget = new Map()
    this.#seen = new Set()
    this.#budgets = new AnnotationBudgets()
    const batch = parseAnnotations(this.#array.toArray())
    this.#length = this.#array.length
    this.skipped = batch.skipped
    this.#add(batch.annotations)
  }

  #add(records: readonly AnnotationRecord[]): void {
    const fresh = records.filter((record) => {
      const json = JSON.stringify(record)
      if (this.#seen.has(json)) return false
      this.#seen.add(json)
      return true
    })
    for (const record of this.#budgets.admit(fresh)) {
      this.#records.push(record)
      const group = this.#byTarget.get(record.target)
      if (group === undefined) this.#byTarget.set(record.target, [record])
      else group.push(record)
    }
  }
}

const NONE: readonly AnnotationRecord[] = []
