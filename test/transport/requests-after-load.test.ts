import { describe, expect, it } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { WebSocket } from 'ws'
import { RequestsAfterLoad, type RequestChannel } from '../../src/transport/requests-after-load.js'
import { HeldChanges } from '../support/held-changes.js'
import { openLocalTransport } from '../support/local-transport.js'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { writtenSyncMessage } from '../support/sync-message.js'

/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 20_000
const TEST_TIMEOUT_MS = 40_000

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('requests-after-load')

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
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(true)
    expect(
      requests.hold(
        link,
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(true)
    expect(
      requests.hold(
        link,
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, doc)),
      ),
    ).toBe(false)
    expect(
      requests.hold(
        link,
        writtenSyncMessage((encoder) => syncProtocol.writeUpdate(encoder, firstPart)),
      ),
    ).toBe(false)
    expect(requests.hold(link, new Uint8Array([1, 2, 3]))).toBe(false)
    const closed = channel('closed')
    expect(
      requests.hold(
        closed,
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
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
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(false)
  })

  it('holds nothing when nothing loads, and sends nothing for links that asked nothing', async () => {
    const doc = new Y.Doc()
    const none = new RequestsAfterLoad(doc, undefined)
    expect(
      none.hold(
        channel(),
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep1(encoder, doc)),
      ),
    ).toBe(false)

    const quiet = channel()
    const requests = new RequestsAfterLoad(doc, Promise.resolve())
    expect(
      requests.hold(
        quiet,
        writtenSyncMessage((encoder) => syncProtocol.writeSyncStep2(encoder, doc)),
      ),
    ).toBe(false)
    await Promise.resolve()
    await Promise.resolve()
    expect(quiet.sent).toEqual([])
  })
})

describe('a link opened while the document loads, to a stock y-webrtc peer', () => {
  it(
    'asks it nothing until loaded, then asks once and gets what it lacks',
    async () => {
      const topic = signaling.topic()
      let loaded = (): void => {}
      const { doc } = openLocalTransport(signaling, topic, new HeldChanges(), new Y.Doc(), undefined, {
        storedHistoryLoaded: new Promise<void>((resolve) => {
          loaded = resolve
        }),
      })
      const stock = await signaling.startPeer({ kind: 'stock', topic })
      await stock.pushAll(['written by the stock peer'])
      // y-webrtc sends its request as the link opens, before its awareness on the same ordered
      // channel: once the stock peer holds our awareness, a request not held would be there too.
      await expect
        .poll(async () => (await stock.state()).awareness.some(({ client }) => client === doc.clientID), { timeout: CONNECT_TIMEOUT_MS })
        .toBe(true)
      expect((await stock.state()).received.syncStep1).toBe(0)
      expect(doc.getArray<string>('texts').toArray()).toEqual([])

      loaded()
      await expect
        .poll(() => doc.getArray<string>('texts').toArray(), { timeout: CONNECT_TIMEOUT_MS })
        .toEqual(['written by the stock peer'])
      expect((await stock.state()).received.syncStep1).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})
