// Rooms at scale: N Node peers (one process each) join one room at once, idle, then chat; what
// their data channels carry per chat message and per idle second, delivery, latency, stuck joins.
// Parley's transport against stock y-webrtc 10.3, on the local signaling server, host candidates only.
// Run alone: npx tsx bench/rooms.ts [--sizes 4,8,16 | none] [--heavy] [--trials 1] [--kinds parley,stock]
//   [--idle-ms 60000] [--messages M] [--partial 16:4[,8:3…] | --no-partial] [--joins at-once,one-by-one,clique-then-at-once,one-hearer]
//   [--rtc node-datachannel|wrtc] [--one-piece-ms 90000] [--slow-connect-ms 0] [--partial-idle-ms 0]
//   (--heavy adds N = 24 and 32; --partial N:maxConns are the partial-mesh cases, joined as --joins says;
//   --one-piece-ms W: after a partial mesh's join, wait up to W ms for one piece before the chat;
//   --slow-connect-ms S: every link counts as connected S ms late, as on a loaded machine: each
//   peer's getStats, which simple-peer awaits first, is that slow;
//   --partial-idle-ms W: partial meshes idle W ms before the chat, so late sheds come before the end counts)
import { fileURLToPath } from 'node:url'
import { startSignalingServer } from '../signaling/index.js'
import { addSend, type SendCounts } from '../test/support/counting-rtc.js'
import { NodePeer, type NodePeerCounts, type NodePeerState } from '../test/support/node-peer.js'
import type { NodeRtcName } from '../test/support/node-rtc.js'
import { meshShape } from '../test/support/partial-mesh.js'

/** Room sizes of the default run. */
export const DEFAULT_SIZES = [4, 8, 16]
/** Sizes `--heavy` adds (CPU-bound on two cores). */
export const HEAVY_SIZES = [24, 32]
/** How long a simultaneous join may take before the pairs still unconnected count as stuck, in ms. */
const JOIN_TIMEOUT_MS = 30_000
/** Partial mesh: links count as settled when their number held this long, in ms. */
const PARTIAL_SETTLED_MS = 5000
/** Quiet time after the join, before counting starts (first syncs and awareness), in ms. */
const SETTLE_MS = 2000
/**
 * Default idle window, in ms: four of awareness's renewal periods (15–18 s: y-protocols checks every
 * 3 s), so one renewal round more or less moves the rate by a quarter, not by half as a 20 s window did.
 */
const DEFAULT_IDLE_MS = 60_000
/** Chat messages per room at least (by default one per peer). */
const MIN_MESSAGES = 16
/** Time between two chat messages (each goes out as its own update), in ms. */
const SEND_INTERVAL_MS = 200
/** How long the last message may take to reach everyone before the rest counts as lost, in ms. */
const DELIVERY_TIMEOUT_MS = 30_000
/** After the last delivery, how long relays may still go out (counted with the messages), in ms. */
const AFTER_DELIVERY_MS = 1000
/** After a room, how long its links may take to close before the next room joins, in ms. */
const LEAVE_MS = 1000
/** One by one: how long a newcomer may take to get its first link before the next one joins anyway, in ms. */
const ONE_BY_ONE_WAIT_MS = 5000
/** How often the bench polls its peers, in ms. */
const POLL_MS = 250

/**
 * How the peers of a partial mesh join: all at once; each once the one before has a link (or
 * waited ONE_BY_ONE_WAIT_MS); or the first maxConns + 1 one by one (a full clique) and then the
 * rest at once, which links among itself and, unless a peer notices, never with the clique; or
 * `one-hearer`: the first half one by one (a piece), then the rest at once (more of them, so fewer
 * are left alone long enough to be taken), while only the first piece's peer with the largest
 * awareness client hears announcements (the others drop them until the room is one piece, or the
 * wait ends): the last in its piece's turns is the only one of it that can ask for a bridge.
 */
export type JoinOrder = 'at-once' | 'one-by-one' | 'clique-then-at-once' | 'one-hearer'

/** Which implementation the peers of a room run. */
export type RoomKind = 'parley' | 'stock'

/** Messages and bytes. */
export interface Amount {
  messages: number
  bytes: number
}

