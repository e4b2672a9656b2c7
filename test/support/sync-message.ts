// y-webrtc sync messages as a peer writes them, for tests that hand the peer guard or a framed
// channel any payload (a made-up history, an update of a given size).
import * as encoding from 'lib0/encoding'

/** A y-webrtc sync message (type 0) of `syncType` (0 step 1, 1 step 2, 2 update) carrying `payload`. */
export function syncMessage(syncType: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, syncType)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}
