// The shell of relay pruning: which link delivered each change, a side channel on every peer
// connection advertising this peer's links and comparing digests, y-webrtc's broadcasts narrowed, and the
// catch-up of links that compare no digests (stock peers) left out of a batch past the budget.
import type { Room as WebrtcRoom, WebrtcConn } from 'y-webrtc'
import { messageYjsSyncStep1, messageYjsUpdate } from 'y-protocols/sync'
import * as Y from 'yjs'
import {
  type ClockRange,
  changedDocument,
  gaplessRanges,
  rangesUpdateSteps,
  runSteps,
  StepBudget,
  type UpdateClocks,
  updateClocks,
} from '../updates/index.js'
import type { RtcImplementation } from './liveness.js'
import {
  type CatchUpCut,
  catchUpCut,
  knownWithSent,
  LOCAL_SOURCE,
  owedWith,
  PARTS_FOLLOW,
  droppedNeighbours,
  relayTargets,
  repairWaitMs,
  stateVectorDigest,
  type ChangeSource,
} from './relay-policy.js'
import { LINK_RECORD_LIMITS, PERSON_RECORDS_BURST, SYNC_BYTES_BURST } from './peer-guard.js'
import { RecordBuckets, type RecordLimits } from './record-buckets.js'
import { RELAY_CHANNEL_ID, RELAY_CHANNEL_LABEL, encodeRelayFrame, parseRelayFrame, type RelayFrame } from './relay-protocol.js'
import { syncMessage, syncPayload, syncRequestOf } from './y-webrtc-messages.js'

/** Quiet time after this peer's links changed before it advertises them, in ms (links come and go in bursts). */
export const ADVERTISE_DEBOUNCE_MS = 50
/** Wait after a link was lost (here or at a neighbour) before digests are compared, in ms: changes in flight land first. */
export const DIGEST_SETTLE_MS = 1000
/** Longest time a changed document goes before its digest is compared with every Parley link's, in ms. */
export const DIGEST_INTERVAL_MS = 30_000
/** Time for a link's answer to a repair request before another link is asked, in ms. */
export const REPAIR_ANSWER_WAIT_MS = 2000
/**
 * Records of document changes this peer sends to its links: half of what a link may bring
 * (peer-guard.ts LINK_RECORD_LIMITS), 250 at once and 25 a second, 750 over minutes at 5 a
 * second, and 3,600 over hours at one every 2 s, so that relaying what one link's guard let through, plus what people write, never makes
 * this peer's links flood; the rest is left to the digests, whose repairs are answers to a request
 * (not counted).
 */
export const RELAYED_RECORD_LIMITS: RecordLimits = {
  burst: LINK_RECORD_LIMITS.burst / 2,
  perSecond: LINK_RECORD_LIMITS.perSecond / 2,
  sustainedBurst: LINK_RECORD_LIMITS.sustainedBurst / 2,
  sustainedPerSecond: LINK_RECORD_LIMITS.sustainedPerSecond / 2,
  hourlyBurst: LINK_RECORD_LIMITS.hourlyBurst / 2,
  hourlyPerSecond: LINK_RECORD_LIMITS.hourlyPerSecond / 2,
}
/** The burst of RELAYED_RECORD_LIMITS (250). */
export const RELAYED_RECORDS_BURST = RELAYED_RECORD_LIMITS.burst
/**
 * Records of a batch made on this page that is sent even past RELAYED_RECORDS_BURST: a person's
 * own writing (an author's burst is 30 messages) never waits for the digests behind a relayed
 * flood. A larger one (a history loaded from storage, or from a sibling tab) spends the budget as
 * others' changes do. Peers' guards leave room for it on top of what is relayed (LEAST_RECORDS_BURST).
 */
export const OWN_BATCH_RECORDS = PERSON_RECORDS_BURST
/**
 * Records of one part a link left out of a batch is sent to catch up (as history/deferred-updates.ts
 * RECORDS_PER_BATCH cuts a batch).
 */
export const CATCH_UP_PART_RECORDS = 200
/** Records of the relay's budget a catch-up leaves for relaying (a person's batch goes at once). */
const CATCH_UP_RESERVE = OWN_BATCH_RECORDS
/**
 * Bytes of one catch-up message at most: a stock peer takes messages of up to 256 KiB (the SCTP
 * limit Chromium and Node's wrtc announce); a part past it is cut again, with fewer records.
 */