/** What one room of N peers measured. Times in ms (one machine's clock). */
export interface RoomFigure {
  kind: RoomKind
  n: number
  /** y-webrtc's `maxConns` of every peer, or null for its default (20–34: a full mesh up to 20). */
  maxConns: number | null
  trial: number
  joins: JoinOrder
  /** Pairs of peers linked both ways at the end of the join. */
  links: number
  /** y-webrtc channels open at the end of the join, over all peers (2 per link; more: connections left behind). */
  openChannels: number
  /** Full mesh only: pairs of peers not connected JOIN_TIMEOUT_MS after joining at once. */
  stuckPairs: number | null
  /** At the end of the join (settled or timed out): peers with no link, pieces of the link graph, most links one peer held, peers holding more links than their cap. */
  graph: { unlinked: number; components: number; mostLinks: number; overCap: number }
  /**
   * With `onePieceMs`, partial meshes only: ms from the last peer's join until every peer had a link
   * and the link graph was one piece (polled), or null if it was not within the wait; undefined when not waited for.
   */
  onePieceMs?: number | null
  /** After the chat (delivery waited for): pieces of the link graph and most links one peer held; a bridge may come after the join settled. */
  endGraph: { components: number; mostLinks: number; overCap: number }
  /**
   * Parley only (null for stock, or a build without them): `take` invitations sent, links shed
   * back to the cap, announcements made again while lonely, and `bridge` invitations sent and taken up (null: a build without bridges),
   * summed over peers, at the end.
   */
  capJoins: {
    takes: number
    shed: number
    reannounced: number
    bridges: number | null
    bridged: number | null
    /** Of `shed`, late sheds (cap-rule.ts lateLinkToShed; null: a build without them). */
    lateShed: number | null
  } | null
  /**
   * Signaling during the join, summed over peers: offers sent (one per pair is ideal), publish
   * frames, and for Parley its invitations and the links it replaced after they stalled (0 in a
   * normal join; null for stock).
   */
  joinSignals: { offers: number; publishes: number; invitations: number | null; replaced: number | null }
  /** From the simultaneous join until every link was open (full mesh) or settled (partial); null: never. */
  joinMs: number | null
  chatMessages: number
  /** Per chat message, summed over all peers: y-webrtc's sync updates (what carries a message). */
  updatesPerMessage: Amount
  /** Per chat message: every data-channel message of every kind, less the idle rate over the same time. */
  allPerMessageNetOfIdle: number | null
  /** Per chat message, by kind (`y-webrtc:<kind>`, `side:<label>`), not net of idle. */
  perMessageByKind: Record<string, number>
  /** Idle data-channel traffic per peer per second, over `windowMs`; null when not measured. */
  idle: { windowMs: number; messagesPerSecond: number; bytesPerSecond: number; byKind: Record<string, number> } | null
  /** (message, receiving peer) pairs that arrived, of those expected: (N−1) per message. */
  delivery: { delivered: number; expected: number }
  /** Send (author's push) → applied on each other peer. */
  latencyMs: { p50: number; p99: number } | null
  /** Peer processes that ended before the bench closed them (crashes). */
  crashed: number
}

