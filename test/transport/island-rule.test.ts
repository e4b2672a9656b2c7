// The rule for islands: which peer heard on signaling counts as in another piece of the room, who
// asks it for a bridge and when, and when the asked peer agrees.
import { describe, expect, it } from 'vitest'
import { CAP_ALLOWANCE } from '../../src/transport/cap-rule.js'
import {
  acceptsBridge,
  BRIDGE_JITTER_MS,
  BRIDGE_RETRY_MS,
  BRIDGE_HELD_BACK_MS,
  BRIDGE_TURNS_MS,
  BRIDGE_TRIES,
  bridgeTarget,
  type HeardPeers,
  type IslandView,
  LINKS_QUIET_MS,
  MAX_HEARD,
  MISSING_AFTER_MS,
  noteBridgeAsked,
  noteBridgeHeard,
  noteHeard,
  turnDelay,
  turnOf,
} from '../../src/transport/island-rule.js'
import { seededRandom } from '../support/seeded-random.js'

/** A peer of piece {1, 2, 3} (our client is 1, the smallest) at its cap of 3, settled, at `now`. */
const view = (now: number, changes: Partial<IslandView> = {}): IslandView => ({
  ownClient: 1,
  present: new Set([1, 2, 3]),
  linked: new Set(['b', 'c', 'd']),
  links: 3,
  held: 0,
  maxConns: 3,
  quietFor: LINKS_QUIET_MS,
  now,
  ...changes,
})

/** Peers heard at time 0 with no jitter: peer id to awareness client. */
function heardAt0(entries: Array<[string, number]>): HeardPeers {
  const heard: HeardPeers = new Map()
  for (const [peerId, client] of entries) noteHeard(heard, peerId, client, 0, 0)
  return heard
}

describe('bridgeTarget', () => {
  it('asks the smallest peer heard whose state never came, once MISSING_AFTER_MS passed', () => {
    const heard = heardAt0([
      ['y', 20],
      ['x', 10],
    ])
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS - 1)).target).toBe(null)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS)).target).toBe('x')
  })

  it('finds, to forget, a peer heard once its state arrives or a link to it begins, and never asks it', () => {
    const heard = heardAt0([
      ['x', 10],
      ['y', 20],
      ['z', 30],
    ])
    const look = bridgeTarget(heard, view(MISSING_AFTER_MS, { present: new Set([1, 2, 3, 10]), linked: new Set(['b', 'c', 'd', 'y']) }))
    expect(look).toEqual({ found: ['x', 'y'], target: 'z' })
    // Found while asking nobody too (a join under way): they are forgotten all the same.
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS, { present: new Set([1, 2, 3, 10]), quietFor: 0 }))).toEqual({
      found: ['x'],
      target: null,
    })
    // The rule only reads: the shell forgets what it found (cap-joins.ts).
    expect([...heard.keys()]).toEqual(['x', 'y', 'z'])
  })

  it('waits its turn, a share of BRIDGE_TURNS_MS by how many clients of its piece have a smaller id', () => {
    const heard = heardAt0([['x', 10]])
    const third = { ownClient: 3 } // clients 1 and 2 come first: 2/3 of the window
    expect(turnOf(3, new Set([1, 2, 3]))).toBe(2)
    expect(turnDelay(3, new Set([1, 2, 3]))).toBe(2000)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS + 2000 - 1, third)).target).toBe(null)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS + 2000, third)).target).toBe('x')
  })

  it('asks within seconds in a piece of 50 where only the largest client heard the other piece', () => {
    // The twelfth session's turns (2 s per smaller client) made this peer wait 98 s more.
    const present = new Set(Array.from({ length: 50 }, (_, n) => n + 1))
    const last = { ownClient: 50, present, linked: new Set(['b', 'c', 'd']) }
    expect(turnDelay(50, present)).toBeLessThan(BRIDGE_TURNS_MS)
    expect(BRIDGE_TURNS_MS).toBeLessThanOrEqual(3000)
    const heard: HeardPeers = new Map()
    noteHeard(heard, 'x', 1000, 0, 0.999) // the most jitter
    const due = MISSING_AFTER_MS + BRIDGE_JITTER_MS + BRIDGE_TURNS_MS
    expect(bridgeTarget(heard, view(due, last)).target).toBe('x')
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS + 0.99 * BRIDGE_JITTER_MS, last)).target).toBe(null) // still its turn's wait
  })

  it('adds up to BRIDGE_JITTER_MS at random to each peer heard', () => {
    const heard: HeardPeers = new Map()
    noteHeard(heard, 'x', 10, 0, 0.5)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS + BRIDGE_JITTER_MS / 2 - 1)).target).toBe(null)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS + BRIDGE_JITTER_MS / 2)).target).toBe('x')
  })

  it('asks nobody while its own links change, while it holds an invitation, or past its allowance', () => {
    const heard = heardAt0([['x', 10]])
    const at = MISSING_AFTER_MS
    expect(bridgeTarget(heard, view(at, { quietFor: LINKS_QUIET_MS - 1 })).target).toBe(null)
    expect(bridgeTarget(heard, view(at, { held: 1 })).target).toBe(null)
    expect(bridgeTarget(heard, view(at, { links: 3 + CAP_ALLOWANCE })).target).toBe(null)
    expect(bridgeTarget(heard, view(at, { links: 3 + CAP_ALLOWANCE - 1 })).target).toBe('x')
    expect(heard.has('x')).toBe(true) // still waited for
  })

  it('waits for at most MAX_HEARD peers at once (anyone may announce made-up ids)', () => {
    const heard: HeardPeers = new Map()
    for (let n = 0; n <= MAX_HEARD; n++) noteHeard(heard, `p${n}`, 100 + n, 0, 0)
    expect(heard.size).toBe(MAX_HEARD)
    expect(heard.has(`p${MAX_HEARD}`)).toBe(false)
  })

  it('does not restart the clock of a peer that announces again, unless it speaks for another client', () => {
    const heard = heardAt0([['x', 10]])
    noteHeard(heard, 'x', 10, MISSING_AFTER_MS - 1, 0)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS)).target).toBe('x')
    noteHeard(heard, 'x', 11, MISSING_AFTER_MS, 0) // left and came back: a new tab
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS)).target).toBe(null)
    expect(bridgeTarget(heard, view(2 * MISSING_AFTER_MS)).target).toBe('x')
  })
})

