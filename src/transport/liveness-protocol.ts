// The liveness side channel: how Parley peers tell each other "I am here" and "I am gone"
// fast, where awareness alone would take 30 s to notice a closed window or a killed browser.
//
// Wire format: JSON text frames on a negotiated data channel (id LIVENESS_CHANNEL_ID) that
// every Parley RTCPeerConnection opens beside y-webrtc's own channel. Stock y-webrtc peers
// never open it, so they see nothing of it.
//   {"t":"hello","client":<awareness clientID>}   first frame: whose presence this link carries
//   {"t":"beat"}                                  every HEARTBEAT_INTERVAL_MS while open
//   {"t":"bye"}                                   the tab is leaving (pagehide, room closed)
//   {"t":"sync"}                                  "I hold no awareness state of yours": re-announce
//                                                 it with a higher clock (y-protocols ignores a
//                                                 state whose clock it has already seen)

/** SCTP stream id of the side channel; far from the ids simple-peer's own channel takes. */
export const LIVENESS_CHANNEL_ID = 500
/** Label of the side channel. */
export const LIVENESS_CHANNEL_LABEL = 'parley-liveness'
/** How often each side sends a heartbeat, in milliseconds. */
export const HEARTBEAT_INTERVAL_MS = 500
/** Silence after which a link counts as dead, in milliseconds (hidden tabs beat at 1 Hz). */
export const LINK_TIMEOUT_MS = 2000
/** Longest frame accepted, in characters; anything longer is garbage. */
const MAX_FRAME_CHARS = 128

/** One frame of the side channel. */
export type LivenessFrame = { t: 'hello'; client: number } | { t: 'beat' } | { t: 'bye' } | { t: 'sync' }

/** Encodes a frame for the wire. */
export function encodeLivenessFrame(frame: LivenessFrame): string {
  return JSON.stringify(frame)
}

/** Parses a frame from the wire; null for anything malformed (binary, bad JSON, wrong shape). */
export function parseLivenessFrame(data: unknown): LivenessFrame | null {
  if (typeof data !== 'string' || data.length > MAX_FRAME_CHARS) return null
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return null // not JSON: a hostile or broken peer
  }
  if (typeof value !== 'object' || value === null) return null
  const { t, client } = value as Record<string, unknown>
  if (t === 'beat' || t === 'bye' || t === 'sync') return { t }
  if (t === 'hello' && typeof client === 'number' && Number.isSafeInteger(client) && client >= 0) return { t, client }
  return null
}