/** What to run. */
export interface RoomsBenchOptions {
  sizes?: number[]
  kinds?: RoomKind[]
  trials?: number
  idleMs?: number
  /** Chat messages per room (default N, at least 16: every peer writes at least one). */
  messages?: number
  /** The partial-mesh cases (idle not measured), or null for none. */
  partial?: Array<{ n: number; maxConns: number }> | null
  /** How the partial meshes join (default: at once). */
  joins?: JoinOrder[]
  rtc?: NodeRtcName
  /** Partial meshes: after the join, wait up to this many ms for one piece before the chat (default 0: no wait). */
  onePieceMs?: number
  /** How late every link counts as connected, in ms (each peer's getStats delayed; default: not). */
  slowConnectMs?: number
  /** How long partial meshes idle before the chat, in ms (default 0: none), so that late sheds come before the end counts. */
  partialIdleMs?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function total(counts: SendCounts, filter: (key: string) => boolean = () => true): Amount {
  let messages = 0
  let bytes = 0
  for (const [key, value] of Object.entries(counts)) {
    if (!filter(key)) continue
    messages += value.messages
    bytes += value.bytes
  }
  return { messages, bytes }
}

function sum(all: SendCounts[]): SendCounts {
  const out: SendCounts = {}
  for (const counts of all) for (const [key, value] of Object.entries(counts)) addSend(out, key, value)
  return out
}

/** Counts of the peers still running (a crashed one counts nothing). */
async function countsOf(peers: NodePeer[]): Promise<NodePeerCounts[]> {
  const settled = await Promise.allSettled(peers.map((peer) => peer.counts()))
  return settled.map((result) =>
    result.status === 'fulfilled' ? result.value : { sends: {}, openChannels: 0, peerId: null, linkedPeers: [] },
  )
}

/** Pairs of peers that each hold a connected link to the other. */
function linkedPairs(all: NodePeerCounts[]): number {
  const linked = new Map(all.flatMap((each) => (each.peerId === null ? [] : [[each.peerId, new Set(each.linkedPeers)] as const])))
  let pairs = 0
  for (const [peerId, others] of linked) for (const other of others) if (peerId < other && linked.get(other)?.has(peerId)) pairs++
  return pairs
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

/** What the peers signalled since `tapBefore` (their signaling taps count per process, across rooms). */
async function joinSignalsOf(peers: NodePeer[], tapBefore: NodePeerState['tap'][], kind: RoomKind): Promise<RoomFigure['joinSignals']> {
  const states = await Promise.allSettled(peers.map((peer) => peer.state()))
  const signals: RoomFigure['joinSignals'] = { offers: 0, publishes: 0, invitations: null, replaced: null }
  for (const [i, result] of states.entries()) {
    if (result.status !== 'fulfilled') continue
    const { tap, join } = result.value
    signals.offers += tap.offersSent - tapBefore[i].offersSent
    signals.publishes += tap.publishesSent - tapBefore[i].publishesSent
    if (kind === 'parley' && join !== null) {
      signals.invitations = (signals.invitations ?? 0) + join.invitations
      signals.replaced = (signals.replaced ?? 0) + join.reoffers + join.reinvitations
    }
  }
  return signals
}

/** Node peer processes, started once and reused room after room (each room gets new documents). */
class PeerPool {
  readonly #peers: NodePeer[] = []
  readonly #signalingUrl: string
  readonly #rtc: NodeRtcName
  readonly #slowConnectMs: number | undefined

  constructor(signalingUrl: string, rtc: NodeRtcName, slowConnectMs?: number) {
    this.#signalingUrl = signalingUrl
    this.#rtc = rtc
    this.#slowConnectMs = slowConnectMs
  }

  /** `n` running peers, in no room; crashed ones are replaced, more are started as needed. */
  async take(n: number): Promise<NodePeer[]> {
    for (let i = 0; i < this.#peers.length; i++) if (this.#peers[i].exited) this.#peers[i] = await this.#start()
    const missing = Math.max(0, n - this.#peers.length)
    const started = await Promise.allSettled(Array.from({ length: missing }, () => this.#start()))
    for (const result of started) if (result.status === 'fulfilled') this.#peers.push(result.value)
    const failed = started.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    return this.#peers.slice(0, n)
  }

  #start(): Promise<NodePeer> {
    return NodePeer.start({
      kind: 'stock',
      topic: 'rooms-bench-unused',
      signalingUrl: this.#signalingUrl,
      rtc: this.#rtc,
      countSends: true,
      deferJoin: true,
      getStatsDelayMs: this.#slowConnectMs,
    })
  }

  /** Closes every peer process. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#peers.splice(0).map((peer) => peer.close()))
  }
}

/** Joins N peers of one kind at once, lets them idle, has them chat, and measures it all. */
export async function runRoom(
  pool: PeerPool,
  spec: {
    kind: RoomKind
    n: number
    maxConns: number | null
    trial: number
    idleMs: number
    messages: number
    joins?: JoinOrder
    onePieceMs?: number
  },
): Promise<RoomFigure> {
  const { kind, n, maxConns } = spec
  const joins = spec.joins ?? 'at-once'
  const topic = `rooms-${kind}-${n}-${joins}-${spec.trial}-${process.pid}-${Date.now()}`
  const peers = await pool.take(n)
  /** `one-hearer`: the first piece's peers that drop announcements until the room is one piece. */
  let deaf: NodePeer[] = []
  try {
    // Join: all at once; a full mesh is done when every pair of peers is linked, both ways.
    const tapBefore = (await Promise.all(peers.map((peer) => peer.state()))).map((state) => state.tap)
    let joinedAt = performance.now()
    if (joins === 'at-once') await Promise.all(peers.map((peer) => peer.join({ kind, topic, maxConns: maxConns ?? undefined })))
    else {
      const cliqueSize = Math.min(peers.length, (maxConns ?? peers.length) + 1)
      const oneByOne = joins === 'one-by-one' ? peers.length : joins === 'one-hearer' ? Math.floor(peers.length / 2) : cliqueSize
      for (const [k, peer] of peers.slice(0, oneByOne).entries()) {
        await peer.join({ kind, topic, maxConns: maxConns ?? undefined })
        const since = performance.now()
        while (k > 0 && performance.now() - since < ONE_BY_ONE_WAIT_MS) {
          await sleep(POLL_MS)
          if ((await countsOf([peer]))[0].linkedPeers.length > 0) break
        }
      }
      const rest = peers.slice(oneByOne)
      if (joins === 'one-hearer') {
        const first = await Promise.all(peers.slice(0, oneByOne).map((peer) => peer.state()))
        const hearer = first.reduce((best, state, k) => (state.clientId > first[best].clientId ? k : best), 0)
        deaf = peers.slice(0, oneByOne).filter((_, k) => k !== hearer)
        await Promise.all(deaf.map((peer) => peer.hearAnnounces(false)))
      }
      await Promise.all(rest.map((peer) => peer.join({ kind, topic, maxConns: maxConns ?? undefined })))
      joinedAt = performance.now() // the last one joined: from here, the mesh settles
    }
    let joinMs: number | null = null
    let links = 0
    let lastChange = performance.now()
    while (performance.now() - joinedAt < JOIN_TIMEOUT_MS) {
      await sleep(POLL_MS)
      const all = await countsOf(peers)
      const now = performance.now()
      const linksNow = linkedPairs(all)
      if (linksNow !== links) lastChange = now
      links = linksNow
      if (maxConns === null && links === (n * (n - 1)) / 2) {
        joinMs = Math.round(now - joinedAt)
        break
      }
      if (maxConns !== null && all.every((each) => each.linkedPeers.length > 0) && now - lastChange >= PARTIAL_SETTLED_MS) {
        joinMs = Math.round(lastChange - joinedAt)
        break
      }
    }
    const stuckPairs = maxConns === null ? (n * (n - 1)) / 2 - links : null
    const joined = await countsOf(peers)
    const graph = {
      ...meshShape(joined.map((each) => ({ peerId: each.peerId, links: each.linkedPeers }))),
      overCap: maxConns === null ? 0 : joined.filter((each) => each.linkedPeers.length > maxConns).length,
    }
    const joinSignals = await joinSignalsOf(peers, tapBefore, kind)
    // One piece: bridges come after the join counts as settled (island-rule.ts waits 10 s for states).
    let onePieceMs: number | null | undefined
    if (maxConns !== null && (spec.onePieceMs ?? 0) > 0) {
      onePieceMs = null
      while (performance.now() - joinedAt < (spec.onePieceMs ?? 0)) {
        const all = await countsOf(peers)
        const shape = meshShape(all.map((each) => ({ peerId: each.peerId, links: each.linkedPeers })))
        if (shape.unlinked === 0 && shape.components === 1) {
          onePieceMs = Math.round(performance.now() - joinedAt)
          break
        }
        await sleep(POLL_MS)
      }
    }
    await Promise.allSettled(deaf.map((peer) => peer.hearAnnounces(true)))
    await sleep(SETTLE_MS)
    const openChannels = (await countsOf(peers)).reduce((count, each) => count + each.openChannels, 0)

    // Idle: every data-channel message of every peer over the window.
    let idle: RoomFigure['idle'] = null
    if (spec.idleMs > 0) {
      await Promise.allSettled(peers.map((peer) => peer.resetCounts()))
      const from = performance.now()
      await sleep(spec.idleMs)
      const counts = sum((await countsOf(peers)).map((each) => each.sends))
      const seconds = (performance.now() - from) / 1000
      const all = total(counts)
      idle = {
        windowMs: Math.round(seconds * 1000),
        messagesPerSecond: round(all.messages / n / seconds, 2),
        bytesPerSecond: Math.round(all.bytes / n / seconds),
        byKind: Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, round(value.messages / n / seconds, 2)])),
      }
    }

    // Chat: messages from each peer in turn, spaced so that each is an update of its own.
    await Promise.allSettled(peers.map((peer) => peer.resetCounts()))
    const from = performance.now()
    const texts: Array<{ text: string; author: number }> = []
    for (let k = 0; k < spec.messages; k++) {
      const author = k % n
      const text = `m${k}-from-${author}`
      texts.push({ text, author })
      await peers[author].push(text).catch(() => undefined) // a crashed author: its messages count as lost
      await sleep(SEND_INTERVAL_MS)
    }
    const expected = texts.length * (n - 1)
    const arrivalsOf = async () =>
      (await Promise.allSettled(peers.map((peer) => peer.arrivals()))).map((result) =>
        result.status === 'fulfilled' ? result.value : { applied: {}, pushed: {} },
      )
    const deliveredIn = (arrivals: Awaited<ReturnType<typeof arrivalsOf>>) =>
      texts.reduce((count, { text, author }) => count + arrivals.filter((a, i) => i !== author && a.applied[text] !== undefined).length, 0)
    let arrivals = await arrivalsOf()
    const deadline = performance.now() + DELIVERY_TIMEOUT_MS
    while (deliveredIn(arrivals) < expected && performance.now() < deadline) {
      await sleep(POLL_MS)
      arrivals = await arrivalsOf()
    }
    await sleep(AFTER_DELIVERY_MS)
    const endCounts = await countsOf(peers)
    const counts = sum(endCounts.map((each) => each.sends))
    const { components, mostLinks } = meshShape(endCounts.map((each) => ({ peerId: each.peerId, links: each.linkedPeers })))
    const capJoins = kind === 'stock' ? null : await capJoinsOf(peers)
    const chatSeconds = (performance.now() - from) / 1000
    const perMessage = (value: number) => round(value / texts.length)
    const updates = total(counts, (key) => key === 'y-webrtc:sync-update')
    const latencies = texts
      .flatMap(({ text, author }) =>
        arrivals.flatMap((a, i) => {
          const sentAt = arrivals[author].pushed[text]
          return i === author || a.applied[text] === undefined || sentAt === undefined ? [] : [a.applied[text] - sentAt]
        }),
      )
      .sort((a, b) => a - b)
    return {
      kind,
      n,
      maxConns,
      trial: spec.trial,
      joins,
      links,
      openChannels,
      stuckPairs,
      graph,
      onePieceMs,
      endGraph: {
        components,
        mostLinks,
        overCap: maxConns === null ? 0 : endCounts.filter((each) => each.linkedPeers.length > maxConns).length,
      },
      capJoins,
      joinSignals,
      joinMs,
      chatMessages: texts.length,
      updatesPerMessage: { messages: perMessage(updates.messages), bytes: Math.round(updates.bytes / texts.length) },
      allPerMessageNetOfIdle: idle === null ? null : perMessage(total(counts).messages - idle.messagesPerSecond * n * chatSeconds),
      perMessageByKind: Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, perMessage(value.messages)])),
      idle,
      delivery: { delivered: deliveredIn(arrivals), expected },
      latencyMs: latencies.length === 0 ? null : { p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)) },
      crashed: peers.filter((peer) => peer.exited).length,
    }
  } finally {
    await Promise.allSettled(deaf.map((peer) => peer.hearAnnounces(true))) // the pool's peers serve the next room
    await Promise.allSettled(peers.map((peer) => peer.leave()))
    await sleep(LEAVE_MS)
  }
}

