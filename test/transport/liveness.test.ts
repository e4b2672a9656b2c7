import { describe, expect, it } from 'vitest'
import {
  HEARTBEAT_INTERVAL_MS,
  LINK_TIMEOUT_MS,
  LIVENESS_VERSION,
  PROMISES_VERSION,
  encodeLivenessFrame,
  parseLivenessFrame,
  type LivenessFrame,
} from '../../src/transport/liveness-protocol.js'
import {
  BEAT_GRACE_MS,
  GREETING_WAIT_MS,
  IDLE_BUDGET_MSGS_PER_S,
  MAX_WATCH_INTERVAL_MS,
  PROBE_TIMEOUT_MS,
  REFUTE_INTERVAL_MS,
  RUMOR_BURST,
  RUMOR_REFILL_MS,
  RUMOR_SPREAD_WINDOW_MS,
  RUMOR_WAIT_MS,
  THROTTLED_TICK_MS,
  TICK_INTERVAL_MS,
  UNWATCHED_PROMISE_MS,
  closeLink,
  emptyLiveness,
  isSpokenFor,
  linkedClients,
  onFrame,
  onIceTrouble,
  onTraffic,
  openLink,
  tick,
  watchIntervalMs,
  watcherOf,
  type AwarenessView,
  type LivenessState,
  type Outgoing,
} from '../../src/transport/liveness-tracker.js'

const known: AwarenessView = { isKnown: () => true, renewedAt: () => undefined, clockOf: () => 0, refutes: () => true }
const SELF = 50

/** Ticks as the shell does from `from` to `to` (inclusive), collecting what went and what was sent. */
function tickThrough(state: LivenessState, from: number, to: number, isKnown: AwarenessView = known) {
  const gone: number[] = []
  const send: Outgoing[] = []
  for (let now = from; now <= to; now += TICK_INTERVAL_MS) {
    const result = tick(state, now, isKnown)
    gone.push(...result.gone)
    send.push(...result.send)
  }
  return { gone, send }
}

/** A state with one link per client, each opened and greeted at time 0 (`v` of `version` unless `legacy`). */
function roomWith(clients: number[], legacy: number[] = [], version = LIVENESS_VERSION): LivenessState {
  const state = emptyLiveness(SELF)
  for (const client of clients) {
    openLink(state, `to-${client}`, 0)
    const hello: LivenessFrame = legacy.includes(client) ? { t: 'hello', client } : { t: 'hello', client, v: version }
    onFrame(state, `to-${client}`, hello, 0)
  }
  tick(state, 0, known)
  return state
}

/** Ticks from `from` to `to` while every link to `clients` keeps beating with a long promise. */
function idle(state: LivenessState, from: number, to: number, clients: number[], view: AwarenessView = known) {
  const gone: number[] = []
  const send: Outgoing[] = []
  for (let now = from; now <= to; now += TICK_INTERVAL_MS) {
    for (const client of clients) onFrame(state, `to-${client}`, { t: 'beat', in: UNWATCHED_PROMISE_MS }, now)
    const result = tick(state, now, view)
    gone.push(...result.gone)
    send.push(...result.send)
  }
  return { gone, send }
}

const beatsOn = (send: Outgoing[], linkId: string) => send.filter((out) => out.linkId === linkId && out.frame.t === 'beat')
const ofKind = (send: Outgoing[], kind: LivenessFrame['t']) => send.filter((out) => out.frame.t === kind)

describe('liveness frames', () => {
  it('round-trip', () => {
    const frames: LivenessFrame[] = [
      { t: 'hello', client: 42 },
      { t: 'hello', client: 42, v: 2 },
      { t: 'beat' },
      { t: 'beat', in: 1250 },
      { t: 'bye' },
      { t: 'sync' },
      { t: 'probe' },
      { t: 'suspect', client: 7 },
      { t: 'lost', client: 7, clock: 12 },
      { t: 'lost', client: Number.MAX_SAFE_INTEGER, clock: Number.MAX_SAFE_INTEGER }, // within 128 characters
    ]
    for (const frame of frames) expect(parseLivenessFrame(encodeLivenessFrame(frame))).toEqual(frame)
  })

  it('keep what older peers read where they read it (t, client)', () => {
    const hello = JSON.parse(encodeLivenessFrame({ t: 'hello', client: 3, v: 2 }))
    expect([hello.t, hello.client]).toEqual(['hello', 3])
    expect(JSON.parse(encodeLivenessFrame({ t: 'beat', in: 20_000 })).t).toBe('beat')
  })

  it.each([
    ['binary', new Uint8Array([1, 2])],
    ['bad JSON', '{"t":'],
    ['an unknown type', '{"t":"boom"}'],
    ['a hello without client', '{"t":"hello"}'],
    ['a negative client', '{"t":"hello","client":-1}'],
    ['a fractional client', '{"t":"hello","client":1.5}'],
    ['a string client', '{"t":"hello","client":"1"}'],
    ['a string version', '{"t":"hello","client":1,"v":"2"}'],
    ['a promise too short', '{"t":"beat","in":10}'],
    ['a promise too long', '{"t":"beat","in":3600000}'],
    ['a suspect without client', '{"t":"suspect"}'],
    ['a rumor without clock', '{"t":"lost","client":1}'],
    ['a rumor with a negative clock', '{"t":"lost","client":1,"clock":-1}'],
    ['null', 'null'],
    ['an oversized frame', JSON.stringify({ t: 'beat', pad: 'x'.repeat(500) })],
  ])('rejects %s', (_label, data) => {
    expect(parseLivenessFrame(data)).toBeNull()
  })
})

