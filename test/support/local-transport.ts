// A Parley transport opened in the test process itself (the side a test drives and reads),
// against the signaling fixture's server; the other ends are peers in child processes.
// Its WebRTC is node-datachannel's: @roamhq/wrtc crashed (SIGSEGV) at teardown, which ended the test worker.

import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import {
  openTransport,
  type DocumentChanges,
  type RtcImplementation,
  type Transport,
  type TransportOptions,
} from '../../src/transport/index.js'
import { topicFor } from '../../src/address/index.js'
import { DeferredUpdates } from '../../src/history/index.js'
import type { SignalingFixture } from './signaling-fixture.js'
import { nodeRtc } from './node-rtc.js'

/** A transport in this process with its document and awareness. */
export interface LocalTransport {
  doc: Y.Doc
  awareness: Awareness
  transport: Transport
}

/**
 * Opens a transport for `topic`, its changes coming from `changes` (and `more` options); it, `doc` and its awareness
 * are closed after the test (also when openTransport throws, as it does for an unknown y-webrtc).
 */
export function openLocalTransport(
  signaling: SignalingFixture,
  topic: string,
  changes: DocumentChanges,
  doc: Y.Doc = new Y.Doc(),
  rtc: RtcImplementation = nodeRtc('node-datachannel'),
  more: Pick<TransportOptions, 'recordLimits' | 'storedHistoryLoaded'> = {},
): LocalTransport {
  const awareness = new Awareness(doc)
  awareness.setLocalState({ kind: 'local' })
  let transport: Transport | null = null
  signaling.track(() => {
    transport?.close()
    awareness.destroy()
    doc.destroy()
  })
  transport = openTransport({
    topic,
    secret: null,
    doc,
    awareness,
    changes,
    signalingUrls: [signaling.url()],
    iceServers: [],
    wrtc: rtc,
    ...more,
  })
  return { doc, awareness, transport }
}

/** A Parley transport in this process for the public room `name`, fed as a room feeds it (its changes deferred); closed after the test. */
export function openRoomTransport(signaling: SignalingFixture, name: string): { doc: Y.Doc; transport: Transport } {
  const doc = new Y.Doc()
  const changes = new DeferredUpdates(doc)
  const { transport } = openLocalTransport(signaling, topicFor({ name, secret: null }), changes, doc)
  signaling.track(() => changes.destroy())
  return { doc, transport }
}
