// Per-author budgets: the token bucket itself, authors kept apart, and the shown messages
// converging over a seeded faulty network while one peer floods (same hidden records everywhere).
// A failure names its seed; replay one with PARLEY_SEED=<seed>.
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import {
  AuthorBudgets,
  CHECKED_NEWEST,
  FORGERIES_SHOWN,
  forgedLaneOf,
  fullBucket,
  recordBytes,
  spend,
  type BudgetLimits,
  type SignatureState,
} from '../../src/history/author-budget.js'
import { appendMessage, observeMessages, readMessages, withoutCopies } from '../../src/history/messages.js'
import type { MessageRecord } from '../../src/history/schema.js'
import { seededRandom } from '../support/seeded-random.js'
import { SimNetwork } from './sim-network.js'

const LIMITS: BudgetLimits = { messagesPerSecond: 2, messageBurst: 5, bytesPerSecond: 1000, byteBurst: 2000 }

const record = (author: string, n: number, sentAt: number, text = `message ${n}`): MessageRecord => ({
  id: `${author}-${n}`,
  authorId: `user-${author}`,
  authorName: author,
  text,
  sentAt,
})

describe('spend', () => {
  it('pays a burst at once, then what the rate refills', () => {
    let bucket = fullBucket(LIMITS, 0)
    for (let i = 0; i < LIMITS.messageBurst; i++) {
      const next = spend(bucket, LIMITS, 10, 0)
      expect(next, `message ${i}`).not.toBeNull()
      bucket = next!
    }
    expect(spend(bucket, LIMITS, 10, 0)).toBeNull()
    // 2 per second: half a second refills one message.
    expect(spend(bucket, LIMITS, 10, 499)).toBeNull()
    expect(spend(bucket, LIMITS, 10, 500)).not.toBeNull()
  })

  it('refuses what the bytes cannot pay, even with messages left', () => {
    const bucket = fullBucket(LIMITS, 0)
    expect(spend(bucket, LIMITS, LIMITS.byteBurst + 1, 0)).toBeNull()
    const after = spend(bucket, LIMITS, LIMITS.byteBurst, 0)!
    expect(spend(after, LIMITS, 1, 0)).toBeNull()
    expect(spend(after, LIMITS, 1000, 1000)).not.toBeNull()
  })

  it('refills nothing for a time earlier than the last, and never mutates the bucket', () => {
    const bucket = Object.freeze({ messages: 0, bytes: 0, at: 10_000 })
    expect(spend(bucket, LIMITS, 1, 0)).toBeNull()
    expect(spend(bucket, LIMITS, 1, 9_000)).toBeNull()
    expect(spend(bucket, LIMITS, 1, 10_500)).toEqual({ messages: 0, bytes: 499, at: 10_500 })
    expect(bucket).toEqual({ messages: 0, bytes: 0, at: 10_000 })
  })

  it('never holds more than the burst, however long the author was quiet', () => {
    const after = spend(fullBucket(LIMITS, 0), LIMITS, 10, 1e12)!
    expect(after.messages).toBe(LIMITS.messageBurst - 1)
    expect(after.bytes).toBe(LIMITS.byteBurst - 10)
  })
})