describe('liveness tracker: what a link says', () => {
  it('says hello with our client and version when the channel opens', () => {
    const state = emptyLiveness(SELF)
    expect(openLink(state, 'a', 0)).toEqual([{ linkId: 'a', frame: { t: 'hello', client: SELF, v: LIVENESS_VERSION } }])
  })

  it('keeps a link that beats, and drops its client after LINK_TIMEOUT_MS of silence', () => {
    const state = roomWith([7], [7])
    for (let now = 0; now <= 10_000; now += HEARTBEAT_INTERVAL_MS) {
      onFrame(state, 'to-7', { t: 'beat' }, now)
      expect(tick(state, now, known).gone).toEqual([])
    }
    const { gone } = tickThrough(state, 10_500, 10_000 + LINK_TIMEOUT_MS + HEARTBEAT_INTERVAL_MS)
    expect(gone).toEqual([7])
    expect(isSpokenFor(state, 7)).toBe(false)
  })

  it('holds a link to the promise of its last beat, and counts any traffic as a beat', () => {
    const state = roomWith([7])
    onFrame(state, 'to-7', { t: 'beat', in: 20_000 }, 0)
    expect(tickThrough(state, 500, 20_000).gone).toEqual([])
    onTraffic(state, 'to-7', 'in', 20_000) // an awareness renewal on y-webrtc's channel
    expect(tickThrough(state, 20_500, 40_000 + BEAT_GRACE_MS).gone).toEqual([])
    expect(tickThrough(state, 41_500, 42_000).gone).toEqual([7])
  })

  it('drops a client at once on bye or on close, whoever closed, and only once', () => {
    const state = roomWith([1, 2, 3])
    expect(onFrame(state, 'to-1', { t: 'bye' }, 10).gone).toEqual([1])
    expect(closeLink(state, 'to-1', 'theirs', 20, known)).toEqual({ gone: [], send: [] }) // the bye said it all
    expect(closeLink(state, 'to-2', 'ours', 20, known).gone).toEqual([2])
    expect(closeLink(state, 'to-3', 'theirs', 20, known).gone).toEqual([3])
    expect(tickThrough(state, 500, 5000).gone).toEqual([])
  })

  it('keeps a client that another live link still speaks for, whoever closed the other', () => {
    const state = emptyLiveness(SELF)
    onFrame(state, 'old', { t: 'hello', client: 3, v: LIVENESS_VERSION }, 0)
    onFrame(state, 'new', { t: 'hello', client: 3, v: LIVENESS_VERSION }, 0)
    expect(closeLink(state, 'old', 'theirs', 10, known)).toEqual({ gone: [], send: [] })
    expect(isSpokenFor(state, 3)).toBe(true)
    expect(state.suspected.size).toBe(0)
  })

  it('lists the clients live links speak for, each once, without the dead or the unnamed', () => {
    const state = roomWith([1, 2])
    onFrame(state, 'again-to-2', { t: 'hello', client: 2 }, 0)
    openLink(state, 'not-greeted', 0)
    expect(linkedClients(state).sort()).toEqual([1, 2])
    onFrame(state, 'to-1', { t: 'bye' }, 10)
    expect(linkedClients(state)).toEqual([2])
  })

  it('blames nobody for a gap in its own ticking (a frozen or busy page)', () => {
    const state = roomWith([5], [5])
    expect(tick(state, 10_000, known).gone).toEqual([])
    onFrame(state, 'to-5', { t: 'beat' }, 10_010)
    expect(tick(state, 10_500, known).gone).toEqual([])
  })

  it('revives a link that speaks again after being declared dead', () => {
    const state = roomWith([9], [9])
    expect(tickThrough(state, 500, 3000).gone).toEqual([9])
    onFrame(state, 'to-9', { t: 'beat' }, 3100)
    expect(isSpokenFor(state, 9)).toBe(true)
  })

  it('asks a link to re-announce when its client is unknown, at most once per timeout', () => {
    const state = roomWith([4], [4])
    let now = 500
    const asks: number[] = []
    for (; now <= 5000; now += HEARTBEAT_INTERVAL_MS) {
      onFrame(state, 'to-4', { t: 'beat' }, now)
      if (
        ofKind(
          tick(state, now, { isKnown: () => false, renewedAt: () => undefined, clockOf: () => undefined, refutes: () => true }).send,
          'sync',
        ).length > 0
      )
        asks.push(now)
    }
    expect(asks).toEqual([LINK_TIMEOUT_MS, 2 * LINK_TIMEOUT_MS])
    expect(ofKind(tickThrough(state, now, now + 5000).send, 'sync')).toEqual([])
  })
})

