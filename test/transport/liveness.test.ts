import { describe, expect, it } from 'vitest'
import { HEARTBEAT_INTERVAL_MS, LINK_TIMEOUT_MS, encodeLivenessFrame, parseLivenessFrame } from '../../src/transport/liveness-protocol.js'
import { closeLink, emptyLiveness, isSpokenFor, onFrame, tick } from '../../src/transport/liveness-tracker.js'

const known = () => true

/** Ticks every heartbeat from `from` to `to` (inclusive), collecting what went. */
function tickThrough(state: ReturnType<typeof emptyLiveness>, from: number, to: number, isKnown = known) {
  const gone: number[] = []
  const askSync: string[] = []
  for (let now = from; now <= to; now += HEARTBEAT_INTERVAL_MS) {
    const result = tick(state, now, isKnown)
    gone.push(...result.gone)
    askSync.push(...result.askSync)
  }
  return { gone, askSync }
}

describe('liveness frames', () => {
  it('round-trip', () => {
    for (const frame of [{ t: 'hello', client: 42 }, { t: 'beat' }, { t: 'bye' }, { t: 'sync' }] as const) {
      expect(parseLivenessFrame(encodeLivenessFrame(frame))).toEqual(frame)
    }
  })

  it.each([
    ['binary', new Uint8Array([1, 2])],
    ['bad JSON', '{"t":'],
    ['an unknown type', '{"t":"boom"}'],
    ['a hello without client', '{"t":"hello"}'],
    ['a negative client', '{"t":"hello","client":-1}'],
    ['a fractional client', '{"t":"hello","client":1.5}'],
    ['a string client', '{"t":"hello","client":"1"}'],
    ['null', 'null'],
    ['an oversized frame', JSON.stringify({ t: 'beat', pad: 'x'.repeat(500) })],
  ])('rejects %s', (_label, data) => {
    expect(parseLivenessFrame(data)).toBeNull()
  })
})

describe('liveness tracker', () => {
  it('keeps a link that beats, and drops its client after LINK_TIMEOUT_MS of silence', () => {
    const state = emptyLiveness()
    onFrame(state, 'a', { t: 'hello', client: 7 }, 0)
    for (let now = 0; now <= 10_000; now += HEARTBEAT_INTERVAL_MS) {
      onFrame(state, 'a', { t: 'beat' }, now)
      expect(tick(state, now, known).gone).toEqual([])
    }
    const { gone } = tickThrough(state, 10_500, 10_000 + LINK_TIMEOUT_MS + HEARTBEAT_INTERVAL_MS)
    expect(gone).toEqual([7])
    expect(isSpokenFor(state, 7)).toBe(false)
  })

  it('drops a client at once on bye or on close, and only once', () => {
    const state = emptyLiveness()
    onFrame(state, 'a', { t: 'hello', client: 1 }, 0)
    onFrame(state, 'b', { t: 'hello', client: 2 }, 0)
    expect(onFrame(state, 'a', { t: 'bye' }, 10)).toEqual([1])
    expect(closeLink(state, 'a')).toEqual([])
    expect(closeLink(state, 'b')).toEqual([2])
    expect(tickThrough(state, 0, 5000).gone).toEqual([])
  })

  it('keeps a client that another live link still speaks for', () => {
    const state = emptyLiveness()
    onFrame(state, 'old', { t: 'hello', client: 3 }, 0)
    onFrame(state, 'new', { t: 'hello', client: 3 }, 0)
    expect(closeLink(state, 'old')).toEqual([])
    expect(isSpokenFor(state, 3)).toBe(true)
  })

  it('blames nobody for a gap in its own ticking (a frozen or busy page)', () => {
    const state = emptyLiveness()
    onFrame(state, 'a', { t: 'hello', client: 5 }, 0)
    tick(state, 0, known)
    expect(tick(state, 10_000, known).gone).toEqual([])
    onFrame(state, 'a', { t: 'beat' }, 10_010)
    expect(tick(state, 10_500, known).gone).toEqual([])
  })

  it('revives a link that speaks again after being declared dead', () => {
    const state = emptyLiveness()
    onFrame(state, 'a', { t: 'hello', client: 9 }, 0)
    expect(tickThrough(state, 0, 3000).gone).toEqual([9])
    onFrame(state, 'a', { t: 'beat' }, 3100)
    expect(isSpokenFor(state, 9)).toBe(true)
  })

  it('asks a link to re-announce when its client is unknown, at most once per timeout', () => {
    const state = emptyLiveness()
    onFrame(state, 'a', { t: 'hello', client: 4 }, 0)
    let now = 0
    const asks: number[] = []
    for (; now <= 5000; now += HEARTBEAT_INTERVAL_MS) {
      onFrame(state, 'a', { t: 'beat' }, now)
      if (tick(state, now, () => false).askSync.length > 0) asks.push(now)
    }
    expect(asks).toEqual([LINK_TIMEOUT_MS, 2 * LINK_TIMEOUT_MS])
    expect(tickThrough(state, now, now + 5000, known).askSync).toEqual([])
  })
})
