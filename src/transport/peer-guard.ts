// What a peer may send over y-webrtc's data channel before y-webrtc reads it: well-formed
// messages of the kinds peers exchange, awareness updates at a bounded rate and only those the
// room's awareness screen lets through (a callback: presence signatures are the room's business),
// and document (sync) messages at a rate no Parley peer reaches: past that the link is flooding.
// A link that brings new changes by a writer that flooded before (banned-peers.ts) gets no burst.
// Document bytes are budgeted too (framing inflates a few KiB of frames into up to 64 MiB): only
// the answer to the sync request this side sends when the link opens may be as large as a history
// (to a fresh request, in as many parts as it comes in, up to FRESH_ANSWER_BYTES in all).
// Awareness bytes are budgeted before they are parsed, and one awareness message is capped; framing
// asks `fits` while it reassembles or inflates, so a message past its kind's cap is never held whole.
// y-webrtc's wire format is in y-webrtc-messages.ts.
import * as decoding from 'lib0/decoding'
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate } from 'y-protocols/sync'
import { perSecond, TokenBucket } from '../tasks/index.js'
import { RecordBuckets, type RecordLimits } from './record-buckets.js'
import { MESSAGE_AWARENESS, MESSAGE_QUERY_AWARENESS, MESSAGE_SYNC, syncKind } from './y-webrtc-messages.js'

/** Awareness updates one link may deliver per second, sustained. */
export const AWARENESS_PER_SECOND = 20
/** Awareness updates one link may deliver in a burst. */
export const AWARENESS_BURST = 60

/**
 * Sync messages one link may deliver per second, sustained. A Parley peer relays the
 * document's changes once per animation frame (at most 60 a second) however many there are;
 * a stock y-webrtc peer sends one per transaction, so one typing person sends a few.
 */
export const SYNC_PER_SECOND = 100
/** Sync messages one link may deliver in a burst, on top of the rate. */
export const SYNC_BURST = 1000
/**
 * The burst of a link that brought new changes by a writer banned for flooding (banned-peers.ts):
 * a Parley peer relaying them sends at most 8 batches plus 50 a second, within this and the rate.
 */
export const BANNED_WRITER_SYNC_BURST = 20
/**
 * Records (Yjs items: a message, an annotation, a key, each one clock of its writer) new to this
 * document that one link may bring in a burst, and per second sustained, outside the answers to
 * the sync requests this side sends. A sync message may hold any number of records: a stock peer
 * that writes its flood 200 to a transaction stays far within SYNC_PER_SECOND, and messages signed
 * with its own key, claiming times a person's pace apart in the past, pass every author budget
 * (20,000 were shown). Honest links bring what people write, a few a second in a busy room; a
 * Parley peer relays at most half of this (relay.ts), the rest is left to the digests, whose
 * repairs answer a request. Records the document already holds are not counted (a relayed copy).
 */
export const RECORDS_BURST = 500
export const RECORDS_PER_SECOND = 50
/**
 * The same records counted over minutes: a link may bring this many more than
 * SUSTAINED_RECORDS_PER_SECOND (600 a minute) before it floods, however it spaces them within
 * RECORDS_PER_SECOND. A link that stays under the short rate (40 a second for an hour would be
 * 144,000 records, every one stored and, with its own key, shown) is cut off within a minute or
 * two. Honest links bring what people write: a person sends a message every second or two at most
 * for long, a stock peer passes on the whole room's writing (sixteen people at one every two
 * seconds are 8 a second), a Parley peer relays at most half of this (relay.ts). Bursts (a paste, a
 * reconnection's backlog) come within RECORDS_BURST, or as the answer to a request (not counted).
 */
export const SUSTAINED_RECORDS_BURST = 1500
export const SUSTAINED_RECORDS_PER_SECOND = 10
/**
 * The same records counted over hours: a link may bring this many more than
 * HOURLY_RECORDS_PER_SECOND (3,600 an hour) before it floods. A link that stays under the minutes'
 * rate (just under 10 a second is 36,000 records an hour, every one stored and, with its own key,
 * shown) is cut off within a quarter of an hour, and what it brings for good is a tenth of that.
 * Honest links bring what people write, and a person typing without pause writes a message every
 * 12 s or so: ten people doing it for hours are under 1 a second; a stock peer relaying a room of
 * fifty (a partial mesh), each writing a message a minute and reacting every two, is 1.25 a
 * second, and keeps it up for eight hours. A Parley peer relays at most half of this (relay.ts),
 * the rest goes by the digests; bursts and histories as for the buckets above.
 */
