// y-webrtc sync messages as a peer writes them, for tests that hand the peer guard or a framed
// channel any payload (a made-up history, an update of a given size), or what y-protocols writes.
import * as encoding from 'lib0/encoding'

/** A y-webrtc sync message (type 0) of `syncType` (0 step 1, 1 step 2, 2 update) carrying `payload`. */
export function syncMessage(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, syncType)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

/** A y-webrtc sync message as y-webrtc writes one: its type (0), then what `write` writes (y-protocols' `writeSyncStep1`…). */
export function writtenSyncMessage(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  write(encoder)
  return encoding.toUint8Array(encoder)
}