describe('noteBridgeHeard', () => {
  it('holds our invitations back for BRIDGE_HELD_BACK_MS when a peer of our piece asks for a bridge', () => {
    const heard = heardAt0([
      ['x', 10],
      ['y', 20],
    ])
    const at = MISSING_AFTER_MS
    expect(noteBridgeHeard(heard, { peerId: 'b', client: 2 }, new Set([1, 2, 3]), at)).toBe(true)
    expect(bridgeTarget(heard, view(at + BRIDGE_HELD_BACK_MS - 1)).target).toBe(null)
    // Its states did not come (refused, or the link failed): ours resume.
    expect(bridgeTarget(heard, view(at + BRIDGE_HELD_BACK_MS)).target).toBe('x')
  })

  it('holds them back too when a peer we wait for asks (a bridge from the other side)', () => {
    const heard = heardAt0([['x', 10]])
    expect(noteBridgeHeard(heard, { peerId: 'x', client: 10 }, new Set([1, 2, 3]), MISSING_AFTER_MS)).toBe(true)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS)).target).toBe(null)
  })

  it('ignores an invitation from a peer neither in our piece nor waited for', () => {
    const heard = heardAt0([['x', 10]])
    expect(noteBridgeHeard(heard, { peerId: 'q', client: 99 }, new Set([1, 2, 3]), MISSING_AFTER_MS)).toBe(false)
    expect(noteBridgeHeard(heard, { peerId: 'q', client: undefined }, new Set([1, 2, 3]), MISSING_AFTER_MS)).toBe(false)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS)).target).toBe('x')
  })
})

/** What a piece's peers did about one missing piece, in the model below. */
interface PieceRun {
  /** Bridge invitations sent by the piece. */
  invitations: number
  /** When the first went out, in ms after the missing peers were heard. */
  firstAt: number
}

/**
 * A piece of `size` peers (clients 1..size) at their caps, settled, of which `hearers` heard two
 * peers of another piece at time 0: each looks every second (cap-joins.ts, CAP_CHECK_INTERVAL_MS),
 * at a phase of its own, and hears the others' invitations `signalingMs` after they went out
 * (signal-screen.ts calls noteBridgeHeard). The first invitation's bridge brings the other
 * piece's states to every peer `bridgeMs` after it went out; later ones are refused (the asked
 * peer is past its allowance then). The random source gives phases and jitter. Time goes in
 * steps of 10 ms (`signalingMs` is at least one).
 */
function pieceRun(size: number, hearers: number[], seed: number, signalingMs = 200, bridgeMs = 3000): PieceRun {
  const random = seededRandom(seed)
  const present = new Set(Array.from({ length: size }, (_, n) => n + 1))
  const peers = hearers.map((client) => {
    const heard: HeardPeers = new Map()
    noteHeard(heard, 'x', 1001, 0, random())
    noteHeard(heard, 'y', 1002, 0, random())
    return { client, heard, phase: 10 * Math.floor(random() * 100), heldUntil: 0 }
  })
  const heardAt: Array<{ at: number; asker: number }> = []
  let invitations = 0
  let firstAt = Number.POSITIVE_INFINITY
  for (let now = 0; now < Math.min(firstAt + bridgeMs, 300_000); now += 10) {
    for (const { asker } of heardAt.filter((note) => note.at === now)) {
      for (const peer of peers) if (peer.client !== asker) noteBridgeHeard(peer.heard, { peerId: `p${asker}`, client: asker }, present, now)
    }
    for (const peer of peers) {
      if ((now - peer.phase) % 1000 !== 0) continue
      const { target } = bridgeTarget(peer.heard, {
        ...view(now, { ownClient: peer.client, present, linked: new Set(), quietFor: now + LINKS_QUIET_MS }),
        held: now < peer.heldUntil ? 1 : 0,
      })
      if (target === null) continue
      invitations++
      firstAt = Math.min(firstAt, now)
      noteBridgeAsked(peer.heard, target, now)
      peer.heldUntil = now + 10_000
      heardAt.push({ at: now + Math.max(signalingMs, 10), asker: peer.client }) // heard from the next step on
    }
  }
  return { invitations, firstAt }
}