export const HOURLY_RECORDS_BURST = 7200
export const HOURLY_RECORDS_PER_SECOND = 1
/** A link's records budget, every bucket. */
export const LINK_RECORD_LIMITS: RecordLimits = {
  burst: RECORDS_BURST,
  perSecond: RECORDS_PER_SECOND,
  sustainedBurst: SUSTAINED_RECORDS_BURST,
  sustainedPerSecond: SUSTAINED_RECORDS_PER_SECOND,
  hourlyBurst: HOURLY_RECORDS_BURST,
  hourlyPerSecond: HOURLY_RECORDS_PER_SECOND,
}
/** Records of a person's batch: an author's burst (30 messages); a Parley page sends one even past what it relays (relay.ts). */
export const PERSON_RECORDS_BURST = 30
/**
 * The least records burst a link gets, whatever RecordBudget `burst` says: what an honest Parley
 * page may send at once, half a link's burst (what it relays at most, relay.ts
 * RELAYED_RECORD_LIMITS: up to 200 records a batch, 250 at once) and a person's batch on top, so
 * that a link opened after a ban never takes an honest relay for a flooder. It was a person's
 * burst alone (30), and the first relayed batch of a Parley peer linked after the ban got it
 * banned. A flooder back as somebody new still gets no burst of its own, only this.
 */
export const LEAST_RECORDS_BURST = RECORDS_BURST / 2 + PERSON_RECORDS_BURST

/**
 * Bytes of Yjs updates one link may deliver in a burst outside the answer to our first sync
 * request, and per second sustained (the largest such message is the burst). Honest updates are
 * batches of chat: a record is at most ~12 KB (4,000 characters), an author's shown budget 64 KB
 * in a burst and 4 KB/s, a stock peer's message at most 256 KiB (SCTP); a relayed flood is bounded
 * by the relayer's own guard of this size. A history is one sync step 2 answering a request: 1.8 MB
 * for 10,000 messages, ~18 MB for 100,000; without this a peer could send a thousand 64 MiB updates.
 */
export const SYNC_BYTES_BURST = 4 * 1024 * 1024
export const SYNC_BYTES_PER_SECOND = 256 * 1024
/**
 * Bytes of the steps 2 after this side's fresh first request (an empty document: a joiner's) that
 * the byte budget does not count, in all: a Parley peer answers it in parts of about 512 KiB, as
 * many as the history needs (answer-parts.ts; 48 for 100,000 messages, ~25 MB), each applied in a
 * task of its own. What two answers of framing's largest message (64 MiB) could bring when only
 * the first two steps 2 were freed: a peer answering with more than a history gets no more in than
 * before, and no honest history of that size (about 500,000 messages) is expected. Past it a step 2
 * is counted as any update is. Joiners say they free every part (framing-protocol.ts
 * FEATURE_ANSWER_PARTS); older ones free two, so their answerer cuts the answer for that.
 */
export const FRESH_ANSWER_BYTES = 2 * 64 * 1024 * 1024
/**
 * Bytes of one awareness message (the whole y-webrtc message). Honest ones are a link's first,
 * the sender's whole awareness: 45 KB for a 100-member room with signed states and 64-character
 * names (about 460 bytes a tab, BENCHMARKS.md), so this takes some 2,000 tabs. Without it a
 * Parley-speaking peer could send 64 MiB of awareness as about 64 KiB of deflated frames.
 */
export const MAX_AWARENESS_MESSAGE_BYTES = 1024 * 1024
/**
 * Bytes of awareness one link may deliver in a burst, and per second sustained, counted over the
 * updates within AWARENESS_PER_SECOND. Honest traffic is the first whole awareness, then changes
 * and renewals: a renewal of each tab every 15 s, about 460 bytes each, 3 KB/s for 100 tabs. A
 * stock peer's message is at most 256 KiB (SCTP), 60 of them a burst (AWARENESS_BURST): 15 MiB
 * of JSON to parse without this.
 */
