// The rule for islands: which peer heard on signaling counts as in another piece of the room, who
// asks it for a bridge and when, and when the asked peer agrees.
import { describe, expect, it } from 'vitest'
import { CAP_ALLOWANCE } from '../../src/transport/cap-rule.js'
import {
  acceptsBridge,
  BRIDGE_JITTER_MS,
  BRIDGE_RETRY_MS,
  BRIDGE_STAGGER_MS,
  BRIDGE_TRIES,
  bridgeTarget,
  type HeardPeers,
  type IslandView,
  LINKS_QUIET_MS,
  MAX_HEARD,
  MISSING_AFTER_MS,
  noteBridgeAsked,
  noteHeard,
  turnOf,
} from '../../src/transport/island-rule.js'

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

  it('waits one stagger per client of its piece with a smaller id, so the peers of a piece take turns', () => {
    const heard = heardAt0([['x', 10]])
    const third = { ownClient: 3 } // clients 1 and 2 come first
    expect(turnOf(3, new Set([1, 2, 3]))).toBe(2)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS + 2 * BRIDGE_STAGGER_MS - 1, third)).target).toBe(null)
    expect(bridgeTarget(heard, view(MISSING_AFTER_MS + 2 * BRIDGE_STAGGER_MS, third)).target).toBe('x')
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
