// The room's transport, loaded after what loads first (ARCHITECTURE.md, "What loads first"):
// y-webrtc, simple-peer and Parley's adaptations are nearly a quarter of the JavaScript, and a
// room opens its document, its stored history and its element without them.

// Types only: a value imported from transport/ here would bring all of it into what loads first.
import type { Transport, TransportOptions, TransportStats } from '../transport/index.js'

/** Transport counters, all zero: nothing sent, received, refused or relayed yet. */
function idleTransportStats(): TransportStats {
  return {
    framing: {
      droppedMessages: 0,
      violations: 0,
      framedMessages: 0,
      reassembledMessages: 0,
      refusedMessages: 0,
      handlerErrors: 0,
      deflatedMessages: 0,
      inflatedMessages: 0,
      slicedMessages: 0,
      orphanedSlices: 0,
    },
    refused: { malformed: 0, 'rate-limited': 0, screened: 0, flooding: 0, oversized: 0, 'oversized-awareness': 0 },
    bannedPeers: 0,
    bannedWriters: 0,
    droppedLinks: 0,
    garbageFrames: { framing: 0, liveness: 0, relay: 0 },
    relay: { relayed: 0, pruned: 0, repairRequests: 0, leftToRepair: 0, caughtUp: 0, caughtUpRecords: 0 },
    sent: { liveness: 0, data: 0 },
    liveLinks: 0,
    rumorWaits: { started: 0, dropped: 0, waiting: 0 },
    join: {
      invitations: 0,
      lostOffers: 0,
      reoffers: 0,
      reinvitations: 0,
      lapseOffers: 0,
      cap: { takes: 0, shed: 0, reannounced: 0, bridges: 0, bridged: 0, lateShed: 0 },
    },
    files: {
      fetching: 0,
      serving: 0,
      sentFrames: 0,
      servedBytes: 0,
      verifiedChunks: 0,
      rejectedChunks: 0,
      garbageFrames: 0,
      refusedRequests: 0,
    },
    syncReplies: { answered: 0, encoded: 0, encodedAhead: 0, warmUps: 0, aheadMs: 0, preparingMs: 0, heldBytes: 0, encodedForOlder: 0 },
    siblings: { answersSetAside: 0, bytesSetAside: 0, requestsAfterLoad: 0 },
  }
}

/** A transport whose code is still loading, with a promise that says how the load went. */
export interface LazyTransport extends Transport {
  /**
   * Settles once the transport's code has loaded and it opened (or the room closed first);
   * rejects when the code could not load, and the room then never connects.
   */
  readonly loaded: Promise<void>
}

/**
 * A transport that opens as soon as its code has loaded (a dynamic import), unless the room
 * closed first. Until then it has no links: `goodbye` has no one to tell and `stats` are zero.
 */
export function openTransportLazily(options: TransportOptions): LazyTransport {
  let transport: Transport | null = null
  let closed = false
  const opened = import('../transport/index.js').then(({ openTransport }) => {
    if (!closed) transport = openTransport(options)
    return transport
  })
  const loaded = opened.then(() => undefined)
  // A failed load (offline, or a deploy that replaced the file) or the y-webrtc mismatch that
  // openTransport throws: logged here, and shown by whoever awaits `loaded` (the element does).
  loaded.catch((error: unknown) => console.error('Parley: the room cannot connect:', error))
  return {
    loaded,
    goodbye: () => transport?.goodbye(),
    stats: () => transport?.stats() ?? idleTransportStats(),
    links: () => transport?.links() ?? [],
    siblingTabs: () => transport?.siblingTabs() ?? 0,
    linkedClients: () => transport?.linkedClients() ?? [],
    afterSlices: (callback) => {
      if (transport === null) callback()
      else transport.afterSlices(callback)
    },
    historyArriving: () => transport?.historyArriving() ?? false,
    refusedWriting: () => transport?.refusedWriting() ?? new Map(),
    signaling: () => transport?.signaling() ?? 'connecting',
    files: async () => {
      const open = await opened
      if (open === null) throw new Error('The room closed before its transport loaded')
      return open.files()
    },
    close: () => {
      closed = true
      transport?.close()
    },
  }
}
