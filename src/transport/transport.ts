// A room's connection to its peers: y-webrtc's provider for one topic with Parley's adaptations
// of it (each in a module of its own), message framing, the liveness and relay side channels and the peer guard.
import type * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import type { Awareness } from 'y-protocols/awareness'
import { FileChannels } from './file-channels.js'
import type { FileTransfers } from './file-transfer.js'
import { noFileTransfers, type FileTransferStats } from './file-stats.js'
import { Framing } from './framing.js'
import type { FramingStats } from './framing-channel.js'
import { LIVENESS_ORIGIN, Liveness, browserRtc, type RtcImplementation, type RumorWaits, type SentCounts } from './liveness.js'
import { RECORDS_BURST, guardLink, noRefusals, type AwarenessScreen, type RecordBudget, type Refusal } from './peer-guard.js'
import { keepJoinsPastCap } from './cap-joins.js'
import type { RecordLimits } from './record-buckets.js'
import { Relay, type RelayStats } from './relay.js'
import { wrapRtcForFramingAndLiveness } from './rtc.js'
import { dropBeforeUnloadHook, keepLivenessRemovalsLocal, relayDocumentChangesAfterDraw, type DocumentChanges } from './room-handlers.js'
import { RefusedWriting, type RefusedWriter } from './refused-writing.js'
import { SharedBurst, banPeerOf, bringsNewWriting, dropLinkOf, newRecordsByWriter, newRecordsIn, writersOf } from './banned-peers.js'
import { CrossedChannels } from './crossed-channels.js'
import { screenSignals } from './signal-screen.js'
import { joinStateOf, noCapJoins, type CapJoinCounts } from './join-state.js'
import { reofferStuckLinks, type StuckLinkStats } from './stuck-links.js'
import { checkYWebrtcInternals } from './y-webrtc-internals.js'
import { SyncReplies, isFreshSyncRequest, type SyncReplyStats } from './sync-replies.js'
import { ArrivingHistories } from './arriving-histories.js'
import { SliceTurns } from './slice-turns.js'
import { applySyncSlice, sliceSyncMessage } from './update-slices.js'
import { dispatchNotingHistory, type HistoryListener } from './received-histories.js'
import { RequestFirst } from './request-first.js'
import { RequestsAfterLoad } from './requests-after-load.js'
import { SiblingSyncAfterLoad, type SiblingRoom, type SiblingSyncStats } from './sibling-sync-after-load.js'
import { postLeaving, siblingTabsOf, type SiblingTabsRoom } from './sibling-tabs.js'
import { signalingStateOf, type SignalingState } from './signaling-state.js'

/** What a room's transport carries, and where to. */
export interface TransportOptions {
  /** The hashed topic: all the signaling server learns of the room. */
  topic: string
  /** A private room's secret (signaling payloads are encrypted with a key derived from it); null for a public room. */
  secret: string | null
  /** The room's document, synced with every peer. */
  doc: Y.Doc
  /** The room's awareness, synced with every peer; liveness removes the states of peers that went. */
  awareness: Awareness
  /** The document's changes, relayed to peers as they come (instead of as each transaction ends). */
  changes: DocumentChanges
  /** Signaling servers speaking the y-webrtc protocol. */
  signalingUrls: string[]
  /** STUN/TURN servers; undefined keeps the WebRTC library's defaults, [] means host candidates only. */
  iceServers?: RTCIceServer[]
  /** Extra simple-peer options. */
  peerOptions?: Record<string, unknown>
  /** WebRTC classes to use instead of the browser's (in Node: `@roamhq/wrtc`). */
  wrtc?: RtcImplementation
  /** Asked before an awareness update from a peer is applied; refused updates are dropped whole. */
  screenAwareness?: AwarenessScreen
  /**
   * Whether a client would answer a rumor that it is lost by renewing its state, so that its
   * silence is evidence (see liveness-tracker.ts); absent: every client is taken to.
   */
  refutesRumors?: (client: number) => boolean
  /**
   * The other tabs of a client's user (see liveness-tracker.ts `siblingsOf`): tabs a peer linked
   * only to that client may hear only through it. Absent: none.
   */
  siblingsOf?: (client: number) => readonly number[]
  /** Most links y-webrtc opens (its `maxConns`); undefined keeps y-webrtc's default (20 to 34). */
  maxConns?: number
  /**
   * The array of `doc` whose order the history follows (the room's messages): a fresh joiner's
   * answer goes in parts along it, oldest first (answer-parts.ts); undefined: in one message.
   */
  historyOrder?: Y.Array<unknown>
  /** Runs when a peer guard refused an update bringing records the document lacks (see `refusedWriting`). */
  onRefusedWriting?: () => void
  /**
   * Whether a value a refused writer wrote names it (the room's: a message, which claims an
   * author): each writer's samples are such values, searched for in its refused updates until
   * one is found, and the messages counted are such values (refused-writing.ts). Undefined: any value.
   */
  namesRefusedWriter?: (value: unknown) => boolean
  /**
   * Told of each history a link brought (a sync step 2), once applied: its update as received and
   * the records it added (received-histories.ts); the room stores it whole at once.
   */
  onHistory?: HistoryListener
  /**
   * Settles once the document holds the history this page stored (the room applies it a part a
   * task): until then each link's sync requests wait, and go as one once it settles, naming the
   * whole of it (requests-after-load.ts). Undefined: nothing is loading.
   */
  storedHistoryLoaded?: Promise<unknown>
  /**
   * The buckets of records each link's guard allows (peer-guard.ts LINK_RECORD_LIMITS unless
   * given); a test scales them down to see a link cut off in seconds, not a quarter of an hour.
   */
  recordLimits?: RecordLimits
}