describe('AuthorBudgets', () => {
  it('hides what a flooding author writes past the burst, and nothing of anyone else', () => {
    const budgets = new AuthorBudgets(LIMITS)
    const flood = Array.from({ length: 100 }, (_, n) => record('flooder', n, 1000 + n))
    const alice = Array.from({ length: 5 }, (_, n) => record('alice', n, 1000 + n * 20))
    const interleaved = flood.flatMap((message, n) => (n % 20 === 0 ? [message, alice[n / 20]] : [message]))
    const shown = budgets.admit(interleaved)
    expect(shown.filter((message) => message.authorId === 'user-alice')).toEqual(alice)
    expect(shown.filter((message) => message.authorId === 'user-flooder')).toEqual(flood.slice(0, LIMITS.messageBurst))
    // Its line sits after the newest hidden record, the flood's last: every shown one is before it.
    expect(budgets.hidden.get('user-flooder')).toEqual({ authorName: 'flooder', count: 100 - LIMITS.messageBurst, after: shown.length })
    expect(budgets.hidden.has('user-alice')).toBe(false)
    expect(budgets.hiddenTotal).toBe(100 - LIMITS.messageBurst)
  })

  it('places a lane’s line after its newest hidden record, as the flood goes on and stops', () => {
    const budgets = new AuthorBudgets(LIMITS)
    // A burst past the budget, then the author's pace (the bucket refilled), then another burst.
    const first = Array.from({ length: 8 }, (_, n) => record('flooder', n, 1000 + n))
    const paced = Array.from({ length: 20 }, (_, n) => record('flooder', 100 + n, 60_000 + n * 500))
    const second = Array.from({ length: 8 }, (_, n) => record('flooder', 200 + n, 120_000 + n))
    const shown = budgets.admit(first)
    expect(budgets.hidden.get('user-flooder')).toEqual({ authorName: 'flooder', count: 3, after: LIMITS.messageBurst })
    // Shown records after the hidden ones leave the line where the newest hidden one is.
    shown.push(...budgets.admit(paced))
    expect(shown).toHaveLength(LIMITS.messageBurst + paced.length)
    expect(budgets.hidden.get('user-flooder')?.after).toBe(LIMITS.messageBurst)
    // The flood hides again: the line moves down to its newest hidden record (on main it stayed where it was first placed).
    shown.push(...budgets.admit([...second, record('alice', 0, 120_010)]))
    expect(budgets.hidden.get('user-flooder')).toEqual({ authorName: 'flooder', count: 6, after: 2 * LIMITS.messageBurst + paced.length })
    expect(shown.at(-1)?.authorId).toBe('user-alice')
  })

  it('shows a history written at a human pace, however much of it arrives at once', () => {
    const history = Array.from({ length: 10_000 }, (_, n) => record('seeder', n, n * 1000))
    const budgets = new AuthorBudgets(LIMITS)
    expect(budgets.admit(history)).toHaveLength(history.length)
    expect(budgets.hiddenTotal).toBe(0)
  })

  it('charges long messages by their size', () => {
    const budgets = new AuthorBudgets(LIMITS)
    const long = Array.from({ length: 3 }, (_, n) => record('bob', n, 0, 'x'.repeat(900)))
    expect(recordBytes(long[0])).toBeGreaterThan(900)
    expect(budgets.admit(long)).toEqual(long.slice(0, 1))
  })
})

/** Alice writes at a person's pace; a forger writes records claiming her id, as fast as it likes. */
function forgedFlood(forgeries: number): { real: MessageRecord[]; forged: MessageRecord[]; all: MessageRecord[] } {
  const real = Array.from({ length: 4 }, (_, n) => record('alice', n, 1000 + n * 10_000))
  const forged = Array.from({ length: forgeries }, (_, n) => ({ ...record('alice', n, 1000 + n), id: `forged-${n}` }))
  // Each real message after a run of forgeries that claim earlier times.
  const all = real.flatMap((message, n) => [...forged.slice((n * forgeries) / 4, ((n + 1) * forgeries) / 4), message])
  return { real, forged, all }
}

/** What the room does: admit, check what the budgets doubt, and admit again while a check finds a forgery. */
function admitChecking(
  records: readonly MessageRecord[],
  isForged: (record: MessageRecord) => boolean,
  suspectFound = false,
): { shown: MessageRecord[]; budgets: AuthorBudgets; checked: number; rounds: number } {
  const known = new Map<MessageRecord, SignatureState>()
  const stateOf = (each: MessageRecord): SignatureState => known.get(each) ?? 'unchecked'
  const forgedUnder = new Set<string>()
  let checked = 0
  for (let rounds = 1; ; rounds++) {
    const budgets = new AuthorBudgets(LIMITS, stateOf, (authorId) => suspectFound && forgedUnder.has(authorId))
    const shown = budgets.admit(records)
    let found = false
    for (let doubted = budgets.doubted(); doubted.length > 0; doubted = budgets.doubted()) {
      const presumed = doubted.map((each) => budgets.presumedForged(each))
      doubted.forEach((each, index) => {
        checked++
        known.set(each, isForged(each) ? 'bad' : 'good')
        if (isForged(each)) forgedUnder.add(each.authorId)
        // Charged to the wrong lane: admit again.
        found ||= isForged(each) !== presumed[index]
      })
      if (found) break
    }
    if (!found) return { shown, budgets, checked, rounds }
  }
}

