import { describe, expect, it } from 'vitest'
import {
  decideAnnounce,
  decideLapse,
  isMarked,
  isMarkedAnnounce,
  offerLost,
  offersTo,
  type OwnView,
} from '../../src/transport/offer-rule.js'

const own = (peerId: string, link?: OwnView['link'], roomForMore = true): OwnView => ({ peerId, link, roomForMore })
const broadcast = (from: string, marked = true) => ({ from, to: undefined, marked })
const invitation = (from: string, to: string) => ({ from, to, marked: true })

describe('offersTo', () => {
  it('picks exactly one of two peers', () => {
    expect(offersTo('a', 'b')).toBe(true)
    expect(offersTo('b', 'a')).toBe(false)
  })
})

describe('decideAnnounce', () => {
  it("passes a stock peer's announcement: y-webrtc offers, as it always did", () => {
    expect(decideAnnounce(own('b'), broadcast('a', false))).toBe('pass')
    expect(decideAnnounce(own('a'), broadcast('b', false))).toBe('pass')
  })

  it('between Parley peers, the smaller id offers and the larger one invites it', () => {
    expect(decideAnnounce(own('a'), broadcast('b'))).toBe('pass')
    expect(decideAnnounce(own('b'), broadcast('a'))).toBe('invite')
  })

  it('the smaller id takes an invitation as its cue to offer', () => {
    expect(decideAnnounce(own('a'), invitation('b', 'a'))).toBe('pass')
  })

  it('ignores an invitation that breaks the rule, or is for another peer', () => {
    expect(decideAnnounce(own('b'), invitation('a', 'b'))).toBe('drop')
    expect(decideAnnounce(own('c'), invitation('b', 'a'))).toBe('drop')
  })

  it('drops its own announcement, which the signaling server echoes back to it', () => {
    expect(decideAnnounce(own('a'), broadcast('a'))).toBe('drop')
    expect(decideAnnounce(own('a'), invitation('a', 'a'))).toBe('drop')
  })

  it('invites no one it already has a link to, or when it takes no more links', () => {
    expect(decideAnnounce(own('b', { connected: true, initiator: false }), broadcast('a'))).toBe('drop')
    expect(decideAnnounce(own('b', { connected: false, initiator: true }), broadcast('a'))).toBe('drop')
    expect(decideAnnounce(own('b', undefined, false), broadcast('a'))).toBe('drop')
  })

  it('invites again a smaller peer that announces while the link answering it still connects (it lost its side)', () => {
    expect(decideAnnounce(own('b', { connected: false, initiator: false }), broadcast('a'))).toBe('invite')
    expect(decideAnnounce(own('b', { connected: false, initiator: false }, false), broadcast('a'))).toBe('invite')
    // Not an invitation from it, and not a stock peer (y-webrtc keeps the link it has).
    expect(decideAnnounce(own('b', { connected: false, initiator: false }), invitation('a', 'b'))).toBe('drop')
    expect(decideAnnounce(own('b', { connected: false, initiator: false }), broadcast('a', false))).toBe('pass')
  })
})

describe('decideAnnounce, a stock peer announcing again', () => {
  const waiting = { connected: false, initiator: true, awaitingAnswer: true }

  it('gives up our offer to it that waits for an answer, and offers anew (it lost the link ours went to)', () => {
    expect(decideAnnounce(own('a', waiting), broadcast('b', false))).toBe('reoffer')
    expect(decideAnnounce(own('b', waiting, false), broadcast('a', false))).toBe('reoffer')
  })

  it('leaves other links to y-webrtc: not yet offered, answered, answering, connected; and Parley peers to the offer rule', () => {
    expect(decideAnnounce(own('a', { ...waiting, awaitingAnswer: false }), broadcast('b', false))).toBe('pass')
    expect(decideAnnounce(own('a', { connected: false, initiator: false }), broadcast('b', false))).toBe('pass')
    expect(decideAnnounce(own('a', { ...waiting, connected: true }), broadcast('b', false))).toBe('pass')
    expect(decideAnnounce(own('a', waiting), broadcast('b'))).toBe('pass')
  })

  it('stays out of a glare we won: its offer crossed ours, so its link had its offer out and was not lost to ours', () => {
    expect(decideAnnounce(own('b', { ...waiting, glareWon: true }), broadcast('a', false))).toBe('pass')
  })

  it('does not replace an offer it made anew: the second announcement of a failed link (error, then close) finds that one', () => {
    expect(decideAnnounce(own('a', { ...waiting, remade: true }), broadcast('b', false))).toBe('pass')
  })
})

describe('offerLost', () => {
  it('holds only for our own unanswered, unconnected offer, neither a won glare nor already made anew', () => {
    const waiting = { connected: false, initiator: true, awaitingAnswer: true }
    expect(offerLost(waiting)).toBe(true)
    expect(offerLost(undefined)).toBe(false)
    for (const change of [{ connected: true }, { initiator: false }, { awaitingAnswer: false }, { glareWon: true }, { remade: true }]) {
      expect(offerLost({ ...waiting, ...change })).toBe(false)
    }
  })
})

describe('isMarkedAnnounce', () => {
  it("reads the mark of a Parley peer's announcement only", () => {
    expect(isMarkedAnnounce({ type: 'announce', from: 'a', parley: 1 })).toBe(true)
    expect(isMarkedAnnounce({ type: 'announce', from: 'a' })).toBe(false)
    expect(isMarkedAnnounce({ type: 'announce', from: 'a', parley: 'yes' })).toBe(false)
    expect(isMarkedAnnounce({ type: 'signal', from: 'a', parley: 1 })).toBe(false)
  })
})

describe('isMarked', () => {
  it('reads the mark of any payload: a Parley peer marks its signals too', () => {
    expect(isMarked({ type: 'signal', from: 'a', parley: 1 })).toBe(true)
    expect(isMarked({ type: 'announce', from: 'a', parley: 1 })).toBe(true)
    expect(isMarked({ type: 'signal', from: 'a' })).toBe(false)
    expect(isMarked({ type: 'signal', from: 'a', parley: true })).toBe(false)
  })
})

describe('decideLapse', () => {
  const stock = { parley: false, linked: false, banned: false, roomForMore: true }

  it('waits for a stock peer to begin a link itself, then offers to it', () => {
    expect(decideLapse(stock, false)).toBe('wait')
    expect(decideLapse(stock, true)).toBe('offer')
  })

  it('forgets a Parley peer (its own rules pair us), a peer linked again, a banned one, and any while we are full', () => {
    for (const change of [{ parley: true }, { linked: true }, { banned: true }, { roomForMore: false }]) {
      expect(decideLapse({ ...stock, ...change }, false)).toBe('forget')
      expect(decideLapse({ ...stock, ...change }, true)).toBe('forget')
    }
  })
})
