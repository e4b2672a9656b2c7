// Convergence of room histories over a seeded faulty network: peers write while messages are
// dropped, delayed, reordered and partitioned; once healed, every peer holds every message, in
// one order, and its incrementally kept list (appends in place, resets) matches the document.
// A failure names its seed; replay one with PARLEY_SEED=<seed>.
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { appendMessage, newMessages, observeMessages, readMessages } from '../../src/history/messages.js'
import type { MessageRecord } from '../../src/history/schema.js'
import { SimNetwork } from './sim-network.js'

/** Seeds run by default; PARLEY_SEED runs that one alone. */
const SEEDS = process.env.PARLEY_SEED !== undefined ? [Number(process.env.PARLEY_SEED)] : Array.from({ length: 40 }, (_, i) => 1000 + i)
const PEERS = 4
/** Ticks of random writing, splitting and healing. */
const CHAOS_TICKS = 300
/** Ticks allowed to converge after the last heal, with anti-entropy rounds. */
const SETTLE_TICKS = 400

const record = (peer: number, n: number, now: number): MessageRecord => ({
  id: `p${peer}-${n}`,
  authorId: `user-${peer}`,
  authorName: `Peer ${peer}`,
  text: `message ${n} from peer ${peer}`,
  sentAt: now,
})

/** A peer's message list kept as Room keeps it: grown in place on appends, replaced on resets. */
function incrementalList(doc: Y.Doc): { list: () => MessageRecord[]; resets: () => number } {
  let list = readMessages(doc).messages
  let resets = 0
  observeMessages(doc, (change) => {
    if (change.kind === 'append') for (const message of change.batch.messages) list.push(message)
    else {
      resets++
      list = change.batch.messages
    }
  })
  return { list: () => list, resets: () => resets }
}

/** Runs one seeded scenario; returns what each peer ended with, and what was written. */
function run(seed: number) {
  const net = new SimNetwork(PEERS, seed, { dropRate: 0.2, maxDelayTicks: 8 })
  const lists = net.docs.map(incrementalList)
  const written: string[] = []
  const counters = net.docs.map(() => 0)
  for (let tick = 0; tick < CHAOS_TICKS; tick++) {
    const roll = net.random()
    if (roll < 0.3) {
      const peer = Math.floor(net.random() * PEERS)
      const message = record(peer, counters[peer]++, net.now)
      appendMessage(net.docs[peer], message)
      written.push(message.id)
    } else if (roll < 0.33) {
      net.partition(net.docs.map(() => Math.floor(net.random() * 2)))
    } else if (roll < 0.36) {
      net.heal()
    } else if (roll < 0.4) {
      // A link reconnects somewhere (y-webrtc resyncs on every new connection).
      net.connect(Math.floor(net.random() * PEERS), Math.floor(net.random() * PEERS))
    }
    net.tick()
  }
  net.heal()
  net.faults = { dropRate: 0, maxDelayTicks: 8 }
  for (let tick = 0; tick < SETTLE_TICKS && (tick < 20 || net.busy); tick++) {
    if (tick % 20 === 0) for (let a = 0; a < PEERS; a++) for (let b = 0; b < PEERS; b++) if (a !== b) net.connect(a, b)
    net.tick()
  }
  const result = {
    written,
    orders: net.docs.map((doc) => readMessages(doc).messages.map((message) => message.id)),
    incremental: lists.map((list) => list.list().map((message) => message.id)),
    resets: lists.reduce((sum, list) => sum + list.resets(), 0),
  }
  net.destroy()
  return result
}

describe('histories over a faulty network', () => {
  it.each(SEEDS)('seed %i: every peer ends with every message, in one order', (seed) => {
    const { written, orders, incremental } = run(seed)
    const where = `seed ${seed} (replay: PARLEY_SEED=${seed} npx vitest run test/room/history-convergence.test.ts)`
    expect(written.length, where).toBeGreaterThan(0)
    for (const order of orders) {
      expect(order, where).toEqual(orders[0])
      expect([...order].sort(), where).toEqual([...written].sort())
    }
    expect(incremental, where).toEqual(orders)
  })

  // Runs the scenarios again, up to all of them: time for a loaded machine (it took 5 s there).
  it('exercises concurrent inserts, not only appends', { timeout: 60_000 }, () => {
    // Without splits, every change would be an append; the scenarios must reach the reset path.
    // One seed that does is proof enough: stop at the first.
    expect(SEEDS.some((seed) => run(seed).resets > 0)).toBe(true)
  })
})

describe('newMessages', () => {
  it('finds what a reset brought, by id, in the new order, without touching its inputs', () => {
    const a = record(1, 1, 1)
    const b = record(2, 1, 2)
    const c = record(3, 1, 3)
    const before = Object.freeze([a, c])
    const after = Object.freeze([a, b, c])
    expect(newMessages(before, after)).toEqual([b])
    expect(newMessages(after, before)).toEqual([])
    expect(before).toEqual([a, c])
  })
})
