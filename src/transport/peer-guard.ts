// What a peer may send over y-webrtc's data channel before y-webrtc reads it: well-formed
// messages of the kinds peers exchange, and awareness updates at a bounded rate.
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

/** The kind of a well-formed message, or null for anything else. */
export type PeerMessageKind = 'sync' | 'awareness' | 'query-awareness'

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
      kind = 'sync'
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

/** Why a message was not let through. */
export type Refusal = 'malformed' | 'rate-limited'

/** One link's guard: a structural check, and a token bucket for awareness. */
export class PeerGuard {
  /** Messages refused so far, by reason (shared by the guards of a room when it passes its own). */
  readonly refused: Record<Refusal, number>
  #tokens = AWARENESS_BURST
  #refilledAt: number

  constructor(now: number, refused: Record<Refusal, number> = { malformed: 0, 'rate-limited': 0 }) {
    this.#refilledAt = now
    this.refused = refused
  }

  /** Null when `bytes` may go on to y-webrtc, else why not. */
  check(bytes: Uint8Array, now: number): Refusal | null {
    const kind = inspectPeerMessage(bytes)
    if (kind === null) return this.#refuse('malformed')
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
 * A filter for one link's incoming messages: binary, well-formed, awareness within its rate.
 * Refusals are counted in `refused` (one record for all links of a room), text as malformed.
 */
export function guardLink(now: () => number = Date.now, refused?: Record<Refusal, number>): (data: unknown) => boolean {
  const guard = new PeerGuard(now(), refused)
  return (data) => {
    if (data instanceof ArrayBuffer) return guard.check(new Uint8Array(data), now()) === null
    guard.refused.malformed++
    return false
  }
}
