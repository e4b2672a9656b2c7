// What the room knows of its records' signatures when it budgets them (history/author-budget.ts):
// what needs no crypto at once, and the checks of the records the budgets doubt, a few at a time.
//
// A record whose key is not its claimed author's (the author id is the key's fingerprint) is bad
// without a check, and one that carries no signature or key is unsigned; anything else is
// unchecked until checked (or signed on this page: its own records are good).
// One instance per kind of record: messages and annotations (MESSAGE_SIGNING, ANNOTATION_SIGNING).
import type { AnnotationRecord, LaneBudgets, MessageRecord, SignatureState } from '../history/index.js'
import { annotationBytes, inChecksTask, messageBytes, userIdOf, verifySigned } from '../identity/index.js'

/** What the checks need of a record: the author it claims, its key and its signature. */
export interface SignedRecord {
  authorId: string
  authorName: string
  sentAt: number
  publicKey?: string
  signature?: string
}

/** How one kind of record is signed: the bytes its signature covers, and its signed fields as one string. */
export interface SigningOf<R extends SignedRecord> {
  bytes(topic: string, record: R & { publicKey: string }): Uint8Array<ArrayBuffer>
  fields(record: R): string
}

/** How messages are signed (identity/signing.ts). */
export const MESSAGE_SIGNING: SigningOf<MessageRecord> = {
  bytes: messageBytes,
  fields: (r) => JSON.stringify([r.id, r.authorId, r.authorName, r.text, r.sentAt, r.publicKey]),
}

/** How annotations are signed (identity/annotation-signing.ts). */
export const ANNOTATION_SIGNING: SigningOf<AnnotationRecord> = {
  bytes: annotationBytes,
  fields: (r) => JSON.stringify([r.id, r.kind, r.target, r.authorId, r.authorName, r.content, r.on, r.sentAt, r.publicKey]),
}

/** Most signatures remembered; past that the oldest are forgotten (and checked again if doubted again). */
const MAX_REMEMBERED_CHECKS = 50_000
/** Signature checks started at once; the next start as these settle. */
const CHECKS_AT_ONCE = 16

/** The signature states of one room's records of one kind, for its budgets. */
export class BudgetSignatures<R extends SignedRecord> {
  readonly #topic: string
  readonly #signing: SigningOf<R>
  /**
   * Checked records by signature: the fields it is good for, if any, and those it failed on. A
   * record counts as checked only if every field it signs equals a checked one's; one that
   * carries a signature known good for other fields is bad without a check (it was copied).
   */
  readonly #checked = new Map<string, { good?: string; bad: Set<string> }>()
  /** Author ids under which a check found a forgery. */
  readonly #forgedAuthors = new Set<string>()
  /** Records this page signed, not remembered as good yet (see #rememberVouched). */
  #vouched: R[] = []

  /** Signatures checked so far (each a verification through WebCrypto). */
  checks = 0

  /** Runs its callback once the slices of large updates received so far are applied (the transport's `afterSlices`). */
  readonly #afterSlices: (callback: () => void) => void
  /** True while a check of doubted records waits for those slices. */
  #awaitingSlices = false
  /** Whether a check of doubted records is running. */
  #checking = false
  #closed = false

  /**
   * The budgets of the room with this topic (what signatures are bound to), for records signed
   * as `signing` says; `afterSlices` runs its callback once the large updates received so far are
   * applied (default: at once).
   */
  constructor(topic: string, signing: SigningOf<R>, afterSlices: (callback: () => void) => void = (callback) => callback()) {
    this.#topic = topic
    this.#signing = signing
    this.#afterSlices = afterSlices
  }

  /** What is known of `record`'s signature now; never waits. */
  stateOf = (record: R): SignatureState => {
    this.#rememberVouched()
    const { publicKey, signature } = record
    if (publicKey === undefined || signature === undefined) return 'unsigned'
    if (userIdOf(publicKey) !== record.authorId) return 'bad'
    const checked = this.#checked.get(signature)
    if (checked === undefined) return 'unchecked'
    const fields = this.#signing.fields(record)
    if (checked.good !== undefined) return checked.good === fields ? 'good' : 'bad'
    return checked.bad.has(fields) ? 'bad' : 'unchecked'
  }