describe('liveness tracker: what we send', () => {
  it('beats every HEARTBEAT_INTERVAL_MS, without a promise, to older peers and to links that have not said hello', () => {
    const state = roomWith([7], [7])
    openLink(state, 'new', 0)
    const { send } = tickThrough(state, 500, GREETING_WAIT_MS)
    expect(beatsOn(send, 'to-7').map((out) => out.frame)).toEqual(Array(GREETING_WAIT_MS / HEARTBEAT_INTERVAL_MS).fill({ t: 'beat' }))
    expect(beatsOn(send, 'new')).toHaveLength(GREETING_WAIT_MS / HEARTBEAT_INTERVAL_MS)
  })

  it('stops beating a link that never said hello (a stock peer) after GREETING_WAIT_MS', () => {
    const state = emptyLiveness(SELF)
    openLink(state, 'stock', 0)
    const { send } = tickThrough(state, TICK_INTERVAL_MS, 20_000)
    expect(beatsOn(send, 'stock')).toHaveLength(GREETING_WAIT_MS / HEARTBEAT_INTERVAL_MS)
  })

  it('beats fast only toward its watcher, the next client id after its own, and renewals stand in for the rest', () => {
    const state = roomWith([10, 40, 60, 90])
    expect(watcherOf(state)).toBe(60)
    const watchMs = watchIntervalMs(4)
    const window = 60_000
    let sent: Outgoing[] = []
    for (let now = TICK_INTERVAL_MS; now <= window; now += TICK_INTERVAL_MS) {
      for (const client of [10, 40, 60, 90]) onFrame(state, `to-${client}`, { t: 'beat', in: UNWATCHED_PROMISE_MS }, now)
      if (now % 15_000 === 0) for (const client of [10, 40, 60, 90]) onTraffic(state, `to-${client}`, 'out', now) // renewals
      sent = sent.concat(tick(state, now, known).send)
    }
    // Every watchMs, but for the renewals, which went on every link and stood in for a beat.
    expect(beatsOn(sent, 'to-60').length).toBeLessThanOrEqual(window / watchMs)
    expect(beatsOn(sent, 'to-60').length).toBeGreaterThanOrEqual(window / watchMs - window / 15_000)
    expect(beatsOn(sent, 'to-60').every((out) => out.frame.t === 'beat' && out.frame.in === watchMs)).toBe(true)
    // The others had one beat each, right after hello, to lengthen the first promise.
    for (const client of [10, 40, 90])
      expect(beatsOn(sent, `to-${client}`).map((out) => out.frame)).toEqual([{ t: 'beat', in: UNWATCHED_PROMISE_MS }])
  })

  it('wraps around: the highest client id is watched by the lowest', () => {
    const state = emptyLiveness(95)
    for (const client of [10, 40]) onFrame(state, `to-${client}`, { t: 'hello', client, v: 2 }, 0)
    expect(watcherOf(state)).toBe(10)
  })

  it('leaves older peers and dead links out of the ring', () => {
    const state = roomWith([60, 70], [60])
    expect(watcherOf(state)).toBe(70)
    onFrame(state, 'to-70', { t: 'bye' }, 100)
    expect(watcherOf(state)).toBeNull()
  })

  it('beats at once on a link that becomes the watcher, and its beat says so', () => {
    const state = roomWith([10, 90])
    expect(watcherOf(state)).toBe(90)
    idle(state, TICK_INTERVAL_MS, 5000, [10, 90])
    openLink(state, 'to-70', 5000)
    onFrame(state, 'to-70', { t: 'hello', client: 70, v: 2 }, 5000)
    const { send } = idle(state, 5250, 5250 + MAX_WATCH_INTERVAL_MS, [10, 70, 90])
    expect(beatsOn(send, 'to-70')[0]?.frame).toEqual({ t: 'beat', in: watchIntervalMs(3) })
    // 90 is watched no more: its next beat, still at the fast pace it promised, lengthens the promise.
    expect(beatsOn(send, 'to-90')[0]?.frame).toEqual({ t: 'beat', in: UNWATCHED_PROMISE_MS })
  })

  it('says a shorter promise at once, even on a link busy with other traffic', () => {
    const state = roomWith([10, 90])
    const busy = (from: number, to: number, clients: number[]) => {
      const send: Outgoing[] = []
      for (let now = from; now <= to; now += TICK_INTERVAL_MS) {
        for (const client of clients) {
          onFrame(state, `to-${client}`, { t: 'beat', in: UNWATCHED_PROMISE_MS }, now)
          onTraffic(state, `to-${client}`, 'out', now) // relayed changes, say
        }
        send.push(...tick(state, now, known).send)
      }
      return send
    }
    idle(state, TICK_INTERVAL_MS, 2000, [10, 90]) // our first beats lengthened the promises
    expect(busy(2250, 5000, [10, 90]).filter((out) => out.frame.t === 'beat' && out.frame.in !== watchIntervalMs(2))).toEqual([])
    expect(watcherOf(state)).toBe(90)
    onFrame(state, 'to-90', { t: 'bye' }, 5000) // our watcher leaves: 10 watches us now
    expect(beatsOn(busy(5250, 5250, [10]), 'to-10').map((out) => out.frame)).toEqual([{ t: 'beat', in: watchIntervalMs(2) }])
  })

  it('promises whole seconds while its own ticks come once a second (a hidden tab), and keeps them', () => {
    const state = roomWith([60])
    const beats: Outgoing[] = []
    for (let now = THROTTLED_TICK_MS; now <= 20_000; now += THROTTLED_TICK_MS) {
      onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, now)
      beats.push(...beatsOn(tick(state, now, known).send, 'to-60'))
    }
    const promise = Math.ceil(watchIntervalMs(1) / THROTTLED_TICK_MS) * THROTTLED_TICK_MS
    expect(beats.map((out) => out.frame)).toEqual(Array(beats.length).fill({ t: 'beat', in: promise }))
    expect(beats.length).toBe(20_000 / promise)
  })

  it('sends no beat on a link that carried something else within the promise', () => {
    const state = roomWith([60])
    const beats = []
    for (let now = 500; now <= 10_000; now += HEARTBEAT_INTERVAL_MS) {
      onTraffic(state, 'to-60', 'out', now)
      beats.push(...beatsOn(tick(state, now, known).send, 'to-60'))
    }
    expect(beats).toEqual([])
  })

  it('spends the idle budget: a fast watch in small rooms, at most MAX_WATCH_INTERVAL_MS in large ones', () => {
    expect(watchIntervalMs(1)).toBeLessThanOrEqual(750) // two peers: a kill is still seen within LINK_TIMEOUT_MS
    expect(watchIntervalMs(15)).toBe(MAX_WATCH_INTERVAL_MS)
    expect(watchIntervalMs(40)).toBe(MAX_WATCH_INTERVAL_MS)
    for (const links of [1, 3, 7, 15]) {
      const perSecond = 1000 / watchIntervalMs(links) + links / 15
      expect(perSecond).toBeLessThanOrEqual(IDLE_BUDGET_MSGS_PER_S + 0.01)
    }
  })
})

