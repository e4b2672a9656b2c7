import { describe, expect, it } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { dispatchNotingHistory, syncStep2Update, type AddedRecords } from '../../src/transport/received-histories.js'
import { writtenSyncMessage } from '../support/sync-message.js'

/** A peer's document of `count` values written by one client. */
function peerWith(count: number): Y.Doc {
  const peer = new Y.Doc()
  peer.getArray<number>('a').push(Array.from({ length: count }, (_, index) => index))
  return peer
}

/** Hands `message` to `doc` as y-webrtc reads it, noting histories; what the listener was told. */
function deliver(doc: Y.Doc, message: Uint8Array): Array<[Uint8Array, AddedRecords]> {
  const told: Array<[Uint8Array, AddedRecords]> = []
  dispatchNotingHistory(
    doc,
    message,
    () => syncProtocol.readSyncMessage(decodingOf(message), encoding.createEncoder(), doc, 'link'),
    (update, added) => told.push([update, added]),
  )
  return told
}

/** A decoder past the message type, where y-webrtc has y-protocols read a sync message. */
function decodingOf(message: Uint8Array): decoding.Decoder {
  const decoder = decoding.createDecoder(message)
  decoding.readVarUint(decoder)
  return decoder
}

describe('dispatchNotingHistory', () => {
  it('tells of a sync step 2 once applied: its update as received and, per writer, the clocks it added', () => {
    const peer = peerWith(300)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peerWith(0)))
    const first = Y.encodeStateAsUpdate(peer)
    const told = deliver(
      doc,
      writtenSyncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, peer)),
    )
    expect(told).toHaveLength(1)
    expect(told[0][0]).toEqual(first)
    expect([...told[0][1]]).toEqual([[peer.clientID, [0, 300]]])
    expect(doc.getArray('a').length).toBe(300)

    peer.getArray<number>('a').push([300, 301])
    const more = deliver(
      doc,
      writtenSyncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, peer, Y.encodeStateVector(doc))),
    )
    expect([...more[0][1]]).toEqual([[peer.clientID, [300, 302]]])
  })

  it('tells nothing of a history that added nothing, of a sync request, or of a change relayed as an update', () => {
    const peer = peerWith(10)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer))
    expect(
      deliver(
        doc,
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, peer)),
      ),
    ).toEqual([])
    expect(
      deliver(
        doc,
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, peer)),
      ),
    ).toEqual([])
    const before = Y.encodeStateVector(peer)
    peer.getArray<number>('a').push([10])
    expect(
      deliver(
        doc,
        writtenSyncMessage((encoder) => syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(peer, before))),
      ),
    ).toEqual([])
    expect(doc.getArray('a').length).toBe(11)
  })

  it('tells nothing while Yjs holds changes pending: they may be integrated with the history, which lacks them', () => {
    const peer = peerWith(5)
    const history = Y.encodeStateAsUpdate(peer) // the five records, 0 to 5
    const doc = new Y.Doc()
    // The peer's next record alone, ahead of the five it follows: Yjs holds it pending.
    const before = Y.encodeStateVector(peer)
    peer.getArray<number>('a').push([5])
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer, before))
    expect(doc.store.pendingStructs).not.toBeNull()
    const told = deliver(
      doc,
      writtenSyncMessage((encoder) => {
        encoding.writeVarUint(encoder, 1)
        encoding.writeVarUint8Array(encoder, history)
      }),
    )
    // Six records came in with the history's transaction, which holds five: nothing told.
    expect(doc.getArray('a').length).toBe(6)
    expect(told).toEqual([])
  })

  it('reads a step 2 only whole: trailing bytes, another message type or a cut message are not a history', () => {
    const update = Y.encodeStateAsUpdate(peerWith(3))
    const message = writtenSyncMessage((encoder) => {
      encoding.writeVarUint(encoder, 1)
      encoding.writeVarUint8Array(encoder, update)
    })
    expect(syncStep2Update(message)).toEqual(update)
    expect(syncStep2Update(message.buffer)).toEqual(update)
    expect(syncStep2Update(new Uint8Array([...message, 0]))).toBeNull()
    expect(syncStep2Update(message.subarray(0, message.length - 1))).toBeNull()
    expect(syncStep2Update(new Uint8Array([1, ...message.subarray(1)]))).toBeNull()
    expect(syncStep2Update('text')).toBeNull()
  })
})