/** What one room's transport counted since it opened. */
export interface TransportStats {
  /** What happened to large messages, and to messages the peer guard or y-webrtc refused. */
  framing: FramingStats
  /** Messages the peer guard kept from y-webrtc, by reason. */
  refused: Record<Refusal, number>
  /** Peers dropped and ignored for the session because they flooded a link (see peer-guard.ts). */
  bannedPeers: number
  /** Yjs client ids that wrote what flooded a link: links bringing their new changes get no burst (banned-peers.ts). */
  bannedWriters: number
  /** Links dropped, their peers free to link again, because they went past a byte budget or cap (`refused.oversized`, `refused['oversized-awareness']`). */
  droppedLinks: number
  /** Frames on Parley's side channels (framing capability, liveness, relay) that failed to parse. */
  garbageFrames: { framing: number; liveness: number; relay: number }
  /** Changes heard from links and passed on, or left out because the link had them from the sender (see relay.ts). */
  relay: RelayStats
  /** Data-channel messages sent: liveness frames, and messages on y-webrtc's channel. */
  sent: SentCounts
  /** Links whose peer's liveness side channel speaks now (Parley peers connected directly). */
  liveLinks: number
  /** Waits on tabs rumored lost that no link of this peer speaks for: started, ended in a drop, under way (liveness-tracker.ts). */
  rumorWaits: RumorWaits
  /**
   * How links came about: invitations sent (offer-rule.ts; repeats included), offers to stock
   * peers made anew at once because the peer announced again while ours waited for its answer
   * (offer-rule.ts), links that made no progress and were replaced by a fresh offer or
   * invitation, and offers to stock peers whose link with us failed on our side alone
   * (`lapseOffers`; stuck-links.ts). A normal join has none of these.
   */
  join: { invitations: number; lostOffers: number; cap: CapJoinCounts } & StuckLinkStats
  /** File transfers: under way now, chunks sent, verified and refused, bytes served (all zero until a file is shared or fetched). */
  files: FileTransferStats
  /** Fresh joiners' sync requests answered from the cached document, and how often it was encoded (sync-replies.ts). */
  syncReplies: SyncReplyStats
  /** Sibling tabs' sync answers set aside while the stored history loaded, and the requests sent them once it was (sibling-sync-after-load.ts). */
  siblings: SiblingSyncStats
}

