// What the room knows of its records' signatures when it budgets them (history/author-budget.ts):
// what needs no crypto at once, and the checks of the records the budgets doubt, a few at a time.
//
// A record whose key is not its claimed author's (the author id is the key's fingerprint), or
// that carries no signature, is bad without a check; anything else is unchecked until checked.
import { sameSignedFields, type MessageRecord, type SignatureState } from '../history/index.js'
import { messageBytes, userIdOf, verifySigned } from '../identity/index.js'

/** Most signatures remembered; past that the oldest are forgotten (and checked again if doubted again). */
const MAX_REMEMBERED_CHECKS = 50_000
/** Signature checks started at once; the next start as these settle. */
const CHECKS_AT_ONCE = 16

/** The signature states of one room's records, for its budgets. */
export class BudgetSignatures {
  readonly #topic: string
  /**
   * Checked records by signature: the one it is good for, if any, and those it failed on. A
   * record counts as checked only if every field it signs equals a checked one's; one that
   * carries a signature known good for other fields is bad without a check (it was copied).
   */
  readonly #checked = new Map<string, { good?: MessageRecord; bad: Set<string> }>()
  /** Author ids under which a check found a forgery. */
  readonly #forgedAuthors = new Set<string>()
  /** Fingerprints of the keys seen, so that each is hashed once. */
  readonly #fingerprints = new Map<string, string>()

  /** The budgets of the room with this topic (what signatures are bound to). */
  constructor(topic: string) {
    this.#topic = topic
  }

  /** What is known of `record`'s signature now; never waits. */
  stateOf = (record: MessageRecord): SignatureState => {
    const { publicKey, signature } = record
    if (publicKey === undefined || signature === undefined) return 'bad'
    if (this.#fingerprintOf(publicKey) !== record.authorId) return 'bad'
    const checked = this.#checked.get(signature)
    if (checked === undefined) return 'unchecked'
    if (checked.good !== undefined) return sameSignedFields(checked.good, record) ? 'good' : 'bad'
    return checked.bad.has(signedFields(record)) ? 'bad' : 'unchecked'
  }

  /** Whether a check found a forgery under `authorId`: the budgets then doubt what they hide of that author too. */
  suspect = (authorId: string): boolean => this.#forgedAuthors.has(authorId)

  /** Checks the signatures of `records`, CHECKS_AT_ONCE at a time; resolves to whether each is good, in order. */
  async check(records: readonly MessageRecord[]): Promise<boolean[]> {
    const outcomes: boolean[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < records.length) {
        const index = next++
        const record = records[index]
        const good = await this.#verify(record)
        outcomes[index] = good
        this.#remember(record, good ? 'good' : 'bad')
        if (!good) this.#forgedAuthors.add(record.authorId)
      }
    }
    await Promise.all(Array.from({ length: Math.min(CHECKS_AT_ONCE, records.length) }, worker))
    return outcomes
  }

  async #verify(record: MessageRecord): Promise<boolean> {
    const { publicKey, signature } = record
    if (publicKey === undefined || signature === undefined) return false
    return verifySigned(record.authorId, publicKey, signature, messageBytes(this.#topic, { ...record, publicKey }))
  }

  #fingerprintOf(publicKey: string): string {
    let fingerprint = this.#fingerprints.get(publicKey)
    if (fingerprint === undefined) {
      fingerprint = userIdOf(publicKey)
      if (this.#fingerprints.size >= MAX_REMEMBERED_CHECKS) this.#fingerprints.clear()
      this.#fingerprints.set(publicKey, fingerprint)
    }
    return fingerprint
  }

  #remember(record: MessageRecord, state: 'good' | 'bad'): void {
    if (record.signature === undefined) return
    const checked = this.#checked.get(record.signature) ?? { bad: new Set<string>() }
    if (state === 'good') checked.good = record
    else checked.bad.add(signedFields(record))
    this.#checked.set(record.signature, checked)
    if (this.#checked.size > MAX_REMEMBERED_CHECKS) {
      const oldest = this.#checked.keys().next().value
      if (oldest !== undefined) this.#checked.delete(oldest)
    }
  }
}

/** The fields a record signs, as one string. */
function signedFields(record: MessageRecord): string {
  return JSON.stringify([record.id, record.authorId, record.authorName, record.text, record.sentAt, record.publicKey])
}