export const CATCH_UP_MESSAGE_BYTES = 256 * 1024
/** Bytes a y-webrtc sync update message adds to its update, at most (its kinds and the update's length). */
const MESSAGE_HEADER_BYTES = 16

/** What the relay counted since the room opened. */
export interface RelayStats {
  /** Sends of changes heard from a link to the other links that need them. */
  relayed: number
  /** Sends of such changes left out: the link had it, or has it, from the sender. */
  pruned: number
  /** Sync requests (step 1) sent because a link's digest differed from ours. */
  repairRequests: number
  /**
   * Batches of changes over a link's byte budget (a history that resolved pending changes), or
   * past the records this peer sends (RELAYED_RECORDS_BURST), left to the digests instead of sent.
   */
  leftToRepair: number
  /**
   * Parts sent to links that were left out of such a batch and compare no digests (stock peers),
   * so that they catch up; and the records those parts held.
   */
  caughtUp: number
  caughtUpRecords: number
}

type AwarenessChanges = { added: number[]; updated: number[]; removed: number[] }
type AwarenessHandler = (changes: AwarenessChanges, origin: unknown) => void
type DocHandler = (update: Uint8Array, origin: unknown) => void

/** Relay pruning for one room's links. */
export class Relay {
  readonly stats: RelayStats = { relayed: 0, pruned: 0, repairRequests: 0, leftToRepair: 0, caughtUp: 0, caughtUpRecords: 0 }
  /** Relay frames from other peers that failed to parse. */
  garbageFrames = 0
  readonly #now: () => number
  #room: WebrtcRoom | null = null
  /** Open relay channels, by peer connection. */
  readonly #channels = new Map<RTCPeerConnection, RTCDataChannel>()
  /** Neighbours each Parley link advertised last; a link missing here is stock or not heard yet. */
  readonly #neighbours = new Map<RTCPeerConnection, ReadonlySet<string>>()
  /** The cap (maxConns) each Parley link advertised with its neighbours, if it did. */
  readonly #caps = new Map<RTCPeerConnection, number>()
  readonly #peerIds = new WeakMap<RTCPeerConnection, string>()
  /** Links whose 'connect' this relay listens for (see #advertise). */
  readonly #heardConnect = new WeakSet<WebrtcConn>()
  readonly #askedAt = new Map<RTCPeerConnection, number>()
  /** When a link was last asked for what we lack (ms), and the differing digests held meanwhile. */
  #lastAskedAt = Number.NEGATIVE_INFINITY
  readonly #waiting = new Map<RTCPeerConnection, { channel: RTCDataChannel; digest: string; answering: boolean }>()
  #waitTimer: ReturnType<typeof setTimeout> | null = null
  #waitDueAt = Number.POSITIVE_INFINITY
  /** The link whose message y-webrtc is reading now (it applies it synchronously), or null. */
  #delivering: RTCPeerConnection | null = null
  /** Where the changes since the last batch came from: local, or by link (neighbour sets intersected). */
  #localChanges = false
  #linkChanges = new Map<string, ReadonlySet<string> | null>()
  #hadPending = false
  /** Set once this tab has said its goodbyes (see leave): only its own awareness changes go out from then on. */
  #leaving = false
  #advertised: ReadonlySet<string> = new Set()
  #advertiseTimer: ReturnType<typeof setTimeout> | null = null
  #roundTimer: ReturnType<typeof setTimeout> | null = null
  #roundDueAt = Number.POSITIVE_INFINITY
  #changedSinceRound = false
  #digest: string | null = null
  #detach: () => void = () => {}
  /** Records of document changes this peer may still send now (RELAYED_RECORD_LIMITS), full until the first batch. */
  #relayedRecords: RecordBuckets | null = null
  /**
   * Links left out of a batch that compare no digests (stock, or not heard yet), with what they
   * are owed: per writer, the clocks of the records left out (only clocks: the document holds
   * the records). Sent in parts within the relay's budget, oldest owed link first.
   */
  readonly #owed = new Map<WebrtcConn, Map<number, ClockRange>>()
  #catchUpTimer: ReturnType<typeof setTimeout> | null = null
  /**
   * Of each link that has not advertised neighbours, per writer, the clock below which it holds
   * every record: from its sync requests, and from the changes it brought. Nothing it holds is
   * owed to it (a page that loads its stored history after a stock peer linked owes it no copies).
   */
  readonly #known = new WeakMap<RTCPeerConnection, Map<number, number>>()

