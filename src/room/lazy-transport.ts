// The room's transport, loaded after what loads first (ARCHITECTURE.md, "What loads first"):
// y-webrtc, simple-peer and Parley's adaptations are nearly a quarter of the JavaScript, and a
// room opens its document, its stored history and its element without them.

// Types only: a value imported from transport/ here would bring all of it into what loads first.
import type { Transport, TransportOptions, TransportStats } from '../transport/index.js'

/** Transport counters, all zero: nothing sent, received, refused or relayed yet. */
function idleTransportStats(): TransportStats {
  return {
    framing: { droppedMessages: 0, violations: 0, framedMessages: 0, reassembledMessages: 0, refusedMessages: 0, handlerErrors: 0 },
    refused: { malformed: 0, 'rate-limited': 0, screened: 0, flooding: 0 },
    bannedPeers: 0,
    bannedWriters: 0,
    garbageFrames: { framing: 0, liveness: 0, relay: 0 },
    relay: { relayed: 0, pruned: 0, repairRequests: 0 },
    sent: { liveness: 0, data: 0 },
    liveLinks: 0,
    join: { invitations: 0, reoffers: 0, reinvitations: 0 },
  }
}

/**
 * A transport that opens as soon as its code has loaded (a dynamic import), unless the room
 * closed first. Until then it has no links: `goodbye` has no one to tell and `stats` are zero.
 */
export function openTransportLazily(options: TransportOptions): Transport {
  let transport: Transport | null = null
  let closed = false
  const opened = import('../transport/index.js').then(({ openTransport }) => {
    if (!closed) transport = openTransport(options)
    return transport
  })
  opened.catch((error: unknown) => {
    // A failed load, or the y-webrtc mismatch openTransport throws: reported as uncaught, as
    // the room's constructor threw it before the transport loaded on its own.
    queueMicrotask(() => {
      throw error
    })
  })
  return {
    goodbye: () => transport?.goodbye(),
    stats: () => transport?.stats() ?? idleTransportStats(),
    links: () => transport?.links() ?? [],
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