export const AWARENESS_BYTES_BURST = 2 * MAX_AWARENESS_MESSAGE_BYTES
export const AWARENESS_BYTES_PER_SECOND = 64 * 1024
/** Bytes a sync message has besides its Yjs update: its two types and the update's length (a lib0 varUint, at most 8). */
const SYNC_HEADER_BYTES = 10

/**
 * Sync steps 2 that answer a fresh request (an empty state vector), as the records of repairs count
 * them: Parley's cached history and what changed since (sync-replies.ts); stock peers send one.
 */
const ANSWERS_TO_FRESH_REQUEST = 2
/** Sync updates (step 2 and updates) a guard keeps, the last ones, to tell who flooded. */
const RECENT_UPDATES_KEPT = 4
/**
 * Sync requests (step 1) one link may make in a burst, and per minute sustained. Each may
 * make this peer encode its whole document; y-webrtc asks once per link, when it opens.
 */
export const SYNC_REQUEST_BURST = 4
export const SYNC_REQUESTS_PER_MINUTE = 6

/** The kind of a well-formed message, or null for anything else. */
export type PeerMessageKind = 'sync-request' | 'sync' | 'awareness' | 'query-awareness'

/** One entry of an awareness update: a client, its clock, and its state parsed from JSON (null removes it). */
export interface AwarenessUpdateEntry {
  client: number
  clock: number
  state: unknown
}

/**
 * The link an awareness update came over, as the screen sees it: the same object for all of one
 * link's updates, so that what one link sends can be told from another's. `replay` applies what
 * the screen lets through itself, then or later (a held state once checked), as if the link had
 * just delivered it: `apply` gets the origin to apply it with (y-webrtc's room, so that the
 * relay passes it on as the link's, or null when there is none yet).
 */
export interface AwarenessLink {
  replay(apply: (origin: unknown) => void): void
}

/**
 * Decides whether an awareness update from a peer may be applied, seeing all its entries and
 * the link it came over; false refuses the whole message. Given by the room (see membership's
 * proven tabs and held states).
 */
export type AwarenessScreen = (entries: readonly AwarenessUpdateEntry[], link: AwarenessLink) => boolean

/** A well-formed message: its kind, an awareness update's entries, a sync message's Yjs update. */
type Inspected = { kind: PeerMessageKind; entries?: AwarenessUpdateEntry[]; update?: Uint8Array; step2?: boolean; fresh?: boolean }

/** Checks a message's structure without applying it; never throws. */
export function inspectPeerMessage(bytes: Uint8Array): PeerMessageKind | null {
  return inspect(bytes)?.kind ?? null
}

function inspect(bytes: Uint8Array): Inspected | null {
  try {
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    let inspected: Inspected | null = null
    if (type === MESSAGE_SYNC) {
      const syncType = decoding.readVarUint(decoder)
      if (syncType > messageYjsUpdate) return null
      const payload = decoding.readVarUint8Array(decoder)
      // Step 1 asks for whatever the sender lacks: the whole document, to a newcomer.
      inspected =
        syncType === messageYjsSyncStep1
          ? { kind: 'sync-request', fresh: payload.byteLength === 1 && payload[0] === 0 }
          : { kind: 'sync', update: payload, step2: syncType === messageYjsSyncStep2 }
    } else if (type === MESSAGE_AWARENESS) {
      const entries = awarenessEntries(decoding.readVarUint8Array(decoder))
      if (entries === null) return null
      inspected = { kind: 'awareness', entries }
    } else if (type === MESSAGE_QUERY_AWARENESS) {
      inspected = { kind: 'query-awareness' }
    }
    return inspected !== null && !decoding.hasContent(decoder) ? inspected : null
  } catch {
    return null // truncated or otherwise undecodable: garbage
  }
}

function awarenessEntries(update: Uint8Array): AwarenessUpdateEntry[] | null {
  const decoder = decoding.createDecoder(update)
  const count = decoding.readVarUint(decoder)
  const entries: AwarenessUpdateEntry[] = []
  for (let i = 0; i < count; i++) {
    const client = decoding.readVarUint(decoder)
    const clock = decoding.readVarUint(decoder)
    entries.push({ client, clock, state: JSON.parse(decoding.readVarString(decoder)) as unknown })
  }
  return decoding.hasContent(decoder) ? null : entries
}

