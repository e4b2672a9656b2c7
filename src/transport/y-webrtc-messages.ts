// y-webrtc's data-channel messages as bytes, in one place for every module that reads or writes
// them: y-webrtc's message types (it exports none), then y-protocols' sync messages.
//
// y-webrtc's wire format (lib0 encoding): varUint type, then by type
//   0 sync:            varUint kind (y-protocols: 0 step 1, 1 step 2, 2 update), varUint8Array payload
//   1 awareness:       varUint8Array of [varUint count, count × (varUint client, varUint clock, varString JSON)]
//   3 query awareness: nothing
// Type 4 (peer ids) only travels over BroadcastChannel, never over WebRTC. Every type and kind is
// a varUint below 128: one byte, so a sync message's first byte is its type and its second its kind.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { messageYjsSyncStep1, writeSyncStep1 } from 'y-protocols/sync'
import type * as Y from 'yjs'

/** y-webrtc's message types (y-protocols/sync's `messageYjsSyncStep1`, `…Step2`, `messageYjsUpdate` are a sync message's kinds). */
export const MESSAGE_SYNC = 0
export const MESSAGE_AWARENESS = 1
export const MESSAGE_QUERY_AWARENESS = 3
/** Over BroadcastChannel only: a uint8 (1 a tab is here, 0 it left), then its peer id as a varString. */
export const MESSAGE_BC_PEER_ID = 4

/** The kind of a y-webrtc sync message (its second byte: a y-protocols `messageYjs…`); null for any other message. */
export function syncKind(bytes: Uint8Array): number | null {
  return bytes.byteLength >= 2 && bytes[0] === MESSAGE_SYNC ? bytes[1] : null
}

/** Whether `data` (a message as a link's channel sends it: bytes or any view of them) is a sync request (step 1). */
export function isSyncRequest(data: unknown): boolean {
  const bytes =
    data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : null
  return bytes !== null && syncKind(bytes) === messageYjsSyncStep1
}

/** What a sync message carries after its type and kind (a state vector or an update); throws on a malformed one. */
export function readSyncPayload(bytes: Uint8Array): Uint8Array {
  return readPayload(decoding.createDecoder(bytes))
}

/**
 * What a y-webrtc sync message of `kind` (y-protocols: 0 a request's state vector, 1 an answer's
 * update, 2 an update) carries; null for any other message (or a malformed one).
 */
export function syncPayload(data: unknown, kind: number): Uint8Array | null {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null
  if (bytes === null || syncKind(bytes) !== kind) return null
  try {
    const decoder = decoding.createDecoder(bytes)
    const payload = readPayload(decoder)
    return decoding.hasContent(decoder) ? null : payload
  } catch {
    return null
  }
}

/** A y-webrtc sync message of `kind` (a y-protocols `messageYjs…`) carrying `payload`, as y-webrtc writes one. */
export function syncMessage(kind: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  encoding.writeVarUint(encoder, kind)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder) as Uint8Array<ArrayBuffer>
}

/** A sync request (step 1) naming everything `doc` holds (its state vector), as y-webrtc sends one when a link opens. */
export function syncRequestOf(doc: Y.Doc): Uint8Array<ArrayBuffer> {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  writeSyncStep1(encoder, doc)
  return encoding.toUint8Array(encoder) as Uint8Array<ArrayBuffer>
}

function readPayload(decoder: decoding.Decoder): Uint8Array {
  decoding.readVarUint(decoder) // the type
  decoding.readVarUint(decoder) // the kind
  return decoding.readVarUint8Array(decoder)
}