describe('a piece of 50 asking for one bridge (the model above)', () => {
  const seeds = Array.from({ length: 20 }, (_, n) => n + 1)

  it('with one hearer, the largest client: one invitation, within MISSING_AFTER_MS plus about 5 s', () => {
    for (const seed of seeds) {
      const run = pieceRun(50, [50], seed)
      expect(run.invitations).toBe(1)
      // Its jitter, its turn, and the next look: on the twelfth session's turns, 108-110 s.
      expect(run.firstAt).toBeLessThanOrEqual(MISSING_AFTER_MS + BRIDGE_JITTER_MS + BRIDGE_TURNS_MS + 1000)
    }
  })

  it('with all 50 hearers: a few invitations between them, not one each, however long the bridge takes', () => {
    const all = Array.from({ length: 50 }, (_, n) => n + 1)
    // The first bridge's states reach the piece 3 s or 8 s after its invitation; the others hear the invitation 200 ms after it.
    for (const bridgeMs of [3000, 8000]) {
      const runs = seeds.map((seed) => pieceRun(50, all, seed, 200, bridgeMs))
      const counts = runs.map((run) => run.invitations)
      expect(Math.max(...counts)).toBeLessThanOrEqual(6)
      expect(counts.reduce((sum, count) => sum + count, 0) / counts.length).toBeLessThanOrEqual(3)
      for (const run of runs) expect(run.firstAt).toBeLessThanOrEqual(MISSING_AFTER_MS + BRIDGE_JITTER_MS + 1000)
    }
    // Heard within 10 ms, the others wait: one invitation, or two looking in the same step.
    const instant = seeds.map((seed) => pieceRun(50, all, seed, 10).invitations)
    expect(Math.max(...instant)).toBeLessThanOrEqual(2)
  })
})

describe('noteBridgeAsked', () => {
  it('asks the same peer again after BRIDGE_RETRY_MS, then forgets it after BRIDGE_TRIES', () => {
    const heard = heardAt0([['x', 10]])
    const at = MISSING_AFTER_MS
    expect(bridgeTarget(heard, view(at)).target).toBe('x')
    noteBridgeAsked(heard, 'x', at)
    expect(BRIDGE_TRIES).toBe(2)
    expect(bridgeTarget(heard, view(at + BRIDGE_RETRY_MS - 1)).target).toBe(null)
    expect(bridgeTarget(heard, view(at + BRIDGE_RETRY_MS)).target).toBe('x')
    noteBridgeAsked(heard, 'x', at + BRIDGE_RETRY_MS)
    expect(heard.has('x')).toBe(false) // it may have left: its next announcement starts over
  })

  it('lets the next peer heard be asked meanwhile', () => {
    const heard = heardAt0([
      ['x', 10],
      ['y', 20],
    ])
    noteBridgeAsked(heard, 'x', MISSING_AFTER_MS)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS)).target).toBe('y')
  })
})

describe('acceptsBridge', () => {
  const ask = { linked: false, askerPresent: false, links: 3, held: 0, maxConns: 3, askedByUs: false, smaller: false }

  it('offers past its cap to an asker that is not in its piece either', () => {
    expect(acceptsBridge(ask)).toBe(true)
    expect(acceptsBridge({ ...ask, links: 1 })).toBe(true)
  })

  it('refuses an asker whose state is here (one piece after all), one it holds a link to, and past its allowance', () => {
    expect(acceptsBridge({ ...ask, askerPresent: true })).toBe(false)
    expect(acceptsBridge({ ...ask, linked: true })).toBe(false)
    expect(acceptsBridge({ ...ask, links: 3 + CAP_ALLOWANCE })).toBe(false)
    expect(acceptsBridge({ ...ask, held: CAP_ALLOWANCE })).toBe(false)
  })

  it('of two peers that asked each other at once, lets only the smaller id offer, in the place it holds', () => {
    const crossed = { ...ask, links: 3 + CAP_ALLOWANCE - 1, held: 0, askedByUs: true }
    expect(acceptsBridge({ ...crossed, smaller: true })).toBe(true)
    expect(acceptsBridge({ ...crossed, smaller: false })).toBe(false)
    expect(acceptsBridge({ ...crossed, smaller: true, askerPresent: true })).toBe(false)
  })
})