describe('liveness tracker: probes and suspects', () => {
  it('answers a probe at once with a beat', () => {
    const state = roomWith([60])
    expect(onFrame(state, 'to-60', { t: 'probe' }, 700).send).toEqual([{ linkId: 'to-60', frame: { t: 'beat', in: watchIntervalMs(1) } }])
  })

  it('tells the others when the peer it watches falls silent, and they drop it only if their own probe goes unanswered', () => {
    // Us (50) with 10, 60 (whom we watch for silence: we are its watcher in its view) and 90.
    const state = roomWith([10, 60, 90], [], PROMISES_VERSION)
    onFrame(state, 'to-60', { t: 'beat', in: 1000 }, 0)
    for (let now = 500; now <= 3000; now += HEARTBEAT_INTERVAL_MS) {
      for (const client of [10, 90]) onFrame(state, `to-${client}`, { t: 'beat', in: UNWATCHED_PROMISE_MS }, now)
    }
    const { gone, send } = tickThrough(state, 500, 1000 + 1000 + BEAT_GRACE_MS + HEARTBEAT_INTERVAL_MS)
    expect(gone).toEqual([60])
    expect(ofKind(send, 'suspect')).toEqual([
      { linkId: 'to-10', frame: { t: 'suspect', client: 60 } },
      { linkId: 'to-90', frame: { t: 'suspect', client: 60 } },
    ])

    // Another peer hears the suspect: it probes its own link to 60 and waits.
    const other = roomWith([50, 60], [], PROMISES_VERSION)
    onFrame(other, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 0)
    tickThrough(other, TICK_INTERVAL_MS, 2500)
    expect(onFrame(other, 'to-50', { t: 'suspect', client: 60 }, 2600).send).toEqual([{ linkId: 'to-60', frame: { t: 'probe' } }])
    const after = tickThrough(other, 2750, 2600 + PROBE_TIMEOUT_MS + HEARTBEAT_INTERVAL_MS)
    expect(after.gone).toEqual([60])
    expect(ofKind(after.send, 'suspect')).toEqual([]) // the news came from a peer: not told again
  })

  it('keeps a live peer that a hostile one calls gone: the probe is answered', () => {
    const state = roomWith([60, 66])
    onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 0)
    idle(state, TICK_INTERVAL_MS, 5000, [66])
    const probes = onFrame(state, 'to-66', { t: 'suspect', client: 60 }, 5000).send
    expect(probes).toEqual([{ linkId: 'to-60', frame: { t: 'probe' } }])
    // A flood of suspects sends no further probe while one is out.
    for (let now = 5001; now < 5100; now++) expect(onFrame(state, 'to-66', { t: 'suspect', client: 60 }, now).send).toEqual([])
    onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 5100)
    expect(idle(state, 5250, 10_000, [66]).gone).toEqual([])
    expect(isSpokenFor(state, 60)).toBe(true)
  })

  it('neither probes older peers nor tells them anything they would count as garbage', () => {
    const state = roomWith([60, 70], [70])
    expect(onFrame(state, 'to-60', { t: 'suspect', client: 70 }, 1000).send).toEqual([])
    expect(onIceTrouble(state, 'to-70', 1000)).toEqual([])
    onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 0)
    const { send } = tickThrough(state, 500, 5000)
    expect(send.filter((out) => out.linkId === 'to-70' && out.frame.t !== 'beat')).toEqual([])
  })

  it('probes a link whose ICE state says trouble, drops it unanswered and tells the others', () => {
    const state = roomWith([10, 60], [], PROMISES_VERSION)
    for (const client of [10, 60]) onFrame(state, `to-${client}`, { t: 'beat', in: UNWATCHED_PROMISE_MS }, 0)
    expect(tickThrough(state, TICK_INTERVAL_MS, 7000).gone).toEqual([])
    expect(onIceTrouble(state, 'to-60', 7000)).toEqual([{ linkId: 'to-60', frame: { t: 'probe' } }])
    expect(onIceTrouble(state, 'to-60', 7100)).toEqual([]) // one probe at a time
    onFrame(state, 'to-10', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 7500)
    const { gone, send } = tickThrough(state, 7250, 7000 + PROBE_TIMEOUT_MS + HEARTBEAT_INTERVAL_MS)
    expect(gone).toEqual([60])
    expect(ofKind(send, 'suspect')).toEqual([{ linkId: 'to-10', frame: { t: 'suspect', client: 60 } }])
  })
})

