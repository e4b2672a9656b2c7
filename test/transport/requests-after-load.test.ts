import { describe, expect, it } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { RequestsAfterLoad, type RequestChannel } from '../../src/transport/requests-after-load.js'

/** A y-webrtc sync message (type 0) written by `write`. */
function syncMessage(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** A link's channel that keeps what is sent on it. */
function channel(readyState: RTCDataChannelState = 'open'): RequestChannel & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = []
  return { readyState, sent, send: (data) => sent.push(data) }
}

/** The state vector a sync request names. */
function requested(message: Uint8Array): Map<number, number> {
  const decoder = decoding.createDecoder(message)
  expect(decoding.readVarUint(decoder)).toBe(0)
  expect(decoding.readVarUint(decoder)).toBe(syncProtocol.messageYjsSyncStep1)
  return Y.decodeStateVector(decoding.readVarUint8Array(decoder))
}

/** A document's part and the rest, as a load applies a stored history a part a task. */
function storedHistory(): { stored: Y.Doc; firstPart: Uint8Array; rest: Uint8Array } {
  const stored = new Y.Doc()
  stored.getArray<number>('a').push(Array.from({ length: 100 }, (_, index) => index))
  const firstPart = Y.encodeStateAsUpdate(stored)
  const before = Y.encodeStateVector(stored)
  stored.getArray<number>('a').push(Array.from({ length: 900 }, (_, index) => index))
  return { stored, firstPart, rest: Y.encodeStateAsUpdate(stored, before) }
}

describe('RequestsAfterLoad', () => {
  it('holds a link’s sync requests while the document loads, and sends one naming all of it once loaded', async () => {
    const { stored, firstPart, rest } = storedHistory()
    const doc = new Y.Doc()
    let loaded = (): void => {}
    const requests = new RequestsAfterLoad(
      doc,
      new Promise<void>((resolve) => {
        loaded = resolve
      }),
    )
    Y.applyUpdate(doc, firstPart)
    const link = channel()
    // y-webrtc's request as the link opens, and a repair's: both held; anything else goes.
    expect(
      requests.hold(
        link,
        syncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(true)
    expect(
      requests.hold(
        link,
        syncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(true)
    expect(
      requests.hold(
        link,
        syncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, doc)),
      ),
    ).toBe(false)
    expect(
      requests.hold(
        link,
        syncMessage((encoder) => syncProtocol.writeUpdate(encoder, firstPart)),
      ),
    ).toBe(false)
    expect(requests.hold(link, new Uint8Array([1, 2, 3]))).toBe(false)
    const closed = channel('closed')
    expect(
      requests.hold(
        closed,
        syncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(true)

    Y.applyUpdate(doc, rest)
    loaded()
    await Promise.resolve()
    expect(link.sent).toHaveLength(1)
    expect(requested(link.sent[0])).toEqual(Y.decodeStateVector(Y.encodeStateVector(stored)))
    expect(closed.sent).toEqual([])
    // From then on requests go as they are.
    expect(
      requests.hold(
        link,
        syncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(false)
  })

  it('holds nothing when nothing loads, and sends nothing for links that asked nothing', async () => {
    const doc = new Y.Doc()
    const none = new RequestsAfterLoad(doc, undefined)
    expect(
      none.hold(
        channel(),
        syncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(false)

    const quiet = channel()
    const requests = new RequestsAfterLoad(doc, Promise.resolve())
    expect(
      requests.hold(
        quiet,
        syncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, doc)),
      ),
    ).toBe(false)
    await Promise.resolve()
    await Promise.resolve()
    expect(quiet.sent).toEqual([])
  })
})
