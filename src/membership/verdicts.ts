// Remembers which signed records verified, so each is checked once, and only when shown.
// Verification is async: a record is "pending" until its check settles, then listeners run.
import { clientOfRef, type Meta } from '../presence/index.js'
import type { MessageRecord } from '../history/index.js'
import { messageBytes, presenceBytes, refutesBytes, verifySigned } from '../identity/index.js'

/** Whether a record's authorship checked out. */
export type Verdict = 'verified' | 'unverified' | 'pending'

/** A presence meta as signed: the fields it shows, and the key, signature and counter that claim a user. */
export interface SignedClaim {
  name: string
  typing: boolean
  since: number
  publicKey?: string
  signature?: string
  counter?: number
  /** True in a goodbye (the state a tab publishes as it leaves), and signed as such. */
  left?: true
}

/** Most verdicts kept; past that the oldest are forgotten (and re-checked if shown again). */
const MAX_VERDICTS = 5000

/** A cache of verdicts keyed by what was signed. */
export class VerdictCache {
  #verdicts = new Map<string, Verdict>()
  #onSettled: (key: string, verdict: Verdict) => void

  /** `onSettled` runs after any pending check settles (to re-render), with its key and verdict. */
  constructor(onSettled: (key: string, verdict: Verdict) => void) {
    this.#onSettled = onSettled
  }

  /** The verdict for `key`, starting `check` the first time the key is seen. */
  get(key: string, check: () => Promise<boolean>): Verdict {
    const known = this.#verdicts.get(key)
    if (known !== undefined) return known
    this.#remember(key, 'pending')
    check()
      .catch(() => false)
      .then((ok) => {
        const verdict = ok ? 'verified' : 'unverified'
        this.#remember(key, verdict)
        this.#onSettled(key, verdict)
      })
    return 'pending'
  }

  /**
   * Records `key` as verified without a check: what this tab signed itself a moment ago (a check
   * would cost a verify, and a second view and redraw once it settled).
   */
  vouch(key: string): void {
    this.#remember(key, 'verified')
  }

  /** The verdict for `key` if a check of it started (pending) or settled, else undefined; starts nothing. */
  known(key: string): Verdict | undefined {
    return this.#verdicts.get(key)
  }

  #remember(key: string, verdict: Verdict): void {
    this.#verdicts.delete(key)
    this.#verdicts.set(key, verdict)
    if (this.#verdicts.size > MAX_VERDICTS) {
      const oldest = this.#verdicts.keys().next().value
      if (oldest !== undefined) this.#verdicts.delete(oldest)
    }
  }
}

/**
 * Each record's verdict key, with the topic it was made for: a log asks for the verdicts of every
 * entry it draws, once per new message, and records never change.
 */
const messageKeys = new WeakMap<MessageRecord, { topic: string; key: string }>()

/** The key a message's verdict is kept under in the room with this topic (what `onSettled` is told). */
export function messageVerdictKey(topic: string, message: MessageRecord): string {
  let known = messageKeys.get(message)
  if (known?.topic !== topic) {
    const { id, authorId, authorName, text, sentAt, publicKey, signature } = message
    known = { topic, key: JSON.stringify([topic, id, authorId, authorName, text, sentAt, publicKey, signature]) }
    messageKeys.set(message, known)
  }
  return known.key
}

/** The verdict on a message's authorship in the room with this topic; unsigned is unverified. */
export function messageVerdict(cache: VerdictCache, topic: string, message: MessageRecord): Verdict {
  const { publicKey, signature } = message
  if (publicKey === undefined || signature === undefined) return 'unverified'
  return cache.get(messageVerdictKey(topic, message), () =>
    // Its bytes in the check's turn: asked as the log draws a new message, in its arrival's task.
    verifySigned(message.authorId, publicKey, signature, () => messageBytes(topic, { ...message, publicKey })),
  )
}

/** What checking one tab's claim takes: the cache key of what it signed, and the check. */
interface PresenceClaim {
  topic: string
  key: string
  id: string
  check: () => Promise<boolean>
}

/**
 * Each shown meta's claim: the members view is derived again on every settled check, so a burst of
 * n checks asked for n² claim keys (JSON strings, hashed anew by each cache lookup); metas are not
 * changed once shown, so the key is made once per meta.
 */
const presenceClaims = new WeakMap<Meta<SignedClaim>, PresenceClaim | null>()

/** What checking one tab's claim takes (see PresenceClaim); null when unsigned. */
function presenceClaim(topic: string, key: string, meta: Meta<SignedClaim>): PresenceClaim | null {
  const known = presenceClaims.get(meta)
  if (known !== undefined && (known === null || (known.topic === topic && known.key === key))) return known
  const claim = makePresenceClaim(topic, key, meta)
  presenceClaims.set(meta, claim)
  return claim
}

function makePresenceClaim(topic: string, key: string, meta: Meta<SignedClaim>): PresenceClaim | null {
  const { publicKey, signature, counter, name, typing, since, left } = meta
  if (publicKey === undefined || signature === undefined || counter === undefined) return null
  const clientID = Number(clientOfRef(meta.ref))
  if (!Number.isSafeInteger(clientID)) return null
  const fields = { counter, name, typing, since, left }
  return {
    topic,
    key,
    id: presenceClaimId(topic, clientID, key, { ...meta, publicKey, signature, counter }),
    check: () => verifySigned(key, publicKey, signature, presenceBytes(topic, clientID, key, publicKey, fields)),
  }
}

/** The cache key of a tab's signed claim: everything its signature covers, and the signature. */
function presenceClaimId(
  topic: string,
  clientID: number,
  key: string,
  { publicKey, signature, counter, name, typing, since, left }: SignedClaim & { publicKey: string; signature: string; counter: number },
): string {
  return JSON.stringify([topic, clientID, key, publicKey, signature, counter, name, typing, since, left === true])
}

/**
 * Records a claim this tab (client `clientID`) has just signed as user `key` as verified: it shows
 * as such at once, with no check of its own signature (as a sent message's, BudgetSignatures.vouch).
 */
export function vouchPresence(
  cache: VerdictCache,
  topic: string,
  clientID: number,
  key: string,
  claim: SignedClaim & { publicKey: string; signature: string; counter: number },
): void {
  cache.vouch(presenceClaimId(topic, clientID, key, claim))
}

/** The verdict on one tab's claim to be user `key`, over everything its meta shows; unsigned is unverified. */
export function presenceVerdict(cache: VerdictCache, topic: string, key: string, meta: Meta<SignedClaim>): Verdict {
  const claim = presenceClaim(topic, key, meta)
  return claim === null ? 'unverified' : cache.get(claim.id, claim.check)
}

/**
 * The verdict on a claim as far as it is known, starting no check: undefined when its check has
 * not started (a signature check costs; the room decides which to start). Unsigned is unverified.
 */
export function knownPresenceVerdict(cache: VerdictCache, topic: string, key: string, meta: Meta<SignedClaim>): Verdict | undefined {
  const claim = presenceClaim(topic, key, meta)
  return claim === null ? 'unverified' : cache.known(claim.id)
}

/** The verdict on a tab's signed word that it answers rumors of its loss (identity/signing.ts `refutesBytes`). */
export function refutesVerdict(
  cache: VerdictCache,
  topic: string,
  clientID: number,
  key: string,
  publicKey: string,
  proof: string,
): Verdict {
  return cache.get(JSON.stringify(['refutes', topic, clientID, key, publicKey, proof]), () =>
    verifySigned(key, publicKey, proof, refutesBytes(topic, clientID, key, publicKey)),
  )
}
