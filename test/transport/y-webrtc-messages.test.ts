// y-webrtc's sync messages as Parley reads and writes them (transport/y-webrtc-messages.ts), checked
// against y-protocols, which y-webrtc has read and write them: the same bytes both ways.
import { describe, expect, it } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import {
  MESSAGE_SYNC,
  isSyncRequest,
  readSyncPayload,
  syncKind,
  syncMessage,
  syncPayload,
  syncRequestOf,
} from '../../src/transport/y-webrtc-messages.js'
import { writtenSyncMessage } from '../support/sync-message.js'

/** A document of `count` values written by one client. */
function docWith(count: number): Y.Doc {
  const doc = new Y.Doc()
  doc.getArray<number>('a').push(Array.from({ length: count }, (_, index) => index))
  return doc
}

describe("y-webrtc's sync messages", () => {
  it('writes the request and the update messages byte for byte as y-webrtc does', () => {
    const doc = docWith(20)
    expect(syncRequestOf(doc)).toEqual(writtenSyncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)))
    const update = Y.encodeStateAsUpdate(doc)
    expect(syncMessage(syncProtocol.messageYjsUpdate, update)).toEqual(
      writtenSyncMessage((encoder) => syncProtocol.writeUpdate(encoder, update)),
    )
    expect(syncMessage(syncProtocol.messageYjsSyncStep2, update)).toEqual(
      writtenSyncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, doc, new Uint8Array([0]))),
    )
  })

  it('tells the kind of a sync message and reads what it carries; anything else is no sync message', () => {
    const doc = docWith(5)
    const request = syncRequestOf(doc)
    expect(request[0]).toBe(MESSAGE_SYNC)
    expect(syncKind(request)).toBe(syncProtocol.messageYjsSyncStep1)
    expect(Y.decodeStateVector(readSyncPayload(request))).toEqual(new Map([[doc.clientID, 5]]))
    expect(syncPayload(request.buffer, syncProtocol.messageYjsSyncStep1)).toEqual(Y.encodeStateVector(doc))
    expect(syncPayload(request, syncProtocol.messageYjsSyncStep2)).toBeNull()

    const awareness = new Uint8Array([1, 1, 0])
    expect(syncKind(awareness)).toBeNull()
    expect(syncKind(new Uint8Array([MESSAGE_SYNC]))).toBeNull()
    expect(syncPayload(awareness, 1)).toBeNull()
    // A trailing byte, or a payload cut short, is malformed: y-webrtc would not read it as sent.
    expect(syncPayload(new Uint8Array([...request, 0]), syncProtocol.messageYjsSyncStep1)).toBeNull()
    expect(syncPayload(request.subarray(0, request.byteLength - 1), syncProtocol.messageYjsSyncStep1)).toBeNull()
    expect(syncPayload('not bytes', syncProtocol.messageYjsSyncStep1)).toBeNull()
  })

  it('knows a request however a channel hands it over: its bytes, or a view into a larger buffer', () => {
    const request = syncRequestOf(docWith(3))
    const framed = new Uint8Array([9, 9, ...request])
    expect(isSyncRequest(request)).toBe(true)
    expect(isSyncRequest(request.buffer)).toBe(true)
    expect(isSyncRequest(new DataView(framed.buffer, 2))).toBe(true)
    expect(isSyncRequest(framed)).toBe(false)
    expect(isSyncRequest(syncMessage(syncProtocol.messageYjsSyncStep2, new Uint8Array([0, 0])))).toBe(false)
    expect(isSyncRequest('not bytes')).toBe(false)
  })

  it("writes messages y-protocols reads into a peer's document", () => {
    const writer = docWith(30)
    const reader = new Y.Doc()
    const decoder = decoding.createDecoder(syncMessage(syncProtocol.messageYjsUpdate, Y.encodeStateAsUpdate(writer)))
    decoding.readVarUint(decoder)
    syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), reader, null)
    expect(reader.getArray('a').toArray()).toEqual(writer.getArray('a').toArray())
  })
})
