// Relay pruning with real peers, one process each: what a chat message costs in a full mesh,
// that a partial mesh (y-webrtc's maxConns) still brings every change to everyone, and stock peers.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { RecordBuckets } from '../../src/transport/record-buckets.js'
import { CATCH_UP_PART_RECORDS, RELAYED_RECORD_LIMITS } from '../../src/transport/relay.js'
import { HeldChanges } from '../support/held-changes.js'
import { openLocalTransport } from '../support/local-transport.js'
import { nodeRtc } from '../support/node-rtc.js'
import type { NodePeer, NodePeerState, SentCounts } from '../support/node-peer.js'
import { joinedOneByOne, startOneByOne } from '../support/partial-mesh.js'
import { useSignalingServer } from '../support/signaling-fixture.js'
import { UpdateArrivals } from '../support/update-arrivals.js'
import { UpdateSends } from '../support/update-sends.js'

/** Time for a mesh of child peers to form over WebRTC on a loaded machine, in ms. */
const MESH_TIMEOUT_MS = 60_000
/** Time for a change to reach every peer, in ms. */
const DELIVERY_TIMEOUT_MS = 20_000
/** Time for a stock peer left out of a batch of 600 records to catch up: 200 at once, then 25 a second, in ms. */
const CATCH_UP_TIMEOUT_MS = 60_000
const FULL_MESH_TEST_TIMEOUT_MS = 150_000
const PARTIAL_MESH_TEST_TIMEOUT_MS = 240_000
/** Peers of the full-mesh rooms. */
const FULL_MESH_SIZE = 5

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('relay')

type Kind = 'stock' | 'parley'

async function states(peers: NodePeer[]): Promise<NodePeerState[]> {
  return Promise.all(peers.map((peer) => peer.state()))
}

/** Waits until each of `peers` is linked to every other and has its state. */
async function untilFullMesh(peers: NodePeer[]): Promise<void> {
  await expect
    .poll(
      async () =>
        (await states(peers)).every((state) => state.links.length === peers.length - 1 && state.awareness.length === peers.length),
      { timeout: MESH_TIMEOUT_MS, interval: 250 },
    )
    .toBe(true)
}

/** Starts one peer per kind at once and waits until each is linked to every other and has its state. */
async function fullMesh(kinds: Kind[]): Promise<NodePeer[]> {
  const topic = signaling.topic()
  const peers = await Promise.all(kinds.map((kind, n) => signaling.startPeer({ kind, topic, awareness: { name: `p${n}` } })))
  await untilFullMesh(peers)
  return peers
}

/**
 * Starts stock peers one after another, each once the mesh before it is whole: stock y-webrtc
 * peers joining at once can leave a pair unlinked for good (its glare handling; issue 12
 * measured 8 of 21 such joins stuck at N = 6 and 8), and these tests count relays, not joins.
 */
async function stockMeshOneByOne(size: number): Promise<NodePeer[]> {
  const topic = signaling.topic()
  const peers: NodePeer[] = []
  for (let n = 0; n < size; n++) {
    peers.push(await signaling.startPeer({ kind: 'stock', topic, awareness: { name: `p${n}` } }))
    await untilFullMesh(peers)
  }
  return peers
}

/** Waits until every peer holds `text` and has passed on its own changes (a relay, if any, is out). */
async function delivered(peers: NodePeer[], text: string): Promise<NodePeerState[]> {
  let last: NodePeerState[] = []
  await expect
    .poll(
      async () => {
        last = await states(peers)
        return last.every((state) => state.texts.includes(text) && !state.unsentChanges)
      },
      { timeout: DELIVERY_TIMEOUT_MS, interval: 100 },
    )
    .toBe(true)
  return last
}

/** Each peer's sends of `kind` between two snapshots. */
function sentBetween(before: NodePeerState[], after: NodePeerState[], kind: keyof SentCounts): number[] {
  return after.map((state, n) => state.sent[kind] - before[n].sent[kind])
}

const sum = (counts: number[]): number => counts.reduce((a, b) => a + b, 0)

