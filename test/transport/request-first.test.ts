// A link's own sync request goes before this side's answer to the peer's fresh request, even when
// the peer's request came before the link reported 'connect' (when y-webrtc sends its own): the
// joiner reads from it what the history holds (arriving-histories.ts).
import wrtc from '@roamhq/wrtc'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { RtcImplementation } from '../../src/transport/index.js'
import { RequestFirst } from '../../src/transport/request-first.js'
import { yWebrtcKind } from '../support/counting-rtc.js'
import { syncMessage } from '../support/sync-message.js'
import { HeldChanges } from '../support/held-changes.js'
import { openLocalTransport } from '../support/local-transport.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** How long this side's connections take to report 'connect' (simple-peer awaits a getStats first), in ms. */
const LATE_CONNECT_MS = 3_000
/** Time for a child peer to start and link over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 60_000

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('request-first')

/** wrtc's classes, its connections' getStats answering only after LATE_CONNECT_MS, as on a busy page. */
function lateToConnect(): RtcImplementation {
  const Base = wrtc.RTCPeerConnection as unknown as typeof RTCPeerConnection
  class LateStats extends Base {
    override getStats(): Promise<RTCStatsReport> {
      return new Promise((resolve) => setTimeout(resolve, LATE_CONNECT_MS)).then(() => super.getStats())
    }
  }
  return { ...(wrtc as unknown as RtcImplementation), RTCPeerConnection: LateStats }
}

/** Records the kind of each message this process sends on y-webrtc's channels (not the negotiated side channels), in order. */
function recordSends(): { kinds: string[]; restore: () => void } {
  const prototype = (wrtc as unknown as { RTCDataChannel: { prototype: RTCDataChannel } }).RTCDataChannel.prototype
  const send = prototype.send
  const kinds: string[] = []
  prototype.send = function (this: RTCDataChannel, data: never) {
    if (!this.negotiated) kinds.push(yWebrtcKind(data))
    send.call(this, data)
  }
  return { kinds, restore: () => (prototype.send = send) }
}

let restore = (): void => {}
afterEach(() => restore())

describe('RequestFirst', () => {
  const request = (doc: Y.Doc): Uint8Array => syncMessage(0, Y.encodeStateVector(doc))
  /** A link's channel that keeps what is sent on it. */
  const channel = (): { sent: Uint8Array[]; send: (data: Uint8Array) => void } => {
    const sent: Uint8Array[] = []
    return { sent, send: (data) => sent.push(data) }
  }

  it('sends a request ahead of an answer only on a link that sent none, and leaves out y-webrtc’s next one only', () => {
    const doc = new Y.Doc()
    doc.getArray<number>('a').push([1, 2, 3])
    const first = new RequestFirst(doc)
    // y-webrtc asked first: nothing goes ahead, and its request goes.
    const asked = channel()
    expect(first.hold(asked, request(doc))).toBe(false)
    first.beforeAnswer(asked)
    expect(asked.sent).toEqual([])
    // Answered before y-webrtc asked: the request goes ahead, naming the document's state vector.
    const answered = channel()
    first.beforeAnswer(answered)
    expect(answered.sent).toEqual([request(doc)])
    first.beforeAnswer(answered) // a second answer: no second request
    expect(answered.sent).toHaveLength(1)
    expect(first.hold(answered, syncMessage(1, Y.encodeStateAsUpdate(doc)))).toBe(false) // not a request
    expect(first.hold(answered, request(doc))).toBe(true) // y-webrtc's own, on connect
    expect(first.hold(answered, request(doc))).toBe(false) // a repair's
  })
})

describe('a fresh joiner answered before this side’s link reported connect', () => {
  it(
    'is sent this side’s request before the answer, and y-webrtc’s own request no more',
    async () => {
      const sends = recordSends()
      restore = sends.restore
      const topic = signaling.topic()
      const doc = new Y.Doc()
      const texts = Array.from({ length: 200 }, (_, index) => `message ${index}`)
      doc.getArray<string>('texts').push(texts)
      const { transport } = openLocalTransport(signaling, topic, new HeldChanges(), doc, lateToConnect())
      const joiner = await signaling.startPeer({ kind: 'parley', topic })
      // The joiner holds the history, and this side's link reported connect (y-webrtc sent its request then).
      await expect.poll(async () => (await joiner.state()).texts.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(texts.length)
      await expect.poll(() => transport.links().length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
      const sync = sends.kinds.filter((kind) => kind.startsWith('sync'))
      // Without the request ahead: the answer first, y-webrtc's request 3 s later.
      expect(sync.slice(0, 2)).toEqual(['sync-step1', 'sync-step2'])
      expect(sync.filter((kind) => kind === 'sync-step1')).toHaveLength(1)
      // The joiner answered the one request (a step 2 of what this side lacks: nothing).
      expect((await joiner.state()).received.syncStep1).toBe(1)
    },
    TEST_TIMEOUT_MS,
  )
})