describe('AuthorBudgets and forgeries', () => {
  it('charges records known to be forged to a lane of their own, never to the author', () => {
    const { real, forged, all } = forgedFlood(100)
    const budgets = new AuthorBudgets(LIMITS, (each) => (each.id.startsWith('forged') ? 'bad' : 'good'))
    const shown = budgets.admit(all)
    expect(shown.filter((each) => !each.id.startsWith('forged'))).toEqual(real)
    expect(shown.filter((each) => each.id.startsWith('forged'))).toEqual(forged.slice(0, LIMITS.messageBurst))
    expect(budgets.hidden.has('user-alice')).toBe(false)
    expect(budgets.hidden.get(forgedLaneOf('user-alice'))).toMatchObject({
      authorName: 'alice',
      count: 100 - LIMITS.messageBurst,
      forged: true,
    })
    // Nothing to doubt: the author's lane hid nothing.
    expect(budgets.doubted()).toEqual([])
  })

  it('shows a few forgeries per claimed id, whatever times they claim, so they cannot fill the log', () => {
    // Claimed a minute apart: far slower than a lane refills, so a rate alone would show them all.
    const spaced = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, n) => ({ ...record('alice', n, 1000 + n * 60_000), id: `${prefix}-${n}` }))
    const forged = spaced('forged', 100)
    const real = record('alice', 100, 1000 + 100 * 60_000)
    const budgets = new AuthorBudgets(LIMITS, (each) => (each.id.startsWith('forged') ? 'bad' : 'good'))
    const shown = budgets.admit([...forged, real])
    expect(shown).toEqual([...forged.slice(0, FORGERIES_SHOWN), real])
    expect(budgets.hidden.get(forgedLaneOf('user-alice'))).toMatchObject({
      authorName: 'alice',
      count: 100 - FORGERIES_SHOWN,
      forged: true,
    })
    // Records charged as forged until checked (a suspect id's) count alike.
    const presumed = new AuthorBudgets(
      LIMITS,
      () => 'unchecked',
      () => true,
    ).admit(forged)
    expect(presumed).toEqual(forged.slice(0, FORGERIES_SHOWN))
    // Unsigned records (a stock client's) are not proven forged: the lane's rate alone applies.
    const unsigned = spaced('unsigned', 100)
    expect(new AuthorBudgets(LIMITS, () => 'unsigned').admit(unsigned)).toEqual(unsigned)
  })

  it('before any check, forgeries spend the author’s budget, and the budgets doubt what they showed', () => {
    const { real, all } = forgedFlood(100)
    const budgets = new AuthorBudgets(LIMITS)
    const shown = budgets.admit(all)
    expect(shown.filter((each) => !each.id.startsWith('forged')).length).toBeLessThan(real.length)
    const doubted = budgets.doubted()
    expect(doubted).toEqual(shown)
    // Each record is handed out once.
    expect(budgets.doubted()).toEqual([])
  })

  it('shows every real message once the doubted records are checked, and checks only what was shown', () => {
    const { real, forged, all } = forgedFlood(400)
    const { shown, budgets, checked } = admitChecking(all, (each) => each.id.startsWith('forged'))
    expect(shown.filter((each) => !each.id.startsWith('forged'))).toEqual(real)
    expect(budgets.hidden.has('user-alice')).toBe(false)
    // Forgeries that fit what is left of Alice's lane show there unchecked (drawn, they are
    // marked unverified); at most a burst more than if every signature had been known.
    const known = new AuthorBudgets(LIMITS, (each) => (each.id.startsWith('forged') ? 'bad' : 'good')).admit(all)
    const forgedShown = (list: MessageRecord[]) => list.filter((each) => each.id.startsWith('forged')).length
    expect(forgedShown(shown)).toBeLessThanOrEqual(forgedShown(known) + LIMITS.messageBurst)
    expect(budgets.hidden.get(forgedLaneOf('user-alice'))?.forged).toBe(true)
    // The real messages, and the forgeries each shown once before their check.
    expect(checked).toBeLessThanOrEqual(real.length + forged.length)
  })

  it('takes a round or two of checks, not one per burst, once forgeries were found under an id', () => {
    const { real, all } = forgedFlood(1000)
    const slow = admitChecking(all, (each) => each.id.startsWith('forged'))
    const fast = admitChecking(all, (each) => each.id.startsWith('forged'), true)
    expect(slow.rounds).toBeGreaterThan(10)
    expect(fast.rounds).toBeLessThanOrEqual(3)
    const realOf = (list: MessageRecord[]) => list.filter((each) => !each.id.startsWith('forged'))
    expect(realOf(fast.shown)).toEqual(real)
    expect(realOf(slow.shown)).toEqual(real)
  })

  it('never checks the hidden excess of an author who floods under their own key', () => {
    const flood = Array.from({ length: 1000 }, (_, n) => record('flooder', n, 1000 + n))
    const { shown, checked } = admitChecking(flood, () => false)
    expect(shown).toEqual(new AuthorBudgets(LIMITS).admit(flood))
    expect(shown.length).toBeLessThan(LIMITS.messageBurst + 5)
    expect(checked).toBe(shown.length)
  })

  it('doubts the newest records shown and all a lane that hid one showed, not a whole quiet history', () => {
    // A joiner's (or a reloaded page's) history: a person's pace, so no lane hides one.
    const quiet = Array.from({ length: 4 * CHECKED_NEWEST }, (_, n) => record('alice', n, 1000 + n * 10_000))
    const budgets = new AuthorBudgets(LIMITS)
    expect(budgets.admit(quiet)).toEqual(quiet)
    expect(budgets.doubted()).toEqual(quiet.slice(-CHECKED_NEWEST))
    // What comes after lands among the newest: each is doubted as it comes, whatever time it claims.
    const later = record('alice', quiet.length, 1000)
    budgets.admit([later])
    expect(budgets.doubted()).toEqual([later])
    // Bob floods under his own key: his lane hides, so all it showed is doubted (and only that).
    const flood = Array.from({ length: 100 }, (_, n) => record('bob', n, 1000 + n))
    const shown = budgets.admit(flood)
    expect(shown.length).toBeLessThan(flood.length)
    expect(budgets.doubted()).toEqual(shown)
    expect(budgets.doubted()).toEqual([])
  })

  it('finds a forger spacing its claimed times after a long quiet history, and shows a few of its forgeries', () => {
    const quiet = Array.from({ length: 4 * CHECKED_NEWEST }, (_, n) => record('alice', n, 1000 + n * 10_000))
    // Forgeries under Alice's id, a minute apart: they never make her lane hide one.
    const spaced = Array.from({ length: CHECKED_NEWEST + 50 }, (_, n) => ({
      ...record('alice', quiet.length + n, 1000 + quiet.length * 10_000 + n * 60_000),
      id: `forged-${n}`,
    }))
    const isForged = (each: MessageRecord) => each.id.startsWith('forged')
    for (const suspectFound of [false, true]) {
      const { shown, checked } = admitChecking([...quiet, ...spaced], isForged, suspectFound)
      expect(shown.filter(isForged).length, `suspects: ${suspectFound}`).toBe(FORGERIES_SHOWN)
      expect(shown.filter((each) => !isForged(each))).toEqual(quiet)
      // The forgeries, and the newest of the quiet history as the forgeries leave the bottom; once
      // forgeries are found under her id (suspects), all of Alice's records, each once.
      const most = suspectFound ? quiet.length + spaced.length : spaced.length + CHECKED_NEWEST
      expect(checked, `suspects: ${suspectFound}`).toBeLessThanOrEqual(most)
    }
  })

  it.each([3000, 3001, 3002, 3003, 3004, 3005])(
    'seed %i: shows what full knowledge of every signature shows, whatever the order the checks came in',
    (seed) => {
      const random = seededRandom(seed)
      const records: MessageRecord[] = []
      for (let n = 0; n < 300; n++) {
        const roll = random()
        const sentAt = 1000 + n * Math.floor(random() * 400)
        if (roll < 0.5) records.push({ ...record('alice', n, sentAt), id: `forged-${n}` })
        else if (roll < 0.7) records.push(record('alice', n, sentAt))
        else if (roll < 0.9) records.push(record('bob', n, sentAt))
        else records.push({ ...record('bob', n, sentAt), id: `forged-${n}` })
      }
      const isForged = (each: MessageRecord) => each.id.startsWith('forged')
      const truth = new AuthorBudgets(LIMITS, (each) => (isForged(each) ? 'bad' : 'good')).admit(records)
      const real = (list: MessageRecord[]) => list.filter((each) => !isForged(each)).map((each) => each.id)
      expect(real(admitChecking(records, isForged).shown), `seed ${seed}`).toEqual(real(truth))
      expect(real(admitChecking(records, isForged, true).shown), `seed ${seed}, suspects`).toEqual(real(truth))
    },
  )
})

