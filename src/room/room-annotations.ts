// A room's annotations (edits, deletions, reactions, reply links) as a parsed, budgeted list,
// indexed by the message each targets; deleted entries are put back, as messages are.
// Budgeted as messages are: forgeries under an id charged to a lane of their own (budget-signatures.ts).
import type * as Y from 'yjs'
import { AUTHOR_BUDGET, AnnotationBudgets, annotationsOf, parseAnnotations, type AnnotationRecord } from '../history/index.js'
import { ANNOTATION_SIGNING, BudgetSignatures } from './budget-signatures.js'

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
  /** JSON of each valid record, so that identical copies count once. */
  #seen = new Set<string>()
  /** Every valid record without copies, in document order: what the budgets admit from. */
  #valid: AnnotationRecord[] = []
  /** What the budgets know of signatures, and the checks of the records they doubt. */
  readonly #signatures: BudgetSignatures<AnnotationRecord>
  #budgets: AnnotationBudgets
  #length = 0
  /** Records other peers wrote that failed validation. */
  skipped = 0
  /** Annotations some peer deleted that this one put back. */
  restored = 0
  #closed = false

  /**
   * `onChange` runs after any change to the admitted annotations; `topic` is what signatures are
   * bound to; `afterSlices` runs its callback once the large updates received so far are applied
   * (default: at once).
   */
  constructor(doc: Y.Doc, topic: string, onChange: () => void, afterSlices: (callback: () => void) => void = (callback) => callback()) {
    this.#doc = doc
    this.#array = annotationsOf(doc)
    this.#onChange = onChange
    this.#signatures = new BudgetSignatures(topic, ANNOTATION_SIGNING, afterSlices)
    this.#budgets = this.#newBudgets()
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
    this.#signatures.close()
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

  #newBudgets(): AnnotationBudgets {
    return new AnnotationBudgets(AUTHOR_BUDGET, this.#signatures.stateOf, this.#signatures.suspect)
  }

  #reset(): void {
    this.#seen = new Set()
    this.#valid = []
    const batch = parseAnnotations(this.#array.toArray())
    this.#length = this.#array.length
    this.skipped = batch.skipped
    this.#admitAll(this.#fresh(batch.annotations))
  }

  /** Admits every valid record afresh: new budgets, new lists. */
  #admitAll(valid: AnnotationRecord[]): void {
    this.#valid = valid
    this.#records = []
    this.#byTarget = new Map()
    this.#budgets = this.#newBudgets()
    this.#show(this.#budgets.admit(valid))
  }

  /** The records of `records` not seen before (identical copies count once). */
  #fresh(records: readonly AnnotationRecord[]): AnnotationRecord[] {
    return records.filter((record) => {
      const json = JSON.stringify(record)
      if (this.#seen.has(json)) return false
      this.#seen.add(json)
      return true
    })
  }

  #add(records: readonly AnnotationRecord[]): void {
    const fresh = this.#fresh(records)
    for (const record of fresh) this.#valid.push(record)
    this.#show(this.#budgets.admit(fresh))
  }

  /** Adds admitted records to the lists, then checks what the budgets doubt. */
  #show(admitted: readonly AnnotationRecord[]): void {
    for (const record of admitted) {
      this.#records.push(record)
      const group = this.#byTarget.get(record.target)
      if (group === undefined) this.#byTarget.set(record.target, [record])
      else group.push(record)
    }
    this.#checkDoubted()
  }

  /** Checks the signatures of the records the budgets doubt (budget-signatures.ts); a record charged to the wrong lane has everything admitted again. */
  #checkDoubted(): void {
    this.#signatures.checkDoubted(
      () => this.#budgets,
      () => {
        this.#admitAll(this.#valid)
        this.#onChange()
      },
    )
  }
}

const NONE: readonly AnnotationRecord[] = []