describe('liveness tracker: rumors reach peers with no link to the lost one', () => {
  /** An awareness where every client is known at clock `clock`, and `client` was last renewed at `at()`. */
  const view = (client: number, at: () => number | undefined, clock: () => number = () => 3, refutes = true): AwarenessView => ({
    isKnown: () => true,
    renewedAt: (other) => (other === client ? at() : undefined),
    clockOf: (other) => (other === client ? clock() : 0),
    refutes: () => refutes,
  })
  const lost = (client: number, clock = 3): LivenessFrame => ({ t: 'lost', client, clock })
  /** What we send on hearing from 10 that 60 is lost. */
  const hearAbout60 = (state: LivenessState, now: number) =>
    onFrame(
      state,
      'to-10',
      lost(60),
      now,
      view(60, () => 0),
    ).send

  it('spreads a rumor on its own evidence, with the clock it held: "lost" to peers that take rumors, "suspect" to older ones', () => {
    // Us (50) with 10 (takes rumors), 60 (whom we watch), 90 (v 2: suspects only).
    const state = roomWith([10, 60], [], LIVENESS_VERSION)
    openLink(state, 'to-90', 0)
    onFrame(state, 'to-90', { t: 'hello', client: 90, v: PROMISES_VERSION }, 0)
    onFrame(state, 'to-60', { t: 'beat', in: 1000 }, 0)
    for (let now = 500; now <= 3000; now += HEARTBEAT_INTERVAL_MS) {
      for (const client of [10, 90]) onFrame(state, `to-${client}`, { t: 'beat', in: UNWATCHED_PROMISE_MS }, now)
    }
    const { gone, send } = tickThrough(
      state,
      500,
      1000 + 1000 + BEAT_GRACE_MS + HEARTBEAT_INTERVAL_MS,
      view(
        60,
        () => 0,
        () => 7,
      ),
    )
    expect(gone).toEqual([60])
    expect(send.filter((out) => out.frame.t === 'lost' || out.frame.t === 'suspect')).toEqual([
      { linkId: 'to-90', frame: { t: 'suspect', client: 60 } },
      { linkId: 'to-10', frame: { t: 'lost', client: 60, clock: 7 } },
    ])
  })

  it('spreads no rumor for a bye (the signed goodbye travels instead) nor to older peers', () => {
    const state = roomWith([10, 60, 70], [70])
    expect(onFrame(state, 'to-60', { t: 'bye' }, 100).gone).toEqual([60])
    expect(ofKind(tickThrough(state, 250, 3000).send, 'lost')).toEqual([])
    // A rumor from an older peer is not one (it never sends any): ignored.
    expect(
      onFrame(
        state,
        'to-70',
        lost(10),
        3000,
        view(10, () => 0),
      ).send,
    ).toEqual([])
  })

  it('without a link, passes the rumor on once and drops the client after RUMOR_WAIT_MS of no renewal', () => {
    const state = roomWith([10, 20, 30])
    const quiet = view(77, () => 500) // last renewed before the rumor
    idle(state, TICK_INTERVAL_MS, 1000, [10, 20, 30], quiet)
    const result = onFrame(state, 'to-10', lost(77), 1000, quiet)
    expect(result.gone).toEqual([])
    expect(result.send).toEqual([
      { linkId: 'to-20', frame: lost(77) },
      { linkId: 'to-30', frame: lost(77) },
    ])
    // The same rumor coming back over other links is not passed on again.
    expect(onFrame(state, 'to-20', lost(77), 1100, quiet).send).toEqual([])
    expect(onFrame(state, 'to-30', lost(77), 1200, quiet).send).toEqual([])
    const before = idle(state, 1250, 1000 + RUMOR_WAIT_MS - TICK_INTERVAL_MS, [10, 20, 30], quiet)
    expect(before.gone).toEqual([])
    expect(idle(state, 1000 + RUMOR_WAIT_MS, 1000 + RUMOR_WAIT_MS, [10, 20, 30], quiet).gone).toEqual([77])
    expect(idle(state, 1000 + RUMOR_WAIT_MS + TICK_INTERVAL_MS, 10_000, [10, 20, 30], quiet).gone).toEqual([]) // once
    // After the spread window the same rumor is news again.
    expect(ofKind(onFrame(state, 'to-10', lost(77), 1000 + RUMOR_SPREAD_WINDOW_MS, quiet).send, 'lost')).toHaveLength(2)
  })

  it('keeps a client that renews its state after the rumor (its refutation)', () => {
    const state = roomWith([10, 20])
    let renewedAt = 500
    const renewing = view(77, () => renewedAt)
    idle(state, TICK_INTERVAL_MS, 1000, [10, 20], renewing)
    onFrame(state, 'to-10', lost(77), 1000, renewing)
    idle(state, 1250, 2000, [10, 20], renewing)
    renewedAt = 2100 // the relay brought its renewal
    expect(idle(state, 2250, 1000 + 3 * RUMOR_WAIT_MS, [10, 20], renewing).gone).toEqual([])
    expect(state.suspected.size).toBe(0)
  })

  it('drops a stale rumor (its clock is below the one held: the client renewed since), which so starts nothing', () => {
    // Copies of a rumor still on their way after the client refuted it: passing them on again
    // would start the round anew, and the client would refute it again, for as long as copies trail.
    const state = roomWith([10, 20])
    let clock = 3
    let renewedAt = 500
    const renewing = view(
      77,
      () => renewedAt,
      () => clock,
    )
    idle(state, TICK_INTERVAL_MS, 1000, [10, 20], renewing)
    expect(ofKind(onFrame(state, 'to-10', lost(77, 3), 1000, renewing).send, 'lost')).toHaveLength(1)
    clock = 4
    renewedAt = 1100
    idle(state, 1250, 1500, [10, 20], renewing)
    expect(state.suspected.size).toBe(0)
    expect(onFrame(state, 'to-20', lost(77, 3), 1500, renewing).send).toEqual([])
    expect(state.suspected.size).toBe(0)
    // A rumor at the new clock is news: someone lost it since.
    expect(ofKind(onFrame(state, 'to-20', lost(77, 4), 1600, renewing).send, 'lost')).toHaveLength(1)
    expect(state.suspected.has(77)).toBe(true)
  })

  it('does not drop a suspect early for a gap in its own ticking, and counts a renewal that came meanwhile', () => {
    const state = roomWith([10])
    idle(
      state,
      TICK_INTERVAL_MS,
      1000,
      [10],
      view(77, () => 500),
    )
    onFrame(
      state,
      'to-10',
      lost(77),
      1000,
      view(77, () => 500),
    )
    const gap = 1000 + RUMOR_WAIT_MS + 2000 // a frozen page: the renewal waits in the queue
    expect(
      tick(
        state,
        gap,
        view(77, () => 500),
      ).gone,
    ).toEqual([])
    expect(
      tick(
        state,
        gap + TICK_INTERVAL_MS,
        view(77, () => gap + 10),
      ).gone,
    ).toEqual([])
  })

  it('with a link of its own, probes it (and passes the rumor on, so that the client hears it)', () => {
    const state = roomWith([10, 60])
    onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 0)
    idle(state, TICK_INTERVAL_MS, 5000, [10])
    expect(hearAbout60(state, 5000)).toEqual([
      { linkId: 'to-60', frame: { t: 'probe' } },
      { linkId: 'to-60', frame: lost(60) },
    ])
    // Answered: nothing is dropped, and the rumor is not waited on (the link judges it).
    onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 5100)
    expect(idle(state, 5250, 15_000, [10]).gone).toEqual([])
    expect(state.suspected.size).toBe(0)
  })

  it('with a link of its own that is dead, drops the client', () => {
    const state = roomWith([10, 20, 60])
    onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 0)
    idle(state, TICK_INTERVAL_MS, 5000, [10, 20])
    expect(ofKind(hearAbout60(state, 5000), 'probe')).toHaveLength(1)
    const after = idle(state, 5250, 5000 + PROBE_TIMEOUT_MS + HEARTBEAT_INTERVAL_MS, [10, 20])
    expect(after.gone).toEqual([60])
  })

  it('about itself, answers by renewing its state, at most every REFUTE_INTERVAL_MS but never not, and passes nothing on', () => {
    const state = roomWith([10, 20])
    const own = view(SELF, () => 0)
    idle(state, TICK_INTERVAL_MS, 1000, [10, 20], own)
    const first = onFrame(state, 'to-10', lost(SELF), 1000, own)
    expect(first.refute).toBe(true)
    expect(first.send).toEqual([])
    // Too soon for another renewal: it comes once the interval is up.
    expect(onFrame(state, 'to-20', lost(SELF, 4), 1100, own).refute).toBeUndefined()
    const refutedAt: number[] = []
    for (let now = 1250; now <= 4000; now += TICK_INTERVAL_MS) {
      for (const client of [10, 20]) onFrame(state, `to-${client}`, { t: 'beat', in: UNWATCHED_PROMISE_MS }, now)
      if (tick(state, now, own).refute === true) refutedAt.push(now)
    }
    expect(refutedAt).toEqual([1000 + REFUTE_INTERVAL_MS])
    // A copy from before its renewal (a lower clock) asks for nothing.
    expect(onFrame(state, 'to-10', lost(SELF, 2), 5000, own).refute).toBeUndefined()
  })

  it('takes a bounded number of rumors from one link: a liar makes others do bounded work', () => {
    const state = roomWith([10, 66])
    const any = view(0, () => undefined)
    let passedOn = 0
    for (let i = 0; i < 100; i++) passedOn += ofKind(onFrame(state, 'to-66', lost(1000 + i), 1000 + i, any).send, 'lost').length
    expect(passedOn).toBe(RUMOR_BURST)
    expect(state.suspected.size).toBe(RUMOR_BURST)
    expect(state.rumorsRefused).toBe(100 - RUMOR_BURST)
    // It earns one more every RUMOR_REFILL_MS; another link's rumors are its own.
    expect(ofKind(onFrame(state, 'to-66', lost(2000), 1100 + RUMOR_REFILL_MS, any).send, 'lost')).toHaveLength(1)
    expect(ofKind(onFrame(state, 'to-10', lost(3000), 1100 + RUMOR_REFILL_MS, any).send, 'lost')).toHaveLength(1)
  })

  describe('the tabs a silent link carried (its user’s other tabs, which reach the room through it)', () => {
    const USER_TABS = [60, 61, 10, SELF]
    /** An awareness where 60's user has the tabs 61 and 10 too, each client's clock is its id, and 61 renewed at `renewedAt()`. */
    const siblings = (renewedAt: () => number = () => 0): AwarenessView => ({
      isKnown: () => true,
      renewedAt: (client) => (client === 61 ? renewedAt() : 0),
      clockOf: (client) => client,
      refutes: () => true,
      // Each tab names the others, as RoomPresence.siblingsOf does (SELF among them, which must be left out).
      siblingsOf: (client) => (client === SELF || !USER_TABS.includes(client) ? [] : USER_TABS.filter((tab) => tab !== client)),
    })
    /** Ticks until 60, silent since 0, is dropped, while the links to `beating` beat. */
    const silence60 = (state: LivenessState, beating: number[], view: AwarenessView) =>
      idle(state, TICK_INTERVAL_MS, LINK_TIMEOUT_MS + TICK_INTERVAL_MS, beating, view)

    it('rumors those no link of its own speaks for, and drops them if they renew nothing within RUMOR_WAIT_MS', () => {
      const state = roomWith([10, 20, 60])
      const view = siblings()
      const { gone, send } = silence60(state, [10, 20], view)
      expect(gone).toEqual([60])
      expect(ofKind(send, 'lost')).toEqual([
        { linkId: 'to-10', frame: lost(60, 60) },
        { linkId: 'to-20', frame: lost(60, 60) },
        { linkId: 'to-10', frame: lost(61, 61) },
        { linkId: 'to-20', frame: lost(61, 61) },
      ])
      const lostAt = LINK_TIMEOUT_MS + TICK_INTERVAL_MS
      expect(idle(state, lostAt + TICK_INTERVAL_MS, lostAt + RUMOR_WAIT_MS - TICK_INTERVAL_MS, [10, 20], view).gone).toEqual([])
      expect(idle(state, lostAt + RUMOR_WAIT_MS, lostAt + 3 * RUMOR_WAIT_MS, [10, 20], view).gone).toEqual([61])
    })

    it('keeps one that renews its state meanwhile (still open, and heard through another peer)', () => {
      const state = roomWith([10, 20, 60])
      let renewedAt = 0
      const view = siblings(() => renewedAt)
      silence60(state, [10, 20], view)
      renewedAt = LINK_TIMEOUT_MS + 1000 // its renewal, after the rumor reached it
      expect(idle(state, LINK_TIMEOUT_MS + 1000, LINK_TIMEOUT_MS + 3 * RUMOR_WAIT_MS, [10, 20], view).gone).toEqual([])
      expect(state.suspected.size).toBe(0)
    })

    it('drops them with the link at once when it was the last live link: no renewal can come', () => {
      const state = roomWith([60]) // no link to 10 here either
      expect(silence60(state, [], siblings()).gone).toEqual([60, 61, 10])
    })

    it('leaves them be after a bye (their goodbyes came first), or a close this peer made (the peer stays)', () => {
      const state = roomWith([10, 60])
      expect(onFrame(state, 'to-60', { t: 'bye' }, 100, siblings()).gone).toEqual([60])
      expect(closeLink(state, 'to-60', 'theirs', 200, siblings())).toEqual({ gone: [], send: [] })
      expect(ofKind(idle(state, TICK_INTERVAL_MS, 3 * RUMOR_WAIT_MS, [10], siblings()).send, 'lost')).toEqual([])
      expect(state.suspected.size).toBe(0)
      const retired = roomWith([10, 60])
      expect(closeLink(retired, 'to-60', 'ours', 100, siblings())).toEqual({ gone: [60], send: [] })
      expect(idle(retired, 100 + TICK_INTERVAL_MS, 100 + 3 * RUMOR_WAIT_MS, [10], siblings()).gone).toEqual([])
      const alone = roomWith([60])
      expect(closeLink(alone, 'to-60', 'ours', 100, siblings()).gone).toEqual([60])
    })

    it('treats a close it did not make, with no bye before it, as silence: rumors them, and drops them unless they renew', () => {
      const state = roomWith([10, 20, 60])
      const view = siblings()
      const { gone, send } = closeLink(state, 'to-60', 'theirs', 1000, view)
      expect(gone).toEqual([60])
      expect(ofKind(send, 'lost')).toEqual([
        { linkId: 'to-10', frame: lost(60, 60) },
        { linkId: 'to-20', frame: lost(60, 60) },
        { linkId: 'to-10', frame: lost(61, 61) },
        { linkId: 'to-20', frame: lost(61, 61) },
      ])
      expect(state.rumorWaits).toEqual({ started: 1, dropped: 0 })
      expect(idle(state, 1000 + TICK_INTERVAL_MS, 1000 + RUMOR_WAIT_MS - TICK_INTERVAL_MS, [10, 20], view).gone).toEqual([])
      expect(idle(state, 1000 + RUMOR_WAIT_MS, 1000 + 3 * RUMOR_WAIT_MS, [10, 20], view).gone).toEqual([61])
      expect(state.rumorWaits).toEqual({ started: 1, dropped: 1 })
    })

    it('keeps one that renews after such a close (heard through another peer: no flapping)', () => {
      const state = roomWith([10, 20, 60])
      let renewedAt = 0
      const view = siblings(() => renewedAt)
      closeLink(state, 'to-60', 'theirs', 1000, view)
      renewedAt = 1500 // its renewal, after the rumor reached it
      expect(idle(state, 1000 + TICK_INTERVAL_MS, 1000 + 3 * RUMOR_WAIT_MS, [10, 20], view).gone).toEqual([])
      expect(state.suspected.size).toBe(0)
      expect(state.rumorWaits).toEqual({ started: 1, dropped: 0 })
    })

    it('leaves them be on a close after a bye, also when a frame after the bye revived the link', () => {
      // A closing page runs on a while after its pagehide, and may beat once more.
      const state = roomWith([10, 60])
      onFrame(state, 'to-60', { t: 'bye' }, 100, siblings())
      onFrame(state, 'to-60', { t: 'beat', in: UNWATCHED_PROMISE_MS }, 110, siblings())
      expect(closeLink(state, 'to-60', 'theirs', 200, siblings())).toEqual({ gone: [60], send: [] })
      expect(state.suspected.size).toBe(0)
    })

    it('drops them at once when such a close took the last live link', () => {
      const state = roomWith([60])
      expect(closeLink(state, 'to-60', 'theirs', 1000, siblings()).gone).toEqual([60, 61, 10])
    })
  })

  it('leaves a client that would not answer a rumor (an older tab) to awareness, whoever says it is lost', () => {
    const state = roomWith([10, 20])
    const older = view(
      77,
      () => 500,
      () => 3,
      false,
    )
    idle(state, TICK_INTERVAL_MS, 1000, [10, 20], older)
    // Still passed on: peers linked to it probe it, and it may be new to them.
    expect(ofKind(onFrame(state, 'to-10', lost(77), 1000, older).send, 'lost')).toEqual([{ linkId: 'to-20', frame: lost(77) }])
    expect(idle(state, 1250, 1000 + 3 * RUMOR_WAIT_MS, [10, 20], older).gone).toEqual([])
    expect(state.suspected.size).toBe(0)
  })
})