  /** `now` reads the clock, in ms (for tests). */
  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** Wraps a WebRTC implementation so that each of its peer connections carries the relay channel. */
  wrap(rtc: RtcImplementation): RtcImplementation {
    const attach = (pc: RTCPeerConnection, channel: RTCDataChannel): void => this.#attachChannel(pc, channel)
    class RelayPeerConnection extends rtc.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config)
        // Negotiated on both sides with the same id: no 'datachannel' event reaches simple-peer.
        attach(this, this.createDataChannel(RELAY_CHANNEL_LABEL, { negotiated: true, id: RELAY_CHANNEL_ID }))
      }
    }
    return { ...rtc, RTCPeerConnection: RelayPeerConnection }
  }

  /** The neighbours the Parley peer `peerId` last advertised on its link to us (undefined: a stock peer, or not heard yet). */
  neighboursOf(peerId: string): ReadonlySet<string> | undefined {
    for (const [pc, neighbours] of this.#neighbours) if (this.#peerIdOf(pc) === peerId) return neighbours
    return undefined
  }

  /** The cap (y-webrtc's maxConns) the Parley peer `peerId` advertised on its link to us (undefined: not given, or not heard yet). */
  capOf(peerId: string): number | undefined {
    for (const [pc, cap] of this.#caps) if (this.#peerIdOf(pc) === peerId) return cap
    return undefined
  }

  /**
   * Runs `dispatch` (the link of `pc` handing y-webrtc a message, `data` if known) with that link
   * known as the sender.
   */
  deliverFrom(pc: RTCPeerConnection, dispatch: () => void, data?: unknown): void {
    const outer = this.#delivering
    this.#delivering = pc
    try {
      dispatch()
    } finally {
      this.#delivering = outer
    }
    if (data !== undefined && !this.#neighbours.has(pc)) this.#noteHeld(pc, data)
    // A link that speaks is connected: advertise it if it is new.
    const peerId = this.#peerIdOf(pc)
    if (peerId !== null && !this.#advertised.has(peerId)) this.#scheduleAdvertise()
  }

  /**
   * Narrows y-webrtc's broadcasts of `room` (`room._docUpdateHandler`, `room._awarenessUpdateHandler`)
   * to the links relay-policy.ts picks. Apply before the adaptations that wrap or unsubscribe
   * those handlers (room-handlers.ts). Returns what stops it.
   */
  attach(room: WebrtcRoom): () => void {
    this.#room = room
    const doc = room.doc
    const awareness = room.awareness
    const broadcastDoc: DocHandler = room._docUpdateHandler
    const broadcastAwareness: AwarenessHandler = room._awarenessUpdateHandler
    const narrowedDoc: DocHandler = (update, origin) => {
      // A part of a batch: the rest goes to the same links (and to those what came meanwhile needs).
      const sources = origin === PARTS_FOLLOW ? this.#sources() : this.#takeSources()
      // Peers' guards drop a link whose update is past their byte budget, and cut off one that
      // brings records past theirs; what such a batch holds (a history, when it resolved changes
      // that waited for it) they mostly have, and the digest round scheduled below makes each
      // Parley link ask for what it lacks; a stock link, which compares no digests, is sent it in
      // paced parts (#owe). Same-browser tabs still get it.
      const send = (): void => broadcastDoc(update, origin)
      // Its meta read once: for the budget's count, and for what a batch left to the digests owes.
      const clocks = updateClocks(update)
      if (update.byteLength <= SYNC_BYTES_BURST && this.#relayRecords(clocks, sources.includes(LOCAL_SOURCE)))
        this.#broadcast(room, sources, send)
      else {
        this.stats.leftToRepair++
        // Soon, not in DIGEST_INTERVAL_MS: a message written here after it waits, at peers that
        // lack the batch, for the records it follows.
        this.#scheduleRound(DIGEST_SETTLE_MS)
        // Links that compare no digests get it in parts, paced within the same budget.
        this.#owe(room, sources, clocks)
        this.#broadcastTo(room, new Set(), send)
      }
    }
    const narrowedAwareness: AwarenessHandler = (changes, origin) => {
      const { added, updated, removed } = changes
      // Our own state re-announced because a peer said we left: news to everyone.
      const own = [added, updated, removed].some((clients) => clients.includes(awareness.clientID))
      if (this.#leaving && !own) return
      this.#broadcast(room, [own ? LOCAL_SOURCE : this.#sourceOf(origin)], () => broadcastAwareness(changes, origin))
    }
    // y-webrtc subscribes its handlers on connect (and unsubscribes them by these names on disconnect).
    doc.off('update', broadcastDoc)
    awareness.off('update', broadcastAwareness)
    room._docUpdateHandler = narrowedDoc
    room._awarenessUpdateHandler = narrowedAwareness
    if (room.provider.connected) {
      doc.on('update', narrowedDoc)
      awareness.on('update', narrowedAwareness)
    }
    const onTransaction = (transaction: Y.Transaction): void => this.#onTransaction(room, transaction)
    const onPeers = (): void => this.#scheduleAdvertise()
    // Before the document's observers: a change made here is passed to the links as they are called (history/deferred-updates.ts).
    doc.on('beforeObserverCalls', onTransaction)
    room.provider.on('peers', onPeers)
    this.#detach = () => {
      doc.off('beforeObserverCalls', onTransaction)
      room.provider.off('peers', onPeers)
    }
    this.#scheduleAdvertise()
    return () => this.destroy()
  }

  /**
   * Whether a part of the changes since the last batch (one with more to follow) would go anywhere
   * now: to a link their sources do not cover, or to a tab of this browser. A joiner's history
   * from its one link goes nowhere, and is not encoded for it (history/deferred-updates.ts); a tab
   * that opens later asks its siblings for what it lacks, as it always does.
   */
  wantsPart(): boolean {
    const room = this.#room
    if (room === null) return true
    if (room.bcconnected && room.bcConns.size > 0) return true
    const targets = relayTargets(room.webrtcConns.keys(), this.#sources())
    return targets === 'all' || targets.size > 0
  }

  /**
   * This tab has said its goodbyes (pagehide) and those it carries for its siblings: from now on
   * it passes on no other tab's awareness change. A closing page still runs tasks a while after
   * pagehide, and a sibling that sees the goodbye this tab carried for it published answers with
   * a new state; passed on, that state would outrank the goodbye at peers that hear the sibling
   * only through this tab, and its next goodbye would find this tab gone.
   */
  leave(): void {
    this.#leaving = true
  }

  /** Stops timers, closes the relay channels and lets go of the room. */
  destroy(): void {
    this.#detach()
    this.#detach = () => {}
    for (const timer of [this.#advertiseTimer, this.#roundTimer, this.#waitTimer, this.#catchUpTimer])
      if (timer !== null) clearTimeout(timer)
    this.#advertiseTimer = null
    this.#roundTimer = null
    this.#waitTimer = null
    this.#catchUpTimer = null
    this.#waiting.clear()
    this.#owed.clear()
    this.#roundDueAt = Number.POSITIVE_INFINITY
    for (const channel of this.#channels.values()) channel.close()
    this.#channels.clear()
    this.#neighbours.clear()
    this.#caps.clear()
  }

  #onTransaction(room: WebrtcRoom, transaction: Y.Transaction): void {
    const store = room.doc.store
    const pending = store.pendingStructs !== null || store.pendingDs !== null
    const hadPending = this.#hadPending
    this.#hadPending = pending
    if (!changedDocument(transaction)) return
    this.#digest = null
    if (!this.#changedSinceRound) {
      this.#changedSinceRound = true
      this.#scheduleRound(DIGEST_INTERVAL_MS)
    }
    // Changes that waited for missing ones came by other links than this one: everyone gets them.
    const source = pending || hadPending ? LOCAL_SOURCE : this.#sourceOf(transaction.origin)
    if (source.from === 'local') {
      this.#localChanges = true
      return
    }
    // A link that brought records of a writer holds every one of them below (a Yjs document has no gaps).
    if (this.#delivering !== null && !this.#neighbours.has(this.#delivering)) {
      const brought = new Map<number, number>()
      for (const [client, clock] of transaction.afterState) if (clock !== transaction.beforeState.get(client)) brought.set(client, clock)
      this.#noteKnown(this.#delivering, brought)
    }
    const known = this.#linkChanges.get(source.peerId)
    if (known === undefined || source.neighbours === null) this.#linkChanges.set(source.peerId, source.neighbours)
    else if (known !== null) this.#linkChanges.set(source.peerId, new Set([...known].filter((id) => source.neighbours?.has(id))))
  }

  /**
   * Spends the records of a batch; false (nothing spent) when they are past what this peer sends
   * now, unless it is a `local` batch of a person's size (it spends them all the same).
   */
  #relayRecords(clocks: UpdateClocks, local: boolean): boolean {
    const budget = this.#budget()
    const records = clocks.records
    if (!budget.fits(records) && !(local && records <= OWN_BATCH_RECORDS)) return false
    budget.spend(records)
    return true
  }

  /** The records this peer may still send (RELAYED_RECORD_LIMITS), refilled to now. */
  #budget(): RecordBuckets {
    const now = this.#now()
    this.#relayedRecords ??= new RecordBuckets(RELAYED_RECORD_LIMITS, now)
    this.#relayedRecords.refill(now)
    return this.#relayedRecords
  }

  /**
   * Notes what a batch left to the digests owes the connected links the rule sends it to that
   * compare no digests (stock peers, and Parley peers not heard yet): they had, or get in later
   * batches, everything but its records, so they are owed those clocks (merged with what they
   * were owed before). A link whose peer re-links is synced afresh and owed nothing.
   */
  #owe(room: WebrtcRoom, sources: ChangeSource[], clocks: UpdateClocks): void {
    const targets = relayTargets(room.webrtcConns.keys(), sources)
    const ranges = clocks.ranges()
    if (ranges === null) return // not a Yjs update
    for (const [peerId, conn] of room.webrtcConns) {
      if (!conn.connected || (targets !== 'all' && !targets.has(peerId)) || this.neighboursOf(peerId) !== undefined) continue
      this.#owed.set(conn, owedWith(this.#owed.get(conn), ranges))
    }
    this.#scheduleCatchUp(0)
  }

  /**
   * Notes what a message from a link that compares no digests says its peer holds: a sync request,
   * its state vector; an update, the records it sent, whether or not they were new here (a stock
   * peer's own writing can reach this page first through a Parley peer that relays it, and its own
   * copy then brings nothing, and a catch-up sent its own records back). Not an answer (step 2):
   * its records are, but for any it holds pending, what the request it sent as the link opened
   * named, and a history's answer would be read again just for that.
   */
  #noteHeld(pc: RTCPeerConnection, data: unknown): void {
    const request = syncPayload(data, messageYjsSyncStep1)
    const update = request === null ? syncPayload(data, messageYjsUpdate) : null
    try {
      if (request !== null) this.#noteKnown(pc, Y.decodeStateVector(request))
      // Read in this task already, by the peer guard's count (updates/ `readUpdate`); a large one comes in slices.
      else if (update !== null) this.#known.set(pc, knownWithSent(this.#known.get(pc) ?? new Map(), gaplessRanges(update)))
    } catch {
      // not a state vector or an update: y-webrtc failed to read it too
    }
  }

  /** Raises what the link of `pc` is known to hold to `stateVector` (per writer, the clock below which it holds every record). */
  #noteKnown(pc: RTCPeerConnection, stateVector: ReadonlyMap<number, number>): void {
    const known = this.#known.get(pc) ?? new Map<number, number>()
    for (const [client, clock] of stateVector) if (clock > (known.get(client) ?? 0)) known.set(client, clock)
    this.#known.set(pc, known)
  }

  /** What the link `conn` is known to hold (see #known). */
  #knownOf(conn: WebrtcConn): ReadonlyMap<number, number> {
    const pc = (conn.peer as { _pc?: RTCPeerConnection | null })._pc
    return (pc === null || pc === undefined ? undefined : this.#known.get(pc)) ?? new Map()
  }

  /** Sends the next catch-up parts in `delayMs`, unless they are due sooner. */
  #scheduleCatchUp(delayMs: number): void {
    if (this.#catchUpTimer !== null) return
    this.#catchUpTimer = setTimeout(() => {
      this.#catchUpTimer = null
      this.#catchUp()
    }, delayMs)
  }

  /**
   * Sends owed links parts of what they are owed, one link after another, while the relay's
   * budget holds a part and the reserve; then waits for the budget to refill. Links that closed,
   * or turned out to be Parley peers (they advertised: their digests repair them), are let go.
   */
  #catchUp(): void {
    const room = this.#room
    if (room === null) return
    for (;;) {
      const next = this.#nextOwed(room)
      if (next === null) return
      const [conn, owed] = next
      const budget = this.#budget()
      const held = Y.decodeStateVector(Y.encodeStateVector(room.doc))
      const known = this.#knownOf(conn)
      const records = Math.min(CATCH_UP_PART_RECORDS, catchUpCut(owed, held, known, Number.POSITIVE_INFINITY).records)
      const waitMs = budget.waitMs(records + CATCH_UP_RESERVE)
      if (waitMs > 0) {
        this.#scheduleCatchUp(Math.max(1, Math.ceil(waitMs)))
        return
      }
      const part = catchUpPart(room.doc, owed, held, known, records)
      const message = syncMessage(messageYjsUpdate, part.update)
      // The owed link goes to the back: links take turns.
      this.#owed.delete(conn)
      try {
        conn.peer.send(message)
      } catch {
        continue // the link closed meanwhile; a new one is synced afresh
      }
      budget.spend(part.records)
      this.stats.caughtUp++
      this.stats.caughtUpRecords += part.records
      if (part.rest.size > 0) this.#owed.set(conn, part.rest)
    }
  }

  /** The first owed link that is still open and compares no digests, or null (those that do not are let go). */
  #nextOwed(room: WebrtcRoom): [WebrtcConn, Map<number, ClockRange>] | null {
    for (const [conn, owed] of this.#owed) {
      const open = conn.connected && !conn.closed && room.webrtcConns.get(conn.remotePeerId) === conn
      if (open && this.neighboursOf(conn.remotePeerId) === undefined) return [conn, owed]
      this.#owed.delete(conn)
    }
    return null
  }

  /** The sources of the changes since the last batch, forgotten here (the batch carries them all). */
  #takeSources(): ChangeSource[] {
    const sources = this.#sources()
    this.#localChanges = false
    this.#linkChanges = new Map()
    return sources
  }

  /** The sources of the changes since the last batch. */
  #sources(): ChangeSource[] {
    const sources: ChangeSource[] = this.#localChanges ? [LOCAL_SOURCE] : []
    for (const [peerId, neighbours] of this.#linkChanges) sources.push({ from: 'link', peerId, neighbours })
    return sources
  }

  /** A change with `origin` (y-webrtc applies what links deliver with the room as origin). */
  #sourceOf(origin: unknown): ChangeSource {
    const pc = this.#delivering
    if (origin !== this.#room || pc === null) return LOCAL_SOURCE // made here, or over BroadcastChannel
    const peerId = this.#peerIdOf(pc)
    if (peerId === null) return LOCAL_SOURCE
    return { from: 'link', peerId, neighbours: this.#neighbours.get(pc) ?? null }
  }

  /** Runs y-webrtc's `broadcast` with the room's links narrowed to those the change's sources need. */
  #broadcast(room: WebrtcRoom, sources: ChangeSource[], broadcast: () => void): void {
    const targets = relayTargets(room.webrtcConns.keys(), sources)
    if (targets === 'all') {
      broadcast()
      return
    }
    this.stats.relayed += targets.size
    this.stats.pruned += room.webrtcConns.size - targets.size
    this.#broadcastTo(room, targets, broadcast)
  }

  /** Runs y-webrtc's `broadcast` with the room's links narrowed to `targets` (by peer id). */
  #broadcastTo(room: WebrtcRoom, targets: ReadonlySet<string>, broadcast: () => void): void {
    const links = room.webrtcConns
    // y-webrtc sends to every entry of `webrtcConns` (and over BroadcastChannel, kept as it is).
    room.webrtcConns = new Map([...links].filter(([peerId]) => targets.has(peerId)))
    try {
      broadcast()
    } finally {
      room.webrtcConns = links
    }
  }

  #connOf(pc: RTCPeerConnection): WebrtcConn | null {
    const links = this.#room?.webrtcConns.values() ?? []
    for (const conn of links) if ((conn.peer as { _pc?: unknown })._pc === pc) return conn
    return null
  }

  #peerIdOf(pc: RTCPeerConnection): string | null {
    let peerId = this.#peerIds.get(pc) ?? null
    if (peerId === null) {
      peerId = this.#connOf(pc)?.remotePeerId ?? null
      if (peerId !== null) this.#peerIds.set(pc, peerId)
    }
    return peerId
  }

  #attachChannel(pc: RTCPeerConnection, channel: RTCDataChannel): void {
    channel.onopen = () => {
      this.#channels.set(pc, channel)
      this.#send(channel, this.#neighboursFrame(this.#linkedPeers()))
      this.#scheduleAdvertise()
    }
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const frame = parseRelayFrame(event.data)
      if (frame === null) this.garbageFrames++
      else if (frame.t === 'nbrs') this.#onNeighbours(pc, new Set(frame.ids), frame.cap)
      else this.#onDigest(pc, channel, frame.sv, frame.r === true)
    }
    channel.onclose = () => {
      this.#channels.delete(pc)
      this.#neighbours.delete(pc)
      this.#caps.delete(pc)
      this.#askedAt.delete(pc)
      this.#waiting.delete(pc)
      this.#scheduleAdvertise()
    }
  }

  #onNeighbours(pc: RTCPeerConnection, neighbours: ReadonlySet<string>, cap: number | undefined): void {
    // A change relayed while this link still said it had a neighbour may have missed that one.
    if (droppedNeighbours(this.#neighbours.get(pc), neighbours)) this.#scheduleRound(DIGEST_SETTLE_MS)
    this.#neighbours.set(pc, neighbours)
    if (cap === undefined) this.#caps.delete(pc)
    else this.#caps.set(pc, cap)
  }

  /**
   * A link's digest: if it differs, ask the link for what we lack, and tell it ours (unless it is
   * answering). One link is asked at a time: its answer may make the others' digests match (a
   * newcomer would otherwise fetch the whole history from every link that sent one).
   */
  #onDigest(pc: RTCPeerConnection, channel: RTCDataChannel, digest: string, answering: boolean): void {
    this.#waiting.delete(pc)
    const mine = this.#ownDigest()
    const now = this.#now()
    if (digest === mine) return
    // Held, not dropped, while this link was asked too recently or another link's answer is due:
    // rounds come only after changes or lost links, so a dropped difference could last for good.
    const waitMs = Math.max(this.#lastAskedAt + REPAIR_ANSWER_WAIT_MS - now, repairWaitMs(this.#askedAt.get(pc), now))
    if (waitMs > 0) {
      this.#waiting.set(pc, { channel, digest, answering })
      this.#wakeWaitingIn(waitMs)
      return
    }
    const conn = this.#connOf(pc)
    if (conn === null || !conn.connected) return
    this.#askedAt.set(pc, now)
    this.#lastAskedAt = now
    try {
      conn.peer.send(syncRequestOf(conn.room.doc))
      this.stats.repairRequests++
    } catch {
      // the link closed meanwhile; y-webrtc syncs a new one on connect
    }
    if (!answering) this.#send(channel, { t: 'digest', sv: mine, r: true })
  }

  /** Looks at the held digests again in `delayMs`, unless that is due sooner; each is held again for what it still has to wait. */
  #wakeWaitingIn(delayMs: number): void {
    const dueAt = this.#now() + delayMs
    if (this.#waitTimer !== null && this.#waitDueAt <= dueAt) return
    if (this.#waitTimer !== null) clearTimeout(this.#waitTimer)
    this.#waitDueAt = dueAt
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = null
      const waiting = [...this.#waiting]
      this.#waiting.clear()
      for (const [each, held] of waiting) this.#onDigest(each, held.channel, held.digest, held.answering)
    }, delayMs)
  }

  #ownDigest(): string {
    const doc = this.#room?.doc
    if (doc === undefined) return ''
    this.#digest ??= stateVectorDigest(Y.decodeStateVector(Y.encodeStateVector(doc)))
    return this.#digest
  }

  /** The peer ids of the room's connected links. */
  #linkedPeers(): Set<string> {
    const linked = new Set<string>()
    for (const [peerId, conn] of this.#room?.webrtcConns ?? []) if (conn.connected) linked.add(peerId)
    return linked
  }

  #scheduleAdvertise(): void {
    if (this.#advertiseTimer !== null || this.#room === null) return
    this.#advertiseTimer = setTimeout(() => {
      this.#advertiseTimer = null
      this.#advertise()
    }, ADVERTISE_DEBOUNCE_MS)
  }

  /**
   * Tells every relay channel this peer's links, if they changed since last told. A link counts
   * once y-webrtc has it connected (simple-peer's 'connect', after an asynchronous getStats that
   * retries every 100 ms), and its peer may have said all it had to (sync, awareness) by then; so
   * each link not yet connected is listened to for its 'connect'. Otherwise it stayed unadvertised
   * until its peer next spoke, and the other neighbours relayed every change from here to it.
   */
  #advertise(): void {
    for (const conn of this.#room?.webrtcConns.values() ?? []) {
      if (conn.connected || this.#heardConnect.has(conn)) continue
      this.#heardConnect.add(conn)
      conn.peer.on('connect', () => this.#scheduleAdvertise())
    }
    const linked = this.#linkedPeers()
    const before = this.#advertised
    if (linked.size === before.size && [...linked].every((peerId) => before.has(peerId))) return
    this.#advertised = linked
    if (droppedNeighbours(before, linked)) this.#scheduleRound(DIGEST_SETTLE_MS)
    const frame = this.#neighboursFrame(linked)
    for (const channel of this.#channels.values()) this.#send(channel, frame)
  }

  /** Our neighbours as advertised, with our cap: a neighbour past its cap sheds a link only where we are within ours (cap-rule.ts, lateLinkToShed). */
  #neighboursFrame(linked: ReadonlySet<string>): RelayFrame {
    const cap = this.#room?.provider.maxConns
    return cap === undefined ? { t: 'nbrs', ids: [...linked] } : { t: 'nbrs', ids: [...linked], cap }
  }

  /** Schedules a digest round in `delayMs`, unless one is due sooner. */
  #scheduleRound(delayMs: number): void {
    const dueAt = this.#now() + delayMs
    if (this.#roundDueAt <= dueAt) return
    if (this.#roundTimer !== null) clearTimeout(this.#roundTimer)
    this.#roundDueAt = dueAt
    this.#roundTimer = setTimeout(() => {
      this.#roundTimer = null
      this.#roundDueAt = Number.POSITIVE_INFINITY
      this.#round()
    }, delayMs)
  }

  /** Sends our digest to every Parley link (those that advertised neighbours). */
  #round(): void {
    this.#changedSinceRound = false
    const frame: RelayFrame = { t: 'digest', sv: this.#ownDigest() }
    for (const [pc, channel] of this.#channels) if (this.#neighbours.has(pc)) this.#send(channel, frame)
  }

  #send(channel: RTCDataChannel, frame: RelayFrame): void {
    if (channel.readyState !== 'open') return
    try {
      channel.send(encodeRelayFrame(frame))
    } catch {
      // the channel closed between the check and the send; its onclose does the rest
    }
  }
}

/**
 * The next part of `owed` (relay-policy.ts `catchUpCut`: at most `cap` records the document
 * holds) as an update, the document's whole delete set with the last part; a message past
 * CATCH_UP_MESSAGE_BYTES is cut again with half the records.
 */
function catchUpPart(
  doc: Y.Doc,
  owed: ReadonlyMap<number, ClockRange>,
  held: ReadonlyMap<number, number>,
  known: ReadonlyMap<number, number>,
  cap: number,
): CatchUpCut & { update: Uint8Array } {
  for (let records = cap; ; records = Math.ceil(records / 2)) {
    const cut = catchUpCut(owed, held, known, records)
    const update = runSteps(rangesUpdateSteps(doc, cut.ranges, new StepBudget(Number.POSITIVE_INFINITY), cut.rest.size === 0))
    // The message adds its kind and the update's length: a few bytes.
    if (update.byteLength <= CATCH_UP_MESSAGE_BYTES - MESSAGE_HEADER_BYTES || records <= 1) return { ...cut, update }
  }
}
