import { describe, expect, it } from 'vitest'
import { decideSignal, type LinkView } from '../../src/transport/signal-glare.js'

const offering = (token: number): LinkView => ({ initiator: true, connected: false, token })
const answering: LinkView = { initiator: false, connected: false, token: 5 }
const connected: LinkView = { initiator: true, connected: true, token: 5 }

describe('decideSignal', () => {
  it('lets an offer through when there is no link yet', () => {
    expect(decideSignal(undefined, { kind: 'offer', token: 3 }, undefined)).toBe('pass')
  })

  it('drops the losing offer of a glare and restarts for the winning one', () => {
    expect(decideSignal(offering(9), { kind: 'offer', token: 3 }, undefined)).toBe('drop')
    expect(decideSignal(offering(3), { kind: 'offer', token: 9 }, undefined)).toBe('restart')
  })

  it('restarts when our own offer has not gone out yet', () => {
    expect(decideSignal({ initiator: true, connected: false, token: undefined }, { kind: 'offer', token: 3 }, undefined)).toBe('restart')
  })

  it('takes a new offer on a link still connecting as the peer starting over', () => {
    expect(decideSignal(answering, { kind: 'offer', token: 7 }, 4)).toBe('restart')
  })

  it("keeps a connected link: an offer in the peer's name may come from anyone in the topic", () => {
    expect(decideSignal(connected, { kind: 'offer', token: 7 }, 4)).toBe('drop')
  })

  it('drops an offer or answer repeated by a second signaling server', () => {
    expect(decideSignal(answering, { kind: 'offer', token: 4 }, 4)).toBe('drop')
    expect(decideSignal(undefined, { kind: 'offer', token: 4 }, 4)).toBe('drop')
    expect(decideSignal(offering(3), { kind: 'answer', token: 8 }, 8)).toBe('drop')
  })

  it('lets an answer through only to a link waiting for one', () => {
    expect(decideSignal(offering(3), { kind: 'answer', token: 8 }, undefined)).toBe('pass')
    expect(decideSignal(undefined, { kind: 'answer', token: 8 }, undefined)).toBe('drop')
    expect(decideSignal(answering, { kind: 'answer', token: 8 }, undefined)).toBe('drop')
    expect(decideSignal(connected, { kind: 'answer', token: 8 }, undefined)).toBe('drop')
  })

  it('lets candidates and other signals through to a link', () => {
    expect(decideSignal(answering, { kind: 'candidate', token: 8 }, undefined)).toBe('pass')
    expect(decideSignal(connected, { kind: 'renegotiate', token: 8 }, undefined)).toBe('pass')
  })

  it('drops candidates and other signals for no link: y-webrtc would make an answering link of them that no offer uses', () => {
    expect(decideSignal(undefined, { kind: 'candidate', token: 8 }, undefined)).toBe('drop')
    expect(decideSignal(undefined, { kind: 'candidate', token: 8 }, 8)).toBe('drop')
    expect(decideSignal(undefined, { kind: 'renegotiate', token: 8 }, undefined)).toBe('drop')
  })
})

describe('decideSignal after the peer answered our offer', () => {
  it('drops an offer from the same link of the peer, stale from the glare it resolved', () => {
    expect(decideSignal(offering(3), { kind: 'offer', token: 8 }, 8)).toBe('drop')
  })
})

describe('decideSignal after a link of ours was replaced', () => {
  it('drops an answer that reaches a fresh link before its own offer went out', () => {
    expect(decideSignal({ initiator: true, connected: false, token: undefined }, { kind: 'answer', token: 8 }, undefined)).toBe('drop')
  })

  it('drops candidates from another link of the peer than the one ours is paired with', () => {
    expect(decideSignal(offering(3), { kind: 'candidate', token: 7 }, 8)).toBe('drop')
    expect(decideSignal(offering(3), { kind: 'candidate', token: 8 }, 8)).toBe('pass')
    expect(decideSignal(answering, { kind: 'candidate', token: 7 }, 8)).toBe('drop')
  })
})

describe("decideSignal after we answered the peer's offer", () => {
  it('lets through candidates the offering link sends under the new token it took when our answer came', () => {
    expect(decideSignal(answering, { kind: 'candidate', token: 9 }, 8)).toBe('pass')
  })

  it('still drops a later token on an offering link of ours: the peer answers under one token', () => {
    expect(decideSignal(offering(3), { kind: 'candidate', token: 9 }, 8)).toBe('drop')
  })
})
