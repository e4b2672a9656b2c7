// The relay side channel: how Parley peers tell each other whom they are linked to (so that
// nobody relays a change to a peer that had it from the sender) and whether their documents agree.
//
// Wire format: JSON text frames on a negotiated data channel (id RELAY_CHANNEL_ID) that every
// Parley RTCPeerConnection opens beside y-webrtc's own channel. Stock y-webrtc peers never open
// it, so they see nothing of it, and their neighbours stay unknown (they are always relayed to).
//   {"t":"nbrs","ids":["<y-webrtc peer id>", …],"cap":n}
//                                                 the sender's connected y-webrtc links, in full,
//                                                 and its cap (y-webrtc's maxConns; absent from
//                                                 peers before the twenty-second session); sent
//                                                 when the channel opens and when they change
//   {"t":"digest","sv":"<8 hex digits>"}          a hash of the sender's document state vector;
//                                                 a receiver whose own differs asks the sender for
//                                                 what it lacks (y-protocols sync step 1) and
//   {"t":"digest","sv":"<8 hex digits>","r":true}  answers with its own, so the sender asks too
//                                                 (an answer is never answered)
import { readJsonFrame } from './json-frame.js'

/** SCTP stream id of the relay channel; next to liveness (500) and framing capability (501). */
export const RELAY_CHANNEL_ID = 502
/** Label of the relay channel. */
export const RELAY_CHANNEL_LABEL = 'parley-relay'
/** Most neighbours one frame may list: y-webrtc links at most 35 peers by default. */
export const MAX_NEIGHBOURS = 256
/** Longest peer id accepted, in characters (y-webrtc's are 36-character UUIDs). */
const MAX_PEER_ID_CHARS = 64
/** Longest frame accepted, in characters; anything longer is garbage. */
const MAX_FRAME_CHARS = MAX_NEIGHBOURS * (MAX_PEER_ID_CHARS + 3) + 32
const PEER_ID = /^[A-Za-z0-9-]+$/
const DIGEST = /^[0-9a-f]{8}$/

/** One frame of the relay channel. */
export type RelayFrame = { t: 'nbrs'; ids: string[]; cap?: number } | { t: 'digest'; sv: string; r?: true }

/** Encodes a frame for the wire. */
export function encodeRelayFrame(frame: RelayFrame): string {
  return JSON.stringify(frame)
}

/** Parses a frame from the wire; null for anything malformed (binary, bad JSON, wrong shape, too long). */
export function parseRelayFrame(data: unknown): RelayFrame | null {
  const value = readJsonFrame(data, MAX_FRAME_CHARS)
  if (value === null) return null
  const { t, ids, sv, r, cap } = value
  if (t === 'digest' && typeof sv === 'string' && DIGEST.test(sv) && (r === undefined || r === true)) return r ? { t, sv, r } : { t, sv }
  if (t !== 'nbrs' || !Array.isArray(ids) || ids.length > MAX_NEIGHBOURS) return null
  const validCap = typeof cap === 'number' && Number.isInteger(cap) && cap >= 0 && cap <= MAX_NEIGHBOURS
  if (cap !== undefined && !validCap) return null
  const parsed: string[] = []
  for (const id of ids as unknown[]) {
    if (typeof id !== 'string' || id.length > MAX_PEER_ID_CHARS || !PEER_ID.test(id)) return null
    parsed.push(id)
  }
  return validCap ? { t, ids: parsed, cap } : { t, ids: parsed }
}