  /** Whether a check found a forgery under `authorId`: the budgets then doubt what they hide of that author too. */
  suspect = (authorId: string): boolean => this.#forgedAuthors.has(authorId)

  /**
   * Notes `record` as good without a check: this page signed it (Room.send). Under an id that
   * forgeries claim, its records are charged as forged until checked; the page's own are not.
   */
  vouch(record: R): void {
    this.#vouched.push(record)
  }

  /**
   * Remembers the records vouched for since the last look, as good where the key is the author's.
   * Not in `vouch`: its call is on a sent message's way out, and its fields' string (the text and
   * all) is for the budgets, which read it once the message has left (BENCHMARKS.md, "Send",
   * "Fifteenth session").
   */
  #rememberVouched(): void {
    if (this.#vouched.length === 0) return
    const vouched = this.#vouched
    this.#vouched = []
    for (const record of vouched)
      if (record.publicKey !== undefined && userIdOf(record.publicKey) === record.authorId) this.#remember(record, 'good')
  }

  /**
   * Checks the signatures of `records`, CHECKS_AT_ONCE at a time, from a task after this one (the
   * checks' own next task, identity's `inChecksTask`); resolves to whether each is good, in order.
   * Not in the caller's task: that is a new message's (Room's change), and the check's bytes and
   * turn (0.2 ms) came before the message was drawn. The log asks for the same check as it draws
   * the message, so this one finds it under way and verifies nothing again (identity/signing.ts verifySigned).
   */
  async check(records: readonly R[]): Promise<boolean[]> {
    await inChecksTask()
    const outcomes: boolean[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < records.length) {
        const index = next++
        const record = records[index]
        this.checks++
        const good = await this.#verify(record)
        outcomes[index] = good
        this.#remember(record, good ? 'good' : 'bad')
        if (!good) this.#forgedAuthors.add(record.authorId)
      }
    }
    await Promise.all(Array.from({ length: Math.min(CHECKS_AT_ONCE, records.length) }, worker))
    return outcomes
  }

  /**
   * Checks the signatures of the records `budgets()` doubts, one batch at a time; when a record
   * was charged to the wrong lane (a forgery to its claimed author, or a real record of a
   * suspect author to the forgeries), calls `recharge`, which should admit everything again
   * with new budgets so that each lane gets back what the other spent (and call this again).
   * Not while a large update is still applied slice by slice: each slice's records would be the
   * newest for a moment, and all of a joiner's history checked (transport/update-slices.ts);
   * calls made meanwhile come to one check.
   */
  checkDoubted(budgets: () => LaneBudgets<R>, recharge: () => void): void {
    if (this.#awaitingSlices || this.#closed) return
    this.#awaitingSlices = true
    this.#afterSlices(() => {
      this.#awaitingSlices = false
      this.#checkDoubtedNow(budgets, recharge)
    })
  }

  /** Stops: checks under way finish, and nothing is recharged or checked after. */
  close(): void {
    this.#closed = true
  }

  #checkDoubtedNow(budgets: () => LaneBudgets<R>, recharge: () => void): void {
    if (this.#checking || this.#closed) return
    const current = budgets()
    const doubted = current.doubted()
    if (doubted.length === 0) return
    const presumed = doubted.map((record) => current.presumedForged(record))
    this.#checking = true
    void this.check(doubted).then((good) => {
      this.#checking = false
      if (this.#closed) return
      if (good.some((ok, index) => ok === presumed[index])) recharge()
      else this.#checkDoubtedNow(budgets, recharge)
    })
  }

  async #verify(record: R): Promise<boolean> {
    const { publicKey, signature } = record
    if (publicKey === undefined || signature === undefined) return false
    return verifySigned(record.authorId, publicKey, signature, this.#signing.bytes(this.#topic, { ...record, publicKey }))
  }

  #remember(record: R, state: 'good' | 'bad'): void {
    this.#rememberVouched()
    if (record.signature === undefined) return
    const checked = this.#checked.get(record.signature) ?? { bad: new Set<string>() }
    if (state === 'good') checked.good = this.#signing.fields(record)
    else checked.bad.add(this.#signing.fields(record))
    this.#checked.set(record.signature, checked)
    if (this.#checked.size > MAX_REMEMBERED_CHECKS) {
      const oldest = this.#checked.keys().next().value
      if (oldest !== undefined) this.#checked.delete(oldest)
    }
  }
}