/** `take` invitations, links shed and bridges, summed over Parley peers (null: a build that has none of them). */
async function capJoinsOf(peers: NodePeer[]): Promise<RoomFigure['capJoins']> {
  const states = await Promise.allSettled(peers.map((peer) => peer.state()))
  const sums = { takes: 0, shed: 0, reannounced: 0, bridges: 0 as number | null, bridged: 0 as number | null, lateShed: 0 as number | null }
  for (const result of states) {
    if (result.status !== 'fulfilled') continue
    const cap = result.value.join?.cap
    if (cap === undefined) return null
    sums.takes += cap.takes
    sums.shed += cap.shed
    sums.reannounced += cap.reannounced
    sums.bridges = cap.bridges === undefined || sums.bridges === null ? null : sums.bridges + cap.bridges
    sums.bridged = cap.bridged === undefined || sums.bridged === null ? null : sums.bridged + cap.bridged
    sums.lateShed = cap.lateShed === undefined || sums.lateShed === null ? null : sums.lateShed + cap.lateShed
  }
  return sums
}

/** Runs every size and kind (kinds alternating within a size, so both see the same machine). */
export async function runRoomsBench(options: RoomsBenchOptions = {}): Promise<{ rtc: NodeRtcName; rooms: RoomFigure[] }> {
  const rtc = options.rtc ?? 'node-datachannel'
  const kinds = options.kinds ?? ['parley', 'stock']
  const trials = options.trials ?? 1
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS
  const partial = options.partial === undefined ? [{ n: 16, maxConns: 4 }] : options.partial
  const joinOrders = options.joins ?? ['at-once']
  const onePieceMs = options.onePieceMs ?? 0
  const messagesFor = (n: number) => options.messages ?? Math.max(MIN_MESSAGES, n)
  const signaling = await startSignalingServer({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
  const pool = new PeerPool(signaling.url, rtc, options.slowConnectMs)
  const rooms: RoomFigure[] = []
  try {
    const cases: Array<{ n: number; maxConns: number | null; idleMs: number; joins: JoinOrder }> = (options.sizes ?? DEFAULT_SIZES).map(
      (n) => ({ n, maxConns: null, idleMs, joins: 'at-once' }),
    )
    for (const each of partial ?? []) for (const joins of joinOrders) cases.push({ ...each, idleMs: options.partialIdleMs ?? 0, joins })
    for (const { n, maxConns, idleMs: caseIdleMs, joins } of cases)
      for (let trial = 0; trial < trials; trial++)
        for (const kind of kinds) {
          const figure = await runRoom(pool, { kind, n, maxConns, trial, idleMs: caseIdleMs, messages: messagesFor(n), joins, onePieceMs })
          if (process.env.ROOMS_DEBUG) console.error(JSON.stringify(figure))
          rooms.push(figure)
        }
  } finally {
    await pool.close()
    await signaling.close()
  }
  return { rtc, rooms }
}

/** The figures as tables: counts first, then times (as a ratio Parley/stock within the run). */
export function roomsTable({ rtc, rooms }: { rtc: NodeRtcName; rooms: RoomFigure[] }): string {
  const idleWindow = rooms.find((room) => room.idle !== null)?.idle?.windowMs
  const joinNames: Record<JoinOrder, string> = {
    'at-once': 'at once',
    'one-by-one': 'one by one',
    'clique-then-at-once': 'a full clique, then the rest at once',
    'one-hearer': 'half one by one, then half at once, heard by one peer',
  }
  const mesh = (room: RoomFigure) => (room.maxConns === null ? 'full' : `maxConns ${room.maxConns}, ${joinNames[room.joins]}`)
  const percent = (room: RoomFigure) =>
    `${room.delivery.expected === 0 ? '–' : round((100 * room.delivery.delivered) / room.delivery.expected, 2)} %`
  const counts = rooms.map((room) =>
    [
      room.n,
      mesh(room),
      room.kind,
      room.trial + 1,
      `${room.links}${room.stuckPairs === null ? '' : ` (${room.stuckPairs})`}`,
      `${room.joinSignals.offers} / ${room.joinSignals.replaced ?? '–'} / ${room.joinSignals.invitations ?? '–'} / ${room.joinSignals.publishes}`,
      room.openChannels - 2 * room.links,
      room.updatesPerMessage.messages,
      `${round(room.updatesPerMessage.bytes / 1024, 2)} KB`,
      room.allPerMessageNetOfIdle ?? '–',
      room.idle === null ? '–' : room.idle.messagesPerSecond,
      percent(room),
      room.crashed,
    ].join(' | '),
  )
  const joinShapes = rooms
    .filter((room) => room.maxConns !== null)
    .map((room) =>
      [
        room.n,
        mesh(room),
        room.kind,
        room.trial + 1,
        room.graph.unlinked,
        room.graph.components,
        room.graph.mostLinks,
        room.graph.overCap,
        room.onePieceMs === undefined ? '–' : room.onePieceMs === null ? 'not within the wait' : `${room.onePieceMs} ms`,
        `${room.endGraph.components} / ${room.endGraph.mostLinks} / ${room.endGraph.overCap}`,
        room.capJoins === null
          ? '–'
          : `${room.capJoins.reannounced} / ${room.capJoins.takes} / ${room.capJoins.shed} (late ${room.capJoins.lateShed ?? '–'}) / ${room.capJoins.bridges ?? '–'} / ${room.capJoins.bridged ?? '–'}`,
        percent(room),
        room.updatesPerMessage.messages,
      ].join(' | '),
    )
  const times = rooms.map((room) => {
    const stock = rooms.find(
      (other) => other.kind === 'stock' && other.n === room.n && other.maxConns === room.maxConns && other.trial === room.trial,
    )
    const ratio =
      room.kind === 'parley' && room.latencyMs !== null && stock?.latencyMs != null
        ? `${round(room.latencyMs.p50 / stock.latencyMs.p50, 2)} / ${round(room.latencyMs.p99 / stock.latencyMs.p99, 2)}`
        : '–'
    const latency = room.latencyMs === null ? '–' : `${room.latencyMs.p50} / ${room.latencyMs.p99} ms`
    return [room.n, mesh(room), room.kind, room.trial + 1, room.joinMs === null ? 'not all' : `${room.joinMs} ms`, latency, ratio].join(
      ' | ',
    )
  })
  return [
    `Rooms at scale (Node peers, one process each, ${rtc}; idle window ${idleWindow === undefined ? '–' : `${round(idleWindow / 1000)} s`})`,
    'Counts (load-independent): per chat message summed over all peers; idle per peer',
    '| N | mesh | kind | trial | linked pairs (stuck) | join: offers / links replaced / invitations / signaling frames | extra channels | updates / msg | update bytes / msg | all DC msgs / msg, net of idle | idle DC msgs/s/peer | delivery | crashed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...counts.map((row) => `| ${row} |`),
    '',
    'Partial meshes at the end of the join (counts): peers with no link, pieces of the link graph, most links of one peer, peers over their cap; one piece after the last join (--one-piece-ms, a time); the same after the chat; cap joins summed over peers at the end',
    '| N | mesh | kind | trial | unlinked peers | components | most links | over cap | one piece after | after the chat: components / most links / over cap | lonely announcements / takes / shed (late) / bridges asked / bridged | delivery | updates / msg |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...joinShapes.map((row) => `| ${row} |`),
    '',
    'Times (one machine, CPU-bound from ~16 peers on two cores: compare the ratio, not the ms)',
    '| N | mesh | kind | trial | all links open after | send → applied p50 / p99 | Parley/stock p50 / p99 |',
    '|---|---|---|---|---|---|---|',
    ...times.map((row) => `| ${row} |`),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const list = (value: string | undefined) => value?.split(',').map((each) => each.trim())
  // `--sizes none`: partial meshes only.
  const sizes = list(flag('--sizes'))
    ?.map(Number)
    .filter((n) => n > 0) ?? [...DEFAULT_SIZES]
  if (process.argv.includes('--heavy')) sizes.push(...HEAVY_SIZES)
  const partialCases = (list(flag('--partial')) ?? ['16:4']).map((each) => {
    const [n, maxConns] = each.split(':').map(Number)
    return { n, maxConns }
  })
  const figures = await runRoomsBench({
    sizes,
    kinds: list(flag('--kinds')) as RoomKind[] | undefined,
    trials: flag('--trials') === undefined ? undefined : Number(flag('--trials')),
    idleMs: flag('--idle-ms') === undefined ? undefined : Number(flag('--idle-ms')),
    messages: flag('--messages') === undefined ? undefined : Number(flag('--messages')),
    partial: process.argv.includes('--no-partial') ? null : partialCases,
    joins: list(flag('--joins')) as JoinOrder[] | undefined,
    rtc: flag('--rtc') as NodeRtcName | undefined,
    onePieceMs: flag('--one-piece-ms') === undefined ? undefined : Number(flag('--one-piece-ms')),
    slowConnectMs: flag('--slow-connect-ms') === undefined ? undefined : Number(flag('--slow-connect-ms')),
    partialIdleMs: flag('--partial-idle-ms') === undefined ? undefined : Number(flag('--partial-idle-ms')),
  })
  console.log(roomsTable(figures))
  console.log(JSON.stringify({ rooms: figures }))
  process.exit(0)
}
