// The node-datachannel peer connection of test/support/node-rtc.ts, driven by simple-peer as
// y-webrtc drives it: an offerer's addresses reach the answerer only once the offerer has taken
// the answer, so the answerer cannot start ICE and the DTLS handshake while libdatachannel
// takes the answer (a race that failed links on busy cores: see node-rtc.ts).
import { afterEach, describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { nodeRtc } from './node-rtc.js'

/** The part of simple-peer (which ships no types) that the test uses. */
interface SimplePeer {
  on(event: string, listener: (value: never) => void): void
  once(event: string, listener: () => void): void
  signal(data: unknown): void
  destroy(): void
}
type PeerConstructor = new (options: Record<string, unknown>) => SimplePeer
const Peer = createRequire(import.meta.url)('simple-peer') as PeerConstructor

/** A signal as simple-peer emits it. */
interface Signal {
  type?: string
  sdp?: string
  candidate?: unknown
}

/** Connecting real peers takes seconds under load, not vitest's default 5 s. */
const LINK_TEST_TIMEOUT_MS = 30_000
/** How long the offerer waits for its answer here, in ms: the offer's gathering is long done by then. */
const ANSWER_AFTER_MS = 300

const peers: SimplePeer[] = []

afterEach(() => {
  for (const peer of peers.splice(0)) peer.destroy()
})

describe('a node-datachannel offerer', { timeout: LINK_TEST_TIMEOUT_MS }, () => {
  it('hands out its candidates only after it has taken the answer, and links', async () => {
    const rtc = nodeRtc('node-datachannel')
    const offerer = new Peer({ initiator: true, wrtc: rtc, config: { iceServers: [] } })
    const answerer = new Peer({ initiator: false, wrtc: rtc, config: { iceServers: [] } })
    peers.push(offerer, answerer)
    /** What the offerer sent, in order, with whether it had taken the answer then. */
    const sent: Array<{ signal: Signal; answered: boolean }> = []
    let answered = false
    offerer.on('signal', (signal: Signal) => {
      sent.push({ signal, answered })
      answerer.signal(signal)
    })
    answerer.on('signal', (signal: Signal) => {
      // The answer comes late, as over signaling from a busy process; what follows it keeps its order.
      setTimeout(() => {
        offerer.signal(signal)
        if (signal.type === 'answer') answered = true
      }, ANSWER_AFTER_MS)
    })
    await Promise.all([
      new Promise<void>((resolve) => offerer.once('connect', resolve)),
      new Promise<void>((resolve) => answerer.once('connect', resolve)),
    ])
    const offer = sent.find(({ signal }) => signal.type === 'offer')?.signal
    expect(offer?.sdp).toBeDefined()
    expect(offer?.sdp).not.toMatch(/a=candidate/)
    const candidates = sent.filter(({ signal }) => signal.candidate !== undefined)
    expect(candidates.length).toBeGreaterThan(0)
    expect(candidates.filter(({ answered }) => !answered)).toEqual([])
  })
})