/** An open transport; `close()` ends it for good. */
export interface Transport {
  /** Tells every connected peer this tab is leaving (the page is going away); links stay open, and pass on no other tab's presence from then on. */
  goodbye(): void
  /** A copy of the counters as they are now. */
  stats(): TransportStats
  /** The y-webrtc peer ids of the links that are connected now (diagnostics, tests, benchmarks). */
  links(): string[]
  /** How many of this browser's other tabs in the room reach this one over BroadcastChannel now (sibling-tabs.ts). */
  siblingTabs(): number
  /** The awareness clients this tab hears directly now: a live link speaks for each (liveness said hello). */
  linkedClients(): number[]
  /**
   * Runs `callback` once every slice of the large updates received so far was applied (at once
   * when none waits; update-slices.ts): what looks at the newest records looks at them once.
   */
  afterSlices(callback: () => void): void
  /**
   * Whether a history a link brings is still coming: the link was opened while the document was
   * empty, and its peer's first sync request named clocks the document does not hold yet
   * (arriving-histories.ts). The room draws its log once it came (room-controller.ts).
   */
  historyArriving(): boolean
  /** Records that updates refused by the peer guards brought and the document still lacks, by writer (refused-writing.ts). */
  refusedWriting(): Map<number, RefusedWriter>
  /** Whether this tab reaches a signaling server now (signaling-state.ts): peers already linked need none. */
  signaling(): SignalingState
  /**
   * The room's file transfers, loaded on first use (a chunk of its own, not in what pages load
   * first). Until then the file channels drop what they receive: this page holds no file yet.
   */
  files(): Promise<FileTransfers>
  /** Says goodbye, closes every link, and leaves the signaling servers. */
  close(): void
}

/**
 * Connects a room's document and awareness to its peers over y-webrtc, as Parley adapts it.
 * Throws if y-webrtc lacks a private member the adaptations rely on (see y-webrtc-internals.ts);
 * members of the room and its links are checked as they appear, and a mismatch there is thrown
 * (uncaught) after the provider is disconnected, rather than left to fail subtly.
 */