/** A peer's shown list kept as Room keeps it: budgets over appends, recomputed on resets. */
function shownList(doc: Y.Doc): () => string[] {
  let kept = new Map<string, MessageRecord[]>()
  let budgets = new AuthorBudgets(LIMITS)
  let list = budgets.admit(withoutCopies(readMessages(doc).messages, kept))
  observeMessages(doc, (change) => {
    if (change.kind === 'append') list.push(...budgets.admit(withoutCopies(change.batch.messages, kept)))
    else {
      kept = new Map()
      budgets = new AuthorBudgets(LIMITS)
      list = budgets.admit(withoutCopies(change.batch.messages, kept))
    }
  })
  return () => list.map((message) => message.id)
}

const SEEDS = process.env.PARLEY_SEED !== undefined ? [Number(process.env.PARLEY_SEED)] : Array.from({ length: 6 }, (_, i) => 2000 + i)
const PEERS = 4
const FLOODER = 3
/** Ticks of writing, splitting and healing (a tick is a second of the records' time). */
const CHAOS_TICKS = 40
/** Time a seed may take, in ms: about a second alone, several on a loaded machine. */
const SEED_TIMEOUT_MS = 30_000

describe('shown messages over a faulty network with a flooding peer', () => {
  it.each(SEEDS)(
    'seed %i: every peer shows the same messages, all of the people, the same few of the flood',
    { timeout: SEED_TIMEOUT_MS },
    (seed) => {
      const where = `seed ${seed} (replay: PARLEY_SEED=${seed} npx vitest run test/history/author-budget.test.ts)`
      const net = new SimNetwork(PEERS, seed, { dropRate: 0.2, maxDelayTicks: 8 })
      const lists = net.docs.map(shownList)
      const people: string[] = []
      let flooded = 0
      const counters = net.docs.map(() => 0)
      for (let tick = 0; tick < CHAOS_TICKS; tick++) {
        const roll = net.random()
        // The flooder writes ten records a tick; the people, now and then, one a tick at most.
        for (let i = 0; i < 10; i++) appendMessage(net.docs[FLOODER], record('flooder', flooded++, net.now * 1000 + i))
        if (roll < 0.2) {
          const peer = Math.floor(net.random() * FLOODER)
          const message = record(`peer${peer}`, counters[peer]++, net.now * 1000)
          appendMessage(net.docs[peer], message)
          people.push(message.id)
        } else if (roll < 0.23) net.partition(net.docs.map(() => Math.floor(net.random() * 2)))
        else if (roll < 0.26) net.heal()
        net.tick()
      }
      net.heal()
      net.faults = { dropRate: 0, maxDelayTicks: 8 }
      for (let tick = 0; tick < 400 && (tick < 20 || net.busy); tick++) {
        if (tick % 20 === 0) for (let a = 0; a < PEERS; a++) for (let b = 0; b < PEERS; b++) if (a !== b) net.connect(a, b)
        net.tick()
      }
      const shown = lists.map((list) => list())
      for (const list of shown) {
        expect(list, where).toEqual(shown[0])
        expect(list.filter((id) => !id.startsWith('flooder')).sort(), where).toEqual([...people].sort())
      }
      const floodShown = shown[0].filter((id) => id.startsWith('flooder')).length
      expect(floodShown, where).toBeGreaterThan(0)
      expect(floodShown, where).toBeLessThan(flooded / 2)
      net.destroy()
    },
  )
})