/** Sends of a new line from `peers[author]` by the other peers (relays), once it reached every peer. */
async function relaysOfLine(peers: NodePeer[], author: number, label: string): Promise<number> {
  const before = await states(peers)
  const text = `${label} from p${author} ${Date.now()}`
  await peers[author].push(text)
  const after = await delivered(peers, text)
  return sum(sentBetween(before, after, 'update').filter((_, n) => n !== author))
}

/**
 * Waits until the mesh is settled as its people would see it: a round in which each peer writes a
 * line that reaches every other with nobody relaying it. Until the others hold a peer's
 * advertisement of its links (sent ADVERTISE_DEBOUNCE_MS after they change, and after each one
 * connects), they pass its lines on to the links it did not name, as they should. A line from one
 * peer shows only that peer's advertisement arrived: on 65ac964 one peer's lacked a link when the
 * count began (CI), and three peers relayed its message to that link.
 */
async function settled(peers: NodePeer[]): Promise<void> {
  await expect
    .poll(
      async () => {
        let relays = 0
        for (const author of peers.keys()) relays += await relaysOfLine(peers, author, 'warm-up')
        return relays
      },
      { timeout: MESH_TIMEOUT_MS, interval: 200 },
    )
    .toBe(0)
}

describe('relay pruning in a full mesh', () => {
  it(
    'costs N−1 update sends per chat message and N−1 awareness sends per presence change: no peer relays',
    async () => {
      const peers = await fullMesh(Array.from({ length: FULL_MESH_SIZE }, () => 'parley'))
      await settled(peers)
      const before = await states(peers)
      await peers[2].push('hello')
      const after = await delivered(peers, 'hello')
      // Only the author sends, once to each link.
      const onlyFrom = (author: number): number[] => peers.map((_, n) => (n === author ? FULL_MESH_SIZE - 1 : 0))
      expect(sentBetween(before, after, 'update')).toEqual(onlyFrom(2))

      await peers[3].setAwareness({ name: 'p3', mark: 1 })
      const client = after[3].clientId
      await expect
        .poll(async () =>
          (await states(peers)).every((state) =>
            state.awareness.some((e) => e.client === client && (e.state as { mark?: number }).mark === 1),
          ),
        )
        .toBe(true)
      const presence = await states(peers)
      expect(sentBetween(after, presence, 'awareness')).toEqual(onlyFrom(3))
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )

  it(
    'advertises a link once it connects, though its peer had said all it had to before: nobody relays the linked peer’s messages',
    async () => {
      const topic = signaling.topic()
      // No awareness renewals: only the test's lines make a peer speak on its links once they are up.
      const quiet = { kind: 'parley', topic, renewAwareness: false } as const
      const first = await Promise.all([0, 1].map((n) => signaling.startPeer({ ...quiet, awareness: { name: `p${n}` } })))
      await untilFullMesh(first)
      // The third counts each link connected 2 s after its channels opened: the others' sync
      // requests, answers and awareness reach it, and its answers them, before. On 65ac964 it
      // advertised the links it had connected when they spoke, none, until one spoke again.
      const late = await signaling.startPeer({ ...quiet, awareness: { name: 'p2' }, getStatsDelayMs: 2000 })
      const peers = [...first, late]
      await untilFullMesh(peers)
      // Its lines, until one reaches both others with nobody relaying it. Nothing else reaches it
      // (the others write nothing, their awareness renews nothing): on 65ac964 the others relayed
      // each of its lines to each other for good, having never heard it was linked to both.
      await expect.poll(() => relaysOfLine(peers, 2, 'line'), { timeout: DELIVERY_TIMEOUT_MS, interval: 200 }).toBe(0)
      // Not because a link was lost meanwhile.
      expect((await states(peers)).map((state) => state.links.length)).toEqual([2, 2, 2])
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )

  it(
    'stock y-webrtc, for comparison: every peer sends every update it gets to all its links, N·(N−1)',
    async () => {
      const peers = await stockMeshOneByOne(FULL_MESH_SIZE)
      const before = await states(peers)
      await peers[2].push('hello')
      const text = 'hello'
      // Stock peers relay at once, as they apply; N·(N−1) is every peer to every link. At least:
      // the exact count timed out once under load (the rooms bench saw stock holding more open
      // channels than connected links); a counter that missed relays would still fail here.
      await expect
        .poll(async () => sum(sentBetween(before, await states(peers), 'update')), { timeout: DELIVERY_TIMEOUT_MS })
        .toBeGreaterThanOrEqual(FULL_MESH_SIZE * (FULL_MESH_SIZE - 1))
      expect((await states(peers)).every((state) => state.texts.includes(text))).toBe(true)
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )

  it(
    'still brings a stock peer every message and every presence change, and takes its own',
    async () => {
      const kinds: Kind[] = ['parley', 'parley', 'stock', 'parley', 'parley']
      const peers = await fullMesh(kinds)
      await peers[0].push('from parley')
      await delivered(peers, 'from parley')
      await peers[2].push('from stock')
      await delivered(peers, 'from stock')
      await peers[4].setAwareness({ name: 'p4', mark: 2 })
      const client = (await peers[4].state()).clientId
      await expect
        .poll(
          async () => (await peers[2].state()).awareness.some((e) => e.client === client && (e.state as { mark?: number }).mark === 2),
          {
            timeout: DELIVERY_TIMEOUT_MS,
          },
        )
        .toBe(true)
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )
})

/**
 * 8 peers, maxConns 4 but the first two (2 and 3) so that they do not close a clique: a band
 * 0-1-2-…-7 where each peer is linked to the next two, four hops from end to end.
 */
const BAND_MAX_CONNS = [2, 3, 4, 4, 4, 4, 4, 4]

/** Starts the band one peer at a time, each once the links it should have are up; returns the peers in order. */
function band(kinds: Kind[]): Promise<NodePeer[]> {
  return startOneByOne(signaling, signaling.topic(), BAND_MAX_CONNS, kinds, MESH_TIMEOUT_MS)
}

describe('relay pruning in a partial mesh (maxConns)', () => {
  for (const kinds of [
    ['parley', 'parley', 'parley', 'parley', 'parley', 'parley', 'parley', 'parley'],
    ['parley', 'parley', 'parley', 'stock', 'parley', 'parley', 'parley', 'parley'],
  ] as Kind[][]) {
    it(
      `brings every message and presence change to all 8 peers, ${kinds.includes('stock') ? 'a stock peer among them' : 'all Parley'}`,
      async () => {
        const peers = await band(kinds)
        const edges = sum(BAND_MAX_CONNS.map((_, n) => joinedOneByOne(BAND_MAX_CONNS)[n].size))
        const authors = [0, 7, 3, 5]
        let before = await states(peers)
        const perMessage: number[] = []
        for (const author of authors) {
          const text = `from p${author}`
          await peers[author].push(text)
          const after = await delivered(peers, text)
          perMessage.push(sum(sentBetween(before, after, 'update')))
          before = after
        }
        // 100 % delivery, at both ends of the band, in order of arrival or not.
        for (const state of before) expect(new Set(state.texts)).toEqual(new Set(authors.map((author) => `from p${author}`)))
        // Fewer sends than flooding (every peer to every link), and at least one per peer.
        for (const sends of perMessage) {
          expect(sends).toBeGreaterThanOrEqual(peers.length - 1)
          expect(sends).toBeLessThanOrEqual(edges)
        }
        // A presence change at one end reaches the other end, four hops away.
        await peers[0].setAwareness({ name: 'p0', mark: 3 })
        const client = before[0].clientId
        await expect
          .poll(
            async () =>
              (await states(peers)).every((state) =>
                state.awareness.some((e) => e.client === client && (e.state as { mark?: number }).mark === 3),
              ),
            { timeout: DELIVERY_TIMEOUT_MS },
          )
          .toBe(true)
      },
      PARTIAL_MESH_TEST_TIMEOUT_MS,
    )
  }
})

describe('relay repair', () => {
  it(
    'gets a peer what it lacks once a lost link makes the peers compare digests',
    async () => {
      const topic = signaling.topic()
      // This peer's changes are held: they never go out as updates, so only a repair can carry them.
      const { doc, transport } = openLocalTransport(signaling, topic, new HeldChanges())
      const [remote, third] = await Promise.all(
        [1, 2].map((n) => signaling.startPeer({ kind: 'parley', topic, awareness: { name: `p${n}` } })),
      )
      await expect
        .poll(async () => transport.links().length === 2 && (await states([remote, third])).every((state) => state.links.length === 2), {
          timeout: MESH_TIMEOUT_MS,
          interval: 250,
        })
        .toBe(true)

      doc.getArray<string>('texts').push(['withheld'])
      expect((await remote.state()).texts).toEqual([])
      // The third peer leaves: both others lost a neighbour, and compare digests after DIGEST_SETTLE_MS.
      await third.close()
      await expect.poll(async () => (await remote.state()).texts, { timeout: DELIVERY_TIMEOUT_MS }).toEqual(['withheld'])
      expect((await remote.state()).relay?.repairRequests).toBeGreaterThan(0)
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )
})

describe('a batch past the peers’ byte budget', () => {
  it(
    'is left to the digests instead of sent, so that peers which have it (a relayed history) keep the link',
    async () => {
      const topic = signaling.topic()
      const held = new HeldChanges()
      const { doc, transport } = openLocalTransport(signaling, topic, held)
      // A history over SYNC_BYTES_BURST, and a marker that arrives with it.
      doc.getText('history').insert(0, 'h'.repeat(6 * 1024 * 1024))
      doc.getArray<string>('texts').push(['history'])
      const remote = await signaling.startPeer({ kind: 'parley', topic, awareness: { name: 'p1' } })
      // The remote's first request is answered with the whole history (its guard allows that much).
      await expect.poll(async () => (await remote.state()).texts, { timeout: MESH_TIMEOUT_MS }).toEqual(['history'])
      const framed = transport.stats().framing.framedMessages
      // The same history again as one batch, as a joiner relays what it just got: the remote has it.
      held.deliver(Y.encodeStateAsUpdate(doc))
      const before = Y.encodeStateVector(doc)
      doc.getArray<string>('texts').push(['after'])
      held.deliver(Y.encodeStateAsUpdate(doc, before))
      await expect.poll(async () => (await remote.state()).texts, { timeout: DELIVERY_TIMEOUT_MS }).toEqual(['history', 'after'])
      expect(transport.stats().framing.framedMessages).toBe(framed) // on main: sent, and the remote drops the link
      expect(transport.links()).toHaveLength(1)
      expect(transport.stats().relay.leftToRepair).toBe(1)
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )
})

describe('a batch past the records a peer sends at once', () => {
  it(
    'is left to the digests instead of sent, so that a peer’s guard never takes the relaying page for a flooder',
    async () => {
      const topic = signaling.topic()
      const held = new HeldChanges()
      const { doc, transport } = openLocalTransport(signaling, topic, held)
      doc.getArray<string>('texts').push(['first'])
      const remote = await signaling.startPeer({ kind: 'parley', topic, awareness: { name: 'p1' } })
      await expect.poll(async () => (await remote.state()).texts, { timeout: MESH_TIMEOUT_MS }).toEqual(['first'])
      // More records in one batch than RELAYED_RECORDS_BURST (250): a history loaded from storage
      // or a sibling tab, or a large relayed batch. Sent, the remote's guard would count them
      // against its records burst (500) with whatever came before.
      const before = Y.encodeStateVector(doc)
      doc.getArray<string>('texts').push(Array.from({ length: 400 }, (_, n) => `batch ${n}`))
      held.deliver(Y.encodeStateAsUpdate(doc, before))
      // A person's own message right after (30 records or fewer) is sent whatever the budget.
      const mine = Y.encodeStateVector(doc)
      doc.getArray<string>('texts').push(['mine'])
      held.deliver(Y.encodeStateAsUpdate(doc, mine))
      // The digests bring the rest: the remote asks, and an answer is not counted.
      await expect.poll(async () => (await remote.state()).texts.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(402)
      expect(transport.stats().relay.leftToRepair).toBe(1) // on main: 0, the batch sent
      expect(transport.links()).toHaveLength(1)
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )
})

describe('a batch cut in parts', () => {
  it(
    'sends the rest where the first part went (PARTS_FOLLOW): none of it back to the link that brought the changes',
    async () => {
      const topic = signaling.topic()
      const held = new HeldChanges()
      const { doc, transport } = openLocalTransport(signaling, topic, held)
      const texts = doc.getArray<string>('texts')
      const remote = await signaling.startPeer({ kind: 'parley', topic, awareness: { name: 'p1' } })
      await expect.poll(() => transport.links().length, { timeout: MESH_TIMEOUT_MS }).toBe(1)
      // Changes the remote brought, passed on in two parts as history/deferred-updates.ts cuts a
      // large batch: the first part with `more`, its rest after it.
      await remote.pushAll(['one', 'two'])
      await expect.poll(() => texts.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(2)
      const before = await remote.state()
      const pruned = transport.stats().relay.pruned
      const whole = Y.encodeStateAsUpdate(doc)
      held.deliver(whole, true)
      held.deliver(whole)
      // A line written here after them goes to every link; once the remote holds it, whatever the
      // parts were sent to has arrived (the channel is ordered).
      const marker = Y.encodeStateVector(doc)
      texts.push(['marker'])
      held.deliver(Y.encodeStateAsUpdate(doc, marker))
      await expect.poll(async () => (await remote.state()).texts, { timeout: DELIVERY_TIMEOUT_MS }).toContain('marker')
      const after = await remote.state()
      expect(after.received.update - before.received.update).toBe(1) // the marker; without PARTS_FOLLOW the rest too
      expect(transport.stats().relay.pruned - pruned).toBe(2) // both parts kept from the link they came by
    },
    FULL_MESH_TEST_TIMEOUT_MS,
  )
})

describe('a stock peer left out of a batch', () => {
  for (const order of ['as they come', 'relayed first'] as const) {
    it(
      order === 'as they come'
        ? 'catches up in parts within the relay’s budget, and no Parley peer takes it for a flooder'
        : 'catches up with no copy of its own writing that reached the page first through the Parley peer',
      async () => {
        const topic = signaling.topic()
        const held = new HeldChanges()
        const sends = new UpdateSends()
        const arrivals = new UpdateArrivals()
        // Yjs writes an update's writers from the highest client id down, and a catch-up's parts are
        // cut in that order: with the page's the lowest, the stock peer's own records, if it were sent
        // them, would go in the first part, before it holds all 701 lines.
        const pageDoc = new Y.Doc()
        pageDoc.clientID = 1
        const rtc = sends.wrap(arrivals.wrap(nodeRtc('node-datachannel')))
        const { doc, transport } = openLocalTransport(signaling, topic, held, pageDoc, rtc)
        const texts = doc.getArray<string>('texts')
        const [stock, parley] = await Promise.all([
          signaling.startPeer({ kind: 'stock', topic, awareness: { name: 'stock' } }),
          signaling.startPeer({ kind: 'parley', topic, awareness: { name: 'parley' } }),
        ])
        const peers = [stock, parley]
        await expect
          .poll(async () => transport.links().length === 2 && (await states(peers)).every((state) => state.links.length === 2), {
            timeout: MESH_TIMEOUT_MS,
            interval: 250,
          })
          .toBe(true)
        const write = (lines: string[]): void => {
          const before = Y.encodeStateVector(doc)
          texts.push(lines)
          held.deliver(Y.encodeStateAsUpdate(doc, before))
        }
        write(['first'])
        await delivered(peers, 'first')
        // The stock peer writes 100 lines, which the page holds and has not passed on yet. The Parley
        // peer relays them to the page too (a stock peer's neighbours are unknown), and that copy may
        // come first (CI on d895661); then the stock peer's own brings nothing new. Here it is made
        // to: the stock peer's sends to the page wait until the page holds the lines.
        const stockClient = (await stock.state()).clientId
        if (order === 'relayed first') {
          const parleyId = (await parley.state()).peerId
          const pageId = (await stock.state()).links.find((id) => id !== parleyId)
          if (pageId === undefined) throw new Error('the stock peer has no link to the page')
          await stock.holdSends(pageId)
        }
        const sinceFirst = Y.encodeStateVector(doc)
        await stock.pushAll(Array.from({ length: 100 }, (_, n) => `stock ${n}`))
        await expect.poll(() => texts.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(101)
        if (order === 'relayed first') {
          expect(arrivals.linksBringing(stockClient, 100)).toBe(1) // the Parley peer's copy alone
          await stock.releaseSends()
        }
        // Both copies came, the stock peer's own among them: all that tells the page what it holds.
        await expect.poll(() => arrivals.linksBringing(stockClient, 100), { timeout: DELIVERY_TIMEOUT_MS }).toBe(2)
        // Those and 600 new records in one batch (as a history loaded from storage, or one that
        // resolved changes waiting for it, holds copies): past RELAYED_RECORDS_BURST, left to the
        // digests. The Parley peer asks for it; the stock peer compares no digests. Sent whole, the
        // stock peer would pass the 600 on to the Parley peer, whose guard takes at most 500 new
        // records at once.
        texts.push(Array.from({ length: 600 }, (_, n) => `batch ${n}`))
        held.deliver(Y.encodeStateAsUpdate(doc, sinceFirst))
        expect(transport.stats().relay.leftToRepair).toBe(1)
        // On main the stock peer keeps its 101 lines for as long as its links last.
        await expect.poll(async () => (await stock.state()).texts.length, { timeout: CATCH_UP_TIMEOUT_MS }).toBe(701)
        await expect.poll(async () => (await parley.state()).texts.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(701)
        // Nobody was taken for a flooder: every link is up, no guard banned anyone.
        const after = await states(peers)
        expect(after.map((state) => [state.links.length, state.bannedPeers])).toEqual([
          [2, null],
          [2, 0],
        ])
        expect(transport.links()).toHaveLength(2)
        expect(transport.stats().bannedPeers).toBe(0)
        // In parts of at most CATCH_UP_PART_RECORDS, and what went to each link (relayed or caught
        // up) fits the relay's budget when replayed at the times it was sent.
        // The stock peer was sent the 600 it lacked, not its own 100 back (on d895661, 700 when its
        // copy came after the Parley peer's: its records were noted only when new here).
        const { caughtUp, caughtUpRecords } = transport.stats().relay
        expect(caughtUp).toBeGreaterThanOrEqual(600 / CATCH_UP_PART_RECORDS)
        expect(caughtUpRecords).toBe(600)
        for (const link of sends.byLink()) {
          const budget = new RecordBuckets(RELAYED_RECORD_LIMITS, link[0].at)
          for (const { at, records } of link) {
            budget.refill(at)
            expect(records).toBeLessThanOrEqual(CATCH_UP_PART_RECORDS)
            expect(budget.fits(records), `${records} records at ${at - link[0].at} ms`).toBe(true)
            budget.spend(records)
          }
        }
      },
      FULL_MESH_TEST_TIMEOUT_MS,
    )
  }

  it(
    'at the end of a line of a partial mesh gets a large write the Parley peer between relays past its budget',
    async () => {
      // p0 - p1 - stock: the stock peer hears p0 only through p1.
      const peers = await startOneByOne(signaling, signaling.topic(), [1, 2, 1], ['parley', 'parley', 'stock'], MESH_TIMEOUT_MS)
      const [writer, between, stock] = peers
      await writer.push('first')
      await delivered(peers, 'first')
      // 400 lines in one transaction: p0's own batch past RELAYED_RECORDS_BURST, left to the
      // digests; p1 asks for it, and passes it on in two parts of 200, the second past its budget.
      await writer.pushAll(Array.from({ length: 400 }, (_, n) => `line ${n}`))
      await expect.poll(async () => (await between.state()).texts.length, { timeout: DELIVERY_TIMEOUT_MS }).toBe(401)
      // On main the stock peer keeps the first part's 201 lines for as long as its link lasts.
      await expect.poll(async () => (await stock.state()).texts.length, { timeout: CATCH_UP_TIMEOUT_MS }).toBe(401)
      const after = await states(peers)
      expect(after.map((state) => [state.links.length, state.bannedPeers])).toEqual([
        [1, 0],
        [2, 0],
        [1, null],
      ])
    },
    PARTIAL_MESH_TEST_TIMEOUT_MS,
  )
})
