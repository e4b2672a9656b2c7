// The liveness side channel: how Parley peers tell each other "I am here" and "I am gone"
// fast, where awareness alone would take 30 s to notice a closed window or a killed browser.
//
// Wire format: JSON text frames on a negotiated data channel (id LIVENESS_CHANNEL_ID) that
// every Parley RTCPeerConnection opens beside y-webrtc's own channel. Stock y-webrtc peers
// never open it, so they see nothing of it.
//   {"t":"hello","client":<id>,"v":3}  first frame: whose presence this link carries; `v` (absent
//                                      from the oldest Parley peers) 2 says the sender keeps promises
//                                      (`in`) and answers probes, 3 that it also takes rumors (`lost`)
//   {"t":"beat","in":<ms>}             "expect my next frame within <ms>"; without `in` (older
//                                      peers), HEARTBEAT_INTERVAL_MS. Any frame on either channel
//                                      of the link counts as a beat.
//   {"t":"bye"}                        the tab is leaving (pagehide, room closed)
//   {"t":"sync"}                       "I hold no awareness state of yours": re-announce it with a
//                                      higher clock (y-protocols ignores a clock it has seen)
//   {"t":"probe"}                      "answer at once": the answer is a beat (v 2 peers only)
//   {"t":"suspect","client":<id>}      "I lost <id>": probe your own link to it (v 2 peers only;
//                                      nobody drops a peer on another's word)
//   {"t":"lost","client":<id>,"clock":<n>}  rumor: "someone dropped <id> on its own evidence, when
//                                      it held its awareness state at clock <n>" (v 3 peers only):
//                                      probe your link to it if you have one, else wait a few
//                                      seconds for it to renew its state; pass it on. <id> itself
//                                      answers by renewing its state, past <n> (liveness-tracker.ts)
// Older peers parse only t and client, so the added fields pass them by; kinds they do not
// know they count as garbage, which is why probes and suspects go to v 2 peers only, rumors to v 3.
import { readJsonFrame } from './json-frame.js'

/** SCTP stream id of the side channel; far from the ids simple-peer's own channel takes. */
export const LIVENESS_CHANNEL_ID = 500
/** Label of the side channel. */
export const LIVENESS_CHANNEL_LABEL = 'parley-liveness'
/** The protocol version this code speaks (hello's `v`); older Parley peers send none. */
export const LIVENESS_VERSION = 3
/** The first version that keeps promises and answers probes and suspects. */
export const PROMISES_VERSION = 2
/** The first version that takes rumors (`lost`) and answers one about itself. */
export const RUMORS_VERSION = 3
/** The shortest beat interval, and the one older peers use and expect, in milliseconds. */
export const HEARTBEAT_INTERVAL_MS = 500
/** Silence after which a link beating every HEARTBEAT_INTERVAL_MS counts as dead, in ms (hidden tabs beat at 1 Hz). */
export const LINK_TIMEOUT_MS = 2000
/** Longest promise (`in`) a beat may carry, in milliseconds. */
export const MAX_PROMISE_MS = 60_000
/** Longest frame accepted, in characters; anything longer is garbage. */
const MAX_FRAME_CHARS = 128

/** One frame of the side channel. */
export type LivenessFrame =
  | { t: 'hello'; client: number; v?: number }
  | { t: 'beat'; in?: number }
  | { t: 'bye' }
  | { t: 'sync' }
  | { t: 'probe' }
  | { t: 'suspect'; client: number }
  | { t: 'lost'; client: number; clock: number }

/** Encodes a frame for the wire. */
export function encodeLivenessFrame(frame: LivenessFrame): string {
  return JSON.stringify(frame)
}

/** Parses a frame from the wire; null for anything malformed (binary, bad JSON, wrong shape). */
export function parseLivenessFrame(data: unknown): LivenessFrame | null {
  const value = readJsonFrame(data, MAX_FRAME_CHARS)
  if (value === null) return null
  const { t, client, v, in: promise, clock } = value
  if (t === 'bye' || t === 'sync' || t === 'probe') return { t }
  if (t === 'beat') {
    if (promise === undefined) return { t }
    return isWholeIn(promise, HEARTBEAT_INTERVAL_MS, MAX_PROMISE_MS) ? { t, in: promise } : null
  }
  if (!isWholeIn(client, 0, Number.MAX_SAFE_INTEGER)) return null
  if (t === 'suspect') return { t, client }
  if (t === 'lost') return isWholeIn(clock, 0, Number.MAX_SAFE_INTEGER) ? { t, client, clock } : null
  if (t !== 'hello') return null
  if (v === undefined) return { t, client }
  return isWholeIn(v, 1, Number.MAX_SAFE_INTEGER) ? { t, client, v } : null
}

function isWholeIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max
}
