// What a peer may send over y-webrtc's data channel before y-webrtc reads it: well-formed
// messages of the kinds peers exchange, awareness updates at a bounded rate, and document
// (sync) messages at a rate no Parley peer reaches: past that the link counts as flooding.
//
// y-webrtc's wire format (lib0 encoding): varUint type, then by type
//   0 sync:            varUint syncType (0 step 1, 1 step 2, 2 update), varUint8Array payload
//   1 awareness:       varUint8Array of [varUint count, count × (varUint client, varUint clock, varString JSON)]
//   3 query awareness: nothing
// Type 4 (peer ids) only travels over BroadcastChannel, never over WebRTC.
import * as decoding from 'lib0/decoding'

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
 * Sync requests (step 1) one link may make in a burst, and per minute sustained. Each may
 * make this peer encode its whole document; y-webrtc asks once per link, when it opens.
 */
export const SYNC_REQUEST_BURST = 4
export const SYNC_REQUESTS_PER_MINUTE = 6

/** The kind of a well-formed message, or null for anything else. */
export type PeerMessageKind = 'sync-request' | 'sync' | 'awareness' | 'query-awareness'

/** Checks a message's structure without applying it; never throws. */
export function inspectPeerMessage(bytes: Uint8Array): PeerMessageKind | null {
  try {
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    let kind: PeerMessageKind | null = null
    if (type === 0) {
      const syncType = decoding.readVarUint(decoder)
      if (syncType > 2) return null
      decoding.readVarUint8Array(decoder)
      // Step 1 asks for whatever the sender lacks: the whole document, to a newcomer.
      kind = syncType === 0 ? 'sync-request' : 'sync'
    } else if (type === 1) {
      if (!isAwarenessUpdate(decoding.readVarUint8Array(decoder))) return null
      kind = 'awareness'
    } else if (type === 3) {
      kind = 'query-awareness'
    }
    return kind !== null && !decoding.hasContent(decoder) ? kind : null
  } catch {
    return null // truncated or otherwise undecodable: garbage
  }
}

function isAwarenessUpdate(update: Uint8Array): boolean {
  const decoder = decoding.createDecoder(update)
  const count = decoding.readVarUint(decoder)
  for (let i = 0; i < count; i++) {
    decoding.readVarUint(decoder)
    decoding.readVarUint(decoder)
    JSON.parse(decoding.readVarString(decoder))
  }
  return !decoding.hasContent(decoder)
}

/**
 * Why a message was not let through: garbage, an awareness update over its rate, or anything
 * from a link that sent sync messages past SYNC_BURST (it stays refused: the link is flooding).
 */
export type Refusal = 'malformed' | 'rate-limited' | 'flooding'

/** Counters of refused messages, all zero. */
export function noRefusals(): Record<Refusal, number> {
  return { malformed: 0, 'rate-limited': 0, flooding: 0 }
}

/** One link's guard: a structural check, and token buckets for awareness and sync messages. */
export class PeerGuard {
  /** Messages refused so far, by reason (shared by the guards of a room when it passes its own). */
  readonly refused: Record<Refusal, number>
  #tokens = AWARENESS_BURST
  #refilledAt: number
  #syncTokens = SYNC_BURST
  #syncRefilledAt: number
  #requestTokens = SYNC_REQUEST_BURST
  #requestsRefilledAt: number
  /** Whether the link ran out of sync budget: everything from it is refused from then on. */
  #flooding = false

  constructor(now: number, refused: Record<Refusal, number> = noRefusals()) {
    this.#refilledAt = now
    this.#syncRefilledAt = now
    this.#requestsRefilledAt = now
    this.refused = refused
  }

  /** Whether this link sent sync messages past its budget (and is refused for good). */
  get flooding(): boolean {
    return this.#flooding
  }

  /** Null when `bytes` may go on to y-webrtc, else why not. */
  check(bytes: Uint8Array, now: number): Refusal | null {
    if (this.#flooding) return this.#refuse('flooding')
    const kind = inspectPeerMessage(bytes)
    if (kind === null) return this.#refuse('malformed')
    if (kind === 'sync-request') {
      // Refusing a request leaves no hole: the peer only misses an answer it already had.
      const refill = ((now - this.#requestsRefilledAt) * SYNC_REQUESTS_PER_MINUTE) / 60_000
      this.#requestTokens = Math.min(SYNC_REQUEST_BURST, this.#requestTokens + refill)
      this.#requestsRefilledAt = now
      if (this.#requestTokens < 1) return this.#refuse('rate-limited')
      this.#requestTokens -= 1
      return null
    }
    if (kind === 'sync') {
      this.#syncTokens = Math.min(SYNC_BURST, this.#syncTokens + ((now - this.#syncRefilledAt) * SYNC_PER_SECOND) / 1000)
      this.#syncRefilledAt = now
      // Refusing some updates and passing later ones would leave holes in the peer's
      // changes; from here on the link gets nothing through, and its owner drops it.
      if (this.#syncTokens < 1) {
        this.#flooding = true
        return this.#refuse('flooding')
      }
      this.#syncTokens -= 1
      return null
    }
    if (kind !== 'awareness') return null
    this.#tokens = Math.min(AWARENESS_BURST, this.#tokens + ((now - this.#refilledAt) * AWARENESS_PER_SECOND) / 1000)
    this.#refilledAt = now
    if (this.#tokens < 1) return this.#refuse('rate-limited')
    this.#tokens -= 1
    return null
  }

  #refuse(reason: Refusal): Refusal {
    this.refused[reason]++
    return reason
  }
}

/**
 * A filter for one link's incoming messages: binary, well-formed, awareness within its rate,
 * sync messages within theirs. Refusals are counted in `refused` (one record for all links of
 * a room), text as malformed. `onFlooding` runs once, when the link starts flooding.
 */
export function guardLink(
  now: () => number = Date.now,
  refused?: Record<Refusal, number>,
  onFlooding?: () => void,
): (data: unknown) => boolean {
  const guard = new PeerGuard(now(), refused)
  return (data) => {
    if (!(data instanceof ArrayBuffer)) {
      guard.refused.malformed++
      return false
    }
    const wasFlooding = guard.flooding
    const refusal = guard.check(new Uint8Array(data), now())
    if (!wasFlooding && guard.flooding) onFlooding?.()
    return refusal === null
  }
}