/**
 * Why a message was not let through: garbage, an awareness update or sync request over its
 * rate, an awareness update the room's screen refused, anything from a link that sent sync
 * messages past SYNC_BURST (it stays refused: the link is flooding), anything from a link
 * whose Yjs updates outside the answer to our request went past SYNC_BYTES_BURST (`oversized`),
 * or whose history brought more records than its budget left (RecordBudget `answers`), or
 * anything from a link that sent an awareness message past MAX_AWARENESS_MESSAGE_BYTES or
 * awareness past AWARENESS_BYTES_BURST (`oversized-awareness`). The last two stay refused too;
 * the link's owner drops it, and the next link's sync brings what was refused.
 */
export type Refusal = 'malformed' | 'rate-limited' | 'screened' | 'flooding' | 'oversized' | 'oversized-awareness'

/** Refusals counted from zero. */
export function noRefusals(): Record<Refusal, number> {
  return { malformed: 0, 'rate-limited': 0, screened: 0, flooding: 0, oversized: 0, 'oversized-awareness': 0 }
}

/** Whether a Yjs update brings new changes by a writer banned for flooding (banned-peers.ts `bringsNewWriting`). */
export type BannedWriting = (update: Uint8Array) => boolean

/**
 * How a link's records are budgeted (RECORDS_BURST, RECORDS_PER_SECOND): `count` says how many
 * records a Yjs update brings that the document lacks (banned-peers.ts `newRecordsIn`); `burst`
 * is what the link may bring at once when it opens (a room that banned a flooder gives later
 * links what is left of one burst shared by all, so that one who comes back as somebody new gets
 * no fresh one; LEAST_RECORDS_BURST at least). With `answers`, the answers to this side's
 * requests count too (the history a link brings as it opens: a flooder that comes back would put
 * its flood there), split by writer (banned-peers.ts `newRecordsByWriter`): records of writers
 * the document holds nothing of count against the link's budget, the others (a peer relaying
 * records of people known here, or of the flood this page cut off, that it got and this page did
 * not) against RECORDS_BURST of the link's own. An answer past either is refused as `oversized`
 * (the link dropped, its peer not banned: it may be a newcomer's). The answers to a fresh request
 * are never counted: a page that holds nothing must take a history from someone. Both say null for
 * an update they cannot read: its records cannot be counted, so it is refused as `malformed`, and
 * the link as a flood (an update cut short after its records still writes them all).
 */
export interface RecordBudget {
  count: (update: Uint8Array) => number | null
  burst?: number
  /** The buckets (LINK_RECORD_LIMITS unless given: a test scales them down). */
  limits?: RecordLimits
  answers?: (update: Uint8Array) => { known: number; unknown: number } | null
}