export function openTransport(options: TransportOptions): Transport {
  const liveness = new Liveness(options.awareness, options.refutesRumors, options.siblingsOf)
  const relay = new Relay()
  const fileChannels = new FileChannels()
  let files: Promise<FileTransfers> | null = null
  /** The file transfers once their code has loaded, for their counters. */
  let loadedFiles: FileTransfers | null = null
  const crossedChannels = new CrossedChannels()
  const refused = noRefusals()
  const refusedWriting = new RefusedWriting(options.doc, () => options.onRefusedWriting?.(), undefined, options.namesRefusedWriter)
  let bannedPeers = 0
  let droppedLinks = 0
  /** Who wrote what flooded a link, as Yjs client ids. */
  const bannedWriters = new Set<number>()
  /** Once a link flooded, the records burst the links opened after share (banned-peers.ts). */
  let sharedBurst: SharedBurst | null = null
  /** How a new link's records are budgeted: a fresh burst, or once a flooder was banned what is left of the shared one, its history counted. */
  const recordBudget = (): RecordBudget => {
    const count = (update: Uint8Array): number | null => newRecordsIn(update, options.doc)
    const answers = (update: Uint8Array) => newRecordsByWriter(update, options.doc)
    const limits = options.recordLimits
    return sharedBurst === null ? { count, limits } : { count, limits, burst: sharedBurst.take(Date.now()), answers }
  }
  // A link that floods is dropped, and its peer ignored from then on (set once the room is open).
  let banPeer = (_pc: RTCPeerConnection): void => {}
  // A link past its byte budget is dropped; its peer may link again (see peer-guard.ts).
  let dropLink = (_pc: RTCPeerConnection): void => {}
  // Kept warm: the first joiner after a change is answered at once, its frames already deflated
  // (and only they held: framing inflates them again for a peer that takes them plain).
  // In parts along the history: the joiner applies the first while the rest are on the wire.
  const syncReplies: SyncReplies = new SyncReplies(options.doc, {
    warm: { prepare: (message) => framing.prepare(message) },
    order: options.historyOrder,
  })
  // A large relayed batch is applied in slices, one a task (update-slices.ts).
  const sliceTurns = new SliceTurns()
  // What each link's peer announced it holds, while a history is due on the link.
  const arriving = new ArrivingHistories(options.doc)
  // This side's sync request goes before its answer to a fresh one, even when the peer's came first.
  const requestFirst = new RequestFirst(options.doc)
  // Asked mid-load, a request would name a fraction of the stored history, and bring the rest again.
  const requestsAfterLoad = new RequestsAfterLoad(options.doc, options.storedHistoryLoaded)
  // Tabs of this browser are asked over BroadcastChannel as the room connects: their answers wait for the load too.
  const siblingSync = new SiblingSyncAfterLoad(options.storedHistoryLoaded)
  const framing = new Framing({
    admitter: (pc) =>
      arriving.watch(
        pc,
        guardLink(Date.now, refused, {
          screen: options.screenAwareness,
          records: recordBudget(),
          onFlooding: (recentUpdates) => {
            sharedBurst ??= new SharedBurst(options.recordLimits?.burst ?? RECORDS_BURST, Date.now())
            for (const writer of writersOf(recentUpdates, options.doc.clientID)) bannedWriters.add(writer)
            banPeer(pc)
          },
          onOversized: () => dropLink(pc),
          onRefusedUpdate: (update) => {
            refusedWriting.note(update)
          },
          bannedWriting: (update) => bringsNewWriting(update, options.doc, bannedWriters),
          // What the screen applies itself is relayed as this link's, as y-webrtc's own applies are.
          link: {
            replay: (apply) => {
              const room = provider.room
              if (room === null) apply(null)
              else relay.deliverFrom(pc, () => apply(room))
            },
          },
        }),
      ),
    deliverer: (pc) => (dispatch, data) =>
      relay.deliverFrom(pc, () => dispatchNotingHistory(options.doc, data, dispatch, options.onHistory), data),
    traffic: (pc, direction) => liveness.traffic(pc, direction),
    // Every part about PART_BYTES; an older Parley joiner gets the answer cut as it takes it.
    answer: (data, channel) => {
      if (!isFreshSyncRequest(data)) return null
      // This side's request first: the joiner reads from it what the history holds (request-first.ts).
      requestFirst.beforeAnswer(channel)
      return syncReplies.answer()
    },
    // A step 2 too, unless it may be a joiner's history (peer-guard.ts `historyDue`: on a link opened empty).
    slice: (data, historyDue) => sliceSyncMessage(data, { step2: !historyDue }),
    turn: sliceTurns.take,
    hold: (channel, data) => requestFirst.hold(channel, data) || requestsAfterLoad.hold(channel, data),
    // The rest of a message whose link closed between its slices: applied as y-webrtc applies what
    // a link delivers (the room as origin); as a change heard from no link, it goes to every link.
    orphaned: (data) => {
      const room = provider.room
      if (!closed && room !== null) applySyncSlice(data, options.doc, room)
    },
  })
  const peerOpts: Record<string, unknown> = { ...options.peerOptions }
  if (options.iceServers !== undefined) peerOpts.config = { iceServers: options.iceServers }
  const rtc = options.wrtc ?? browserRtc()
  if (rtc !== null)
    peerOpts.wrtc = crossedChannels.wrap(wrapRtcForFramingAndLiveness(rtc, { liveness, framing, relay, files: fileChannels }))
  // The signaling server sees only the hashed topic; a private room's payloads are
  // encrypted with a key derived from its secret (y-webrtc's `password`).
  const provider = new WebrtcProvider(options.topic, options.doc, {
    signaling: options.signalingUrls,
    password: options.secret ?? undefined,
    awareness: options.awareness,
    peerOpts,
    ...(options.maxConns === undefined ? {} : { maxConns: options.maxConns }),
  })
  let closed = false
  let disconnected = false
  const disconnect = (): void => {
    if (disconnected) return
    disconnected = true
    provider.disconnect()
  }
  /** Checks y-webrtc's members as they are now; disconnects before throwing. */
  const checkInternals = (): void => {
    try {
      checkYWebrtcInternals(provider)
    } catch (error) {
      disconnect()
      throw error
    }
  }
  try {
    checkInternals()
  } catch (error) {
    provider.destroy() // nobody gets a transport to close
    throw error
  }
  let stops: Array<() => void> = []
  const stuck: StuckLinkStats = { reoffers: 0, reinvitations: 0, lapseOffers: 0 }
  // y-webrtc opens the room once the key is derived (its own callback runs first), before any
  // signaling frame can reach it; the adaptations start in the same microtask.
  void provider.key.then(() => {
    const room = provider.room
    if (room === null || closed) return
    checkInternals()
    provider.on('peers', checkInternals) // each new link (WebrtcConn), as y-webrtc reports it
    // The relay narrows y-webrtc's two broadcast handlers; the adaptations below wrap what it left.
    const stopRelay = relay.attach(room)
    keepLivenessRemovalsLocal(room, LIVENESS_ORIGIN)
    dropBeforeUnloadHook(room)
    siblingSync.attach(room as unknown as SiblingRoom)
    stops = [
      stopRelay,
      // Subscribed after the relay attached: a change made here is passed on after the relay noted its source.
      relayDocumentChangesAfterDraw(room, options.changes, () => relay.wantsPart()),
      screenSignals(room),
      reofferStuckLinks(room, {}, stuck),
      keepJoinsPastCap(room, { neighboursOf: (peerId) => relay.neighboursOf(peerId), capOf: (peerId) => relay.capOf(peerId) }),
      crossedChannels.attach(room),
    ]
    banPeer = (pc) => {
      // Not from inside the channel's message handler that noticed the flood.
      queueMicrotask(() => {
        if (banPeerOf(room, pc) !== null) bannedPeers++
      })
    }
    dropLink = (pc) => {
      queueMicrotask(() => {
        if (dropLinkOf(room, pc) !== null) droppedLinks++
      })
    }
  })
  return {
    goodbye() {
      if (closed) return
      liveness.goodbye()
      relay.leave()
      if (provider.room !== null) postLeaving(provider.room as unknown as SiblingTabsRoom)
    },
    stats() {
      return {
        framing: { ...framing.stats },
        refused: { ...refused },
        garbageFrames: { framing: framing.garbageFrames, liveness: liveness.garbageFrames, relay: relay.garbageFrames },
        relay: { ...relay.stats },
        sent: { ...liveness.sent },
        liveLinks: liveness.liveLinks(),
        rumorWaits: liveness.rumorWaits,
        join: {
          invitations: provider.room === null ? 0 : joinStateOf(provider.room).invitationsSent,
          lostOffers: provider.room === null ? 0 : joinStateOf(provider.room).lostOffers,
          cap: provider.room === null ? noCapJoins() : { ...joinStateOf(provider.room).cap },
          ...stuck,
        },
        bannedPeers,
        bannedWriters: bannedWriters.size,
        droppedLinks,
        files: loadedFiles === null ? noFileTransfers() : { ...loadedFiles.stats },
        syncReplies: { ...syncReplies.stats },
        siblings: { ...siblingSync.stats },
      }
    },
    links() {
      return [...(provider.room?.webrtcConns ?? [])].filter(([, conn]) => conn.connected).map(([peerId]) => peerId)
    },
    siblingTabs() {
      return closed ? 0 : siblingTabsOf(provider.room as unknown as SiblingTabsRoom | null)
    },
    linkedClients() {
      return closed ? [] : liveness.linkedClients()
    },
    afterSlices(callback) {
      sliceTurns.afterQueued(callback)
    },
    historyArriving() {
      return !closed && arriving.arriving()
    },
    refusedWriting() {
      return refusedWriting.writers()
    },
    signaling() {
      // y-webrtc's signaling connections are lib0 WebsocketClients (y-webrtc-internals.ts).
      return closed ? 'connecting' : signalingStateOf(provider.signalingConns)
    },
    files() {
      files ??= import('./file-transfer.js').then(({ FileTransfers }) => {
        loadedFiles = new FileTransfers(fileChannels)
        return loadedFiles
      })
      return files
    },
    close() {
      if (closed) return
      closed = true
      fileChannels.destroy()
      liveness.goodbye()
      liveness.destroy()
      relay.destroy()
      syncReplies.destroy()
      requestsAfterLoad.destroy()
      siblingSync.destroy()
      for (const stop of stops) stop()
      provider.off('peers', checkInternals)
      // destroy() alone leaves this peer announced on the signaling server; disconnect first.
      disconnect()
      provider.destroy()
    },
  }
}