/** One link's guard: a structural check, token buckets for awareness and sync messages and for their bytes, and the room's awareness screen. */
export class PeerGuard {
  /** Messages refused so far, by reason (shared by the guards of a room when it passes its own). */
  readonly refused: Record<Refusal, number>
  /** Awareness updates the link may still deliver (AWARENESS_BURST, refilled at AWARENESS_PER_SECOND). */
  readonly #awareness: TokenBucket
  /** Sync messages the link may still deliver: SYNC_BURST (less once it brought a banned writer's changes), refilled at SYNC_PER_SECOND. */
  readonly #sync: TokenBucket
  /** Sync requests the link may still make (SYNC_REQUEST_BURST, refilled at SYNC_REQUESTS_PER_MINUTE). */
  readonly #requests: TokenBucket
  /** Whether the link ran out of sync budget: everything from it is refused from then on. */
  #flooding = false
  /** Bytes of updates the link may still deliver now (SYNC_BYTES_BURST, refilled at SYNC_BYTES_PER_SECOND). */
  readonly #syncBytes: TokenBucket
  /** Why the link went past a byte budget or cap (null: it did not): everything from it is refused so from then on. */
  #oversized: 'oversized' | 'oversized-awareness' | null = null
  /** Bytes of awareness the link may still deliver now (AWARENESS_BYTES_BURST, refilled at AWARENESS_BYTES_PER_SECOND). */
  readonly #awarenessBytes: TokenBucket
  /** Whether this side sent its first sync request on the link (y-webrtc's, when the link opens). */
  #asked = false
  /** Sync steps 2 still due in answer to that request, when it was not fresh: it may be as large as the framing allows. */
  #answersDue = 0
  /** Bytes the steps 2 answering a fresh first request may still bring outside the byte budget (FRESH_ANSWER_BYTES once asked). */
  #freshAnswerBytes = 0
  #screen: AwarenessScreen | undefined
  readonly #link: AwarenessLink
  #bannedWriting: BannedWriting | undefined
  /** The last few Yjs updates the link delivered, oldest first. */
  #recentUpdates: Uint8Array[] = []
  readonly #records: RecordBudget | undefined
  /** Records the link may still bring now (LINK_RECORD_LIMITS: a burst, over minutes, over hours). */
  readonly #recordBuckets: RecordBuckets
  /** Sync steps 2 due in answer to this side's requests (every one: the first, and repairs). */
  #repliesDue = 0
  /**
   * Whether this side's first request on the link was fresh (its document empty): a Parley peer
   * answers it in as many parts as the history needs (answer-parts.ts), every one a step 2 that
   * brings only records, all of them new here. Their records are not counted; bytes still are.
   */
  #askedFresh = false
  /** Records of writers the document knows that answers may still bring (RecordBudget `answers`). */
  #knownInAnswers = RECORDS_BURST

  /** `link` stands for the link in what the screen is told (by default one that applies with no origin). */
  constructor(
    now: number,
    refused: Record<Refusal, number> = noRefusals(),
    screen?: AwarenessScreen,
    bannedWriting?: BannedWriting,
    link: AwarenessLink = { replay: (apply) => apply(null) },
    records?: RecordBudget,
  ) {
    this.#link = link
    this.#records = records
    this.#recordBuckets = new RecordBuckets(
      records?.limits ?? LINK_RECORD_LIMITS,
      now,
      Math.max(LEAST_RECORDS_BURST, records?.burst ?? RECORDS_BURST),
    )
    this.#awareness = new TokenBucket(perSecond(AWARENESS_BURST, AWARENESS_PER_SECOND), now)
    this.#sync = new TokenBucket(perSecond(SYNC_BURST, SYNC_PER_SECOND), now)
    this.#requests = new TokenBucket({ capacity: SYNC_REQUEST_BURST, refill: SYNC_REQUESTS_PER_MINUTE, refillMs: 60_000 }, now)
    this.#syncBytes = new TokenBucket(perSecond(SYNC_BYTES_BURST, SYNC_BYTES_PER_SECOND), now)
    this.#awarenessBytes = new TokenBucket(perSecond(AWARENESS_BYTES_BURST, AWARENESS_BYTES_PER_SECOND), now)
    this.refused = refused
    this.#screen = screen
    this.#bannedWriting = bannedWriting
  }

  /** The last RECENT_UPDATES_KEPT Yjs updates of sync messages checked, the one that tripped the budget included. */
  get recentUpdates(): readonly Uint8Array[] {
    return this.#recentUpdates
  }

  /**
   * Whether a step 2 arriving now may be the history this side's fresh first request asked for (a
   * joiner's, in as many parts as it needs): on the whole link once that request was fresh, since
   * a repair asked while the parts still come (the digests compare every 30 s) cannot be told from
   * them. Such a history is applied whole (update-slices.ts); any other step 2 is a change like any other.
   */
  get historyDue(): boolean {
    return this.#askedFresh
  }

  /** Whether this link sent sync messages past its budget, or an update its records budget could not read (and is refused for good). */
  get flooding(): boolean {
    return this.#flooding
  }

  /** Whether this link sent Yjs updates or awareness past a byte budget or cap (and is refused for good). */
  get oversized(): boolean {
    return this.#oversized !== null
  }

  /**
   * The most bytes a message beginning with `head` (its first bytes, at least one) may have and
   * still be let through, by its kind: an awareness message MAX_AWARENESS_MESSAGE_BYTES, a sync
   * update or a step 2 not due in answer to our request what SYNC_BYTES_BURST allows (a step 2
   * after our fresh request what is left of FRESH_ANSWER_BYTES, if more), a query 1;
   * a request, a step 2 that may answer ours, or a sync message whose type is not known yet
   * Infinity (framing's own limit applies); a message of no kind 0. A message past it would be
   * refused whole, so framing need not reassemble or inflate it.
   */
  maxBytesOf(head: Uint8Array): number {
    const type = head[0]
    if (type === MESSAGE_AWARENESS) return MAX_AWARENESS_MESSAGE_BYTES
    if (type === MESSAGE_QUERY_AWARENESS) return 1
    if (type !== MESSAGE_SYNC) return 0 // malformed whatever follows
    const syncType = head[1]
    if (syncType === messageYjsUpdate || (syncType === messageYjsSyncStep2 && this.#answersDue === 0))
      return Math.max(syncType === messageYjsSyncStep2 ? this.#freshAnswerBytes : 0, SYNC_BYTES_BURST) + SYNC_HEADER_BYTES
    return Number.POSITIVE_INFINITY // a request, a step 2 that may answer ours, or the sync type not known yet
  }

  /**
   * Null when a message beginning with `head` that has (or has passed) `bytes` bytes may still be
   * let through, else why not: then it is counted refused, as `check` would refuse it whole, and
   * past a cap the link is refused from then on. Framing asks as it reassembles and inflates.
   */
  checkSize(head: Uint8Array, bytes: number): Refusal | null {
    if (this.#flooding) return this.#refuse('flooding')
    if (this.#oversized !== null) return this.#refuse(this.#oversized)
    if (head.byteLength === 0 || bytes <= this.maxBytesOf(head)) return null
    if (head[0] === MESSAGE_AWARENESS) return this.#refuseOversized('oversized-awareness')
    if (head[0] === MESSAGE_SYNC) return this.#refuseOversized('oversized')
    return this.#refuse('malformed')
  }

  /**
   * Notes a message this side sends on the link. Its first sync request (y-webrtc's, when the
   * link opens) is answered with the whole document: that answer may be large (a fresh request's
   * in parts, FRESH_ANSWER_BYTES of them in all; another's in one step 2). Later requests
   * (repairs, which a peer can provoke with a made-up digest) get no such allowance: a repair too
   * large for the byte budget drops the link, and the next link's first request brings it.
   */
  sent(bytes: Uint8Array): void {
    if (syncKind(bytes) !== messageYjsSyncStep1) return
    const inspected = inspect(bytes)
    if (inspected?.kind !== 'sync-request') return
    this.#repliesDue += inspected.fresh === true ? ANSWERS_TO_FRESH_REQUEST : 1
    if (this.#asked) return
    this.#asked = true
    this.#askedFresh = inspected.fresh === true
    if (this.#askedFresh) this.#freshAnswerBytes = FRESH_ANSWER_BYTES
    else this.#answersDue = 1
  }

  /** Null when `bytes` may go on to y-webrtc, else why not. */
  check(bytes: Uint8Array, now: number): Refusal | null {
    if (this.#flooding) return this.#refuse('flooding')
    if (this.#oversized !== null) return this.#refuse(this.#oversized)
    // Awareness is counted before it is parsed: its size, its rate, then the bytes of those within
    // the rate (a large room's renewals come faster than the rate; what it refuses costs nothing).
    if (bytes[0] === MESSAGE_AWARENESS) {
      if (bytes.byteLength > MAX_AWARENESS_MESSAGE_BYTES) return this.#refuseOversized('oversized-awareness')
      const refusal = this.#checkAwarenessRate(now) ?? this.#checkAwarenessBytes(bytes.byteLength, now)
      if (refusal !== null) return refusal
    }
    const inspected = inspect(bytes)
    if (inspected === null) return this.#refuse('malformed')
    if (inspected.kind === 'sync-request') {
      // Refusing a request leaves no hole: the peer only misses an answer it already had.
      return this.#requests.take(1, now) ? null : this.#refuse('rate-limited')
    }
    if (inspected.kind === 'sync') {
      const update = inspected.update ?? new Uint8Array(0)
      // Outside the byte budget: the answer to a first request that was not fresh, or the parts of
      // the history a fresh one asked for, up to FRESH_ANSWER_BYTES in all.
      const freshAnswer = inspected.step2 === true && update.byteLength <= this.#freshAnswerBytes
      const answer = freshAnswer || (inspected.step2 === true && this.#answersDue > 0)
      const reply = inspected.step2 === true && (this.#repliesDue > 0 || this.#askedFresh)
      // As with floods, refusing one update and passing later ones would leave a hole.
      if (!answer && update.byteLength > this.#syncBytes.tokensAt(now)) return this.#refuseOversized('oversized')
      this.#recentUpdates.push(update)
      if (this.#recentUpdates.length > RECENT_UPDATES_KEPT) this.#recentUpdates.shift()
      // New changes by a writer banned for flooding: the link keeps the rate, loses the burst.
      if (this.#sync.capacity > BANNED_WRITER_SYNC_BURST && this.#bannedWriting?.(update) === true)
        this.#sync.limit(BANNED_WRITER_SYNC_BURST)
      // Refusing some updates and passing later ones would leave holes in the peer's
      // changes; from here on the link gets nothing through, and its owner drops it.
      if (this.#sync.tokensAt(now) < 1) {
        this.#flooding = true
        return this.#refuse('flooding')
      }
      // Records are counted last: a message refused above brings none (and is not counted as a flood's).
      if (this.#records !== undefined) {
        const refusal = this.#spendRecords(update, reply, now)
        if (refusal !== null) return refusal
      }
      this.#sync.spend(1, now)
      if (reply && this.#repliesDue > 0) this.#repliesDue -= 1
      if (freshAnswer) this.#freshAnswerBytes -= update.byteLength
      else if (answer) this.#answersDue -= 1
      else this.#syncBytes.spend(update.byteLength, now)
      return null
    }
    if (inspected.kind !== 'awareness') return null
    if (this.#screen !== undefined && !this.#screen(inspected.entries ?? [], this.#link)) return this.#refuse('screened')
    return null
  }

  /**
   * Spends the records `update` brings (a `reply` answers one of this side's requests); past the
   * budget the link is refused for good: flooding, or for an answer `oversized` (see RecordBudget).
   * An update whose records cannot be counted is garbage, and the link flooding from then on.
   */
  #spendRecords(update: Uint8Array, reply: boolean, now: number): Refusal | null {
    const budget = this.#records
    if (budget === undefined || (reply && (budget.answers === undefined || this.#askedFresh))) return null
    const buckets = this.#recordBuckets
    buckets.refill(now)
    if (reply && budget.answers !== undefined) {
      const records = budget.answers(update)
      if (records === null) return this.#refuseUnreadable()
      const { known, unknown } = records
      // A history past what is left may be a newcomer's (people who wrote apart from this page):
      // the link is dropped, not its peer banned; it may link again once the burst refilled.
      if (unknown > buckets.burstLeft || known > this.#knownInAnswers) return this.#refuseOversized('oversized')
      buckets.spendBurst(unknown)
      this.#knownInAnswers -= known
      return null
    }
    const records = budget.count(update)
    if (records === null) return this.#refuseUnreadable()
    if (!buckets.fits(records)) {
      this.#flooding = true
      return this.#refuse('flooding')
    }
    buckets.spend(records)
    return null
  }

  /** Spends an awareness message's bytes; past the budget the link is refused for good. */
  #checkAwarenessBytes(bytes: number, now: number): Refusal | null {
    return this.#awarenessBytes.take(bytes, now) ? null : this.#refuseOversized('oversized-awareness')
  }

  /** Spends one of the link's awareness updates; past the rate the update is refused (a later one brings the state). */
  #checkAwarenessRate(now: number): Refusal | null {
    return this.#awareness.take(1, now) ? null : this.#refuse('rate-limited')
  }

  /**
   * Refuses an update the records budget cannot read, and the link from then on: no honest peer
   * sends one (Yjs and Parley write only whole updates, on an ordered, reliable channel), and Yjs
   * integrates an update's records before it reads the delete set at its end, so one cut short
   * there would write records its count never saw, as many as its sender likes.
   */
  #refuseUnreadable(): Refusal {
    this.#flooding = true
    return this.#refuse('malformed')
  }

  #refuseOversized(reason: 'oversized' | 'oversized-awareness'): Refusal {
    this.#oversized = reason
    return this.#refuse(reason)
  }

  #refuse(reason: Refusal): Refusal {
    this.refused[reason]++
    return reason
  }
}

/** What a room adds to each link's guard. */
export interface LinkGuardHooks {
  /** Decides on awareness updates (see AwarenessScreen). */
  screen?: AwarenessScreen
  /** Runs once, when the link starts flooding (or sent an update its records budget could not read), with its last Yjs updates (who wrote the flood): its owner drops it. */
  onFlooding?: (recentUpdates: readonly Uint8Array[]) => void
  /** Runs once, when the link goes past a byte budget or cap (Yjs or awareness): its owner drops it (a peer relaying a history may be honest: no ban). */
  onOversized?: () => void
  /** Runs with the Yjs update of each sync message (step 2 or update) refused, for whatever reason (what it wrote is hidden). */
  onRefusedUpdate?: (update: Uint8Array) => void
  /** Tells updates with new changes by writers banned for flooding; such a link loses its burst. */
  bannedWriting?: BannedWriting
  /** Counts the records the link brings (see RecordBudget); past RECORDS_BURST and RECORDS_PER_SECOND the link is flooding. */
  records?: RecordBudget
  /** What the screen is told the link is (see AwarenessLink). */
  link?: AwarenessLink
}

/** One link's guard as its framed channel asks it: whole incoming messages, what this side sends, messages still being put together, and whether a history is due. */
export interface LinkGuard {
  /** Whether a whole incoming message may go on to y-webrtc; false refuses it. */
  admit(data: unknown): boolean
  /** Notes a message this side sends on the link (its sync requests: their answers may be large). */
  sent(data: unknown): void
  /** Whether a message beginning with `head` (at least its first byte) that has `bytes` bytes so far may still pass; false refuses it (see PeerGuard.checkSize). */
  fits(head: Uint8Array, bytes: number): boolean
  /** Whether a step 2 now may be the history a joiner's first request asked for (see PeerGuard.historyDue). */
  historyDue(): boolean
}

/**
 * A filter for one link's incoming messages: binary, well-formed, awareness within its rate, its
 * bytes and past `hooks.screen`, sync messages within theirs, in count and bytes. Refusals are
 * counted in `refused` (one record for all links of a room), text as malformed.
 */
export function guardLink(now: () => number = Date.now, refused?: Record<Refusal, number>, hooks: LinkGuardHooks = {}): LinkGuard {
  const guard = new PeerGuard(now(), refused, hooks.screen, hooks.bannedWriting, hooks.link, hooks.records)
  /** Runs `decide` on the guard, then the hooks of what it made of the link. */
  const watched = (decide: () => Refusal | null): boolean => {
    const wasFlooding = guard.flooding
    const wasOversized = guard.oversized
    const refusal = decide()
    if (!wasFlooding && guard.flooding) hooks.onFlooding?.(guard.recentUpdates)
    if (!wasOversized && guard.oversized) hooks.onOversized?.()
    return refusal === null
  }
  const admit = (data: unknown): boolean => {
    if (!(data instanceof ArrayBuffer)) {
      guard.refused.malformed++
      return false
    }
    const bytes = new Uint8Array(data)
    if (watched(() => guard.check(bytes, now()))) return true
    const kind = syncKind(bytes)
    if (hooks.onRefusedUpdate !== undefined && kind !== null && kind !== messageYjsSyncStep1) {
      const update = inspect(bytes)?.update
      if (update !== undefined) hooks.onRefusedUpdate(update)
    }
    return false
  }
  return {
    admit,
    sent: (data: unknown): void => {
      if (data instanceof ArrayBuffer) guard.sent(new Uint8Array(data))
      else if (ArrayBuffer.isView(data)) guard.sent(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    },
    fits: (head: Uint8Array, bytes: number): boolean => watched(() => guard.checkSize(head, bytes)),
    historyDue: (): boolean => guard.historyDue,
  }
}
