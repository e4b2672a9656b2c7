// Framing over real WebRTC in Node (node-datachannel, as test/support/node-rtc.ts adapts it) with simple-peer, as y-webrtc drives it:
// large messages between framing peers (deflated where both sides can), and small ones between a
// framing peer and a stock one.
import { afterEach, describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { Framing } from '../../src/transport/framing.js'
import { PACED_BUFFER_BYTES } from '../../src/transport/framing-channel.js'
import type { RtcImplementation } from '../../src/transport/liveness.js'
import type { RtcWithChannel } from '../support/counting-rtc.js'
import { nodeRtc } from '../support/node-rtc.js'
import { seededRandom } from '../support/seeded-random.js'

/** The part of simple-peer (which ships no types) that y-webrtc uses. */
interface SimplePeer {
  on(event: string, listener: (value: never) => void): void
  once(event: string, listener: () => void): void
  off(event: string, listener: (value: never) => void): void
  signal(data: unknown): void
  send(data: Uint8Array): void
  destroy(): void
}
type PeerConstructor = new (options: Record<string, unknown>) => SimplePeer
const Peer = createRequire(import.meta.url)('simple-peer') as PeerConstructor

const stockRtc: RtcWithChannel = nodeRtc('node-datachannel')
const peers: SimplePeer[] = []

afterEach(() => {
  for (const peer of peers.splice(0)) peer.destroy()
})

/** Two simple-peer instances signalling to each other in memory; resolves once both are connected. */
async function connect(initiatorRtc: RtcImplementation, answererRtc: RtcImplementation): Promise<[SimplePeer, SimplePeer]> {
  const a = new Peer({ initiator: true, wrtc: initiatorRtc, config: { iceServers: [] } })
  const b = new Peer({ initiator: false, wrtc: answererRtc, config: { iceServers: [] } })
  peers.push(a, b)
  a.on('signal', (signal: unknown) => b.signal(signal))
  b.on('signal', (signal: unknown) => a.signal(signal))
  await Promise.all([
    new Promise<void>((resolve) => a.once('connect', resolve)),
    new Promise<void>((resolve) => b.once('connect', resolve)),
  ])
  return [a, b]
}

/** The next `count` messages a peer receives. */
function received(peer: SimplePeer, count: number): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const got: Uint8Array[] = []
    const onData = (data: Uint8Array): void => {
      got.push(new Uint8Array(data))
      if (got.length === count) {
        peer.off('data', onData)
        resolve(got)
      }
    }
    peer.on('data', onData)
  })
}

/** Bytes that differ from position to position, so a misplaced chunk shows. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff
  bytes[0] = seed & 0x7f // like a y-webrtc message type
  return bytes
}

/** Each case connects real WebRTC peers and moves megabytes: seconds under load, not vitest's default 5 s. */
const WRTC_TEST_TIMEOUT_MS = 30_000

describe('framing over real WebRTC', { timeout: WRTC_TEST_TIMEOUT_MS }, () => {
  it('carries a 5 MiB message and small ones around it, in order, both ways', async () => {
    const framingA = new Framing()
    const framingB = new Framing()
    const [a, b] = await connect(framingA.wrap(stockRtc), framingB.wrap(stockRtc))
    const big = pattern(5 * 1024 * 1024, 1)
    const arriving = received(b, 3)
    a.send(pattern(10, 2))
    a.send(big)
    a.send(pattern(20, 3))
    const [first, second, third] = await arriving
    expect(first).toEqual(pattern(10, 2))
    expect(second.byteLength).toBe(big.byteLength)
    expect(Buffer.compare(second, big)).toBe(0)
    expect(third).toEqual(pattern(20, 3))

    const back = received(a, 1)
    b.send(pattern(300 * 1024, 4))
    expect(Buffer.compare((await back)[0], pattern(300 * 1024, 4))).toBe(0)
    // Both sides speak deflate: each large message went deflated.
    const counts = {
      framedMessages: 1,
      reassembledMessages: 1,
      deflatedMessages: 1,
      inflatedMessages: 1,
      droppedMessages: 0,
      violations: 0,
    }
    expect(framingA.stats).toMatchObject(counts)
    expect(framingB.stats).toMatchObject(counts)
  })

  it('hands the real channel at most two small frames unsent at a time, so SCTP never bursts a message at the receiver', async () => {
    const framingA = new Framing({ deflate: false })
    const framingB = new Framing({ deflate: false })
    const [a, b] = await connect(framingA.wrap(stockRtc), framingB.wrap(stockRtc))
    // The real channel's own send, watched: what it holds unsent (bufferedAmount) once each frame is in.
    const prototype = stockRtc.RTCDataChannel.prototype as unknown as { send: (this: RTCDataChannel, data: Uint8Array) => void }
    const send = prototype.send
    const heldAfterSends: number[] = []
    prototype.send = function (data) {
      send.call(this, data)
      if (data.byteLength > 1024) heldAfterSends.push(this.bufferedAmount)
    }
    try {
      const random = seededRandom(16)
      const big = Uint8Array.from({ length: 2 * 1024 * 1024 }, () => Math.floor(random() * 256))
      const atB = received(b, 1)
      a.send(big)
      expect(Buffer.compare((await atB)[0], big)).toBe(0)
    } finally {
      prototype.send = send
    }
    expect(heldAfterSends.length).toBeGreaterThanOrEqual((2 * 1024) / 16) // frames of 16 KiB
    expect(Math.max(...heldAfterSends)).toBeLessThanOrEqual(PACED_BUFFER_BYTES)
  })

  it('sends plain frames both ways when one side does not deflate', async () => {
    const framingA = new Framing()
    const framingB = new Framing({ deflate: false })
    const [a, b] = await connect(framingA.wrap(stockRtc), framingB.wrap(stockRtc))
    const atB = received(b, 1)
    a.send(pattern(300 * 1024, 8))
    expect(Buffer.compare((await atB)[0], pattern(300 * 1024, 8))).toBe(0)
    const atA = received(a, 1)
    b.send(pattern(300 * 1024, 9))
    expect(Buffer.compare((await atA)[0], pattern(300 * 1024, 9))).toBe(0)
    for (const framing of [framingA, framingB])
      expect(framing.stats).toMatchObject({ framedMessages: 1, reassembledMessages: 1, deflatedMessages: 0, inflatedMessages: 0 })
  })

  it('answers a joiner that takes answers in parts with them and an older Parley joiner with its own, chosen by its hello', async () => {
    const question = Uint8Array.of(0, 0, 1, 0)
    const parts = [pattern(300 * 1024, 11), pattern(300 * 1024, 12), pattern(300 * 1024, 13)]
    const merged = pattern(900 * 1024, 14)
    for (const answerParts of [true, false]) {
      let answered = (): void => {}
      const asked = new Promise<void>((resolve) => {
        answered = resolve
      })
      const answerer = new Framing({
        answer: (data) => {
          if (Buffer.compare(new Uint8Array(data as ArrayBuffer), question) !== 0) return null
          answered()
          return { messages: parts, forOlderPeers: () => [merged] }
        },
      })
      const joiner = new Framing({ answerParts })
      const [a, b] = await connect(joiner.wrap(stockRtc), answerer.wrap(stockRtc))
      // Asked as y-webrtc asks, at once on connect: the joiner's hello may not be in yet.
      const expected = answerParts ? parts : [merged]
      const got = received(a, expected.length + 1)
      a.send(question)
      await asked
      b.send(pattern(40, 15)) // sent after the answer: it comes after it
      const messages = await got
      expect(messages.map((message) => message.byteLength)).toEqual([...expected.map((message) => message.byteLength), 40])
      for (const [index, message] of expected.entries()) expect(Buffer.compare(messages[index], message)).toBe(0)
    }
  })

  it('talks to a stock peer unframed, both as initiator and as answerer', async () => {
    for (const framingFirst of [true, false]) {
      const framing = new Framing()
      const [a, b] = await connect(framingFirst ? framing.wrap(stockRtc) : stockRtc, framingFirst ? stockRtc : framing.wrap(stockRtc))
      const atB = received(b, 2)
      a.send(pattern(100, 5))
      a.send(pattern(60 * 1024, 6))
      expect(await atB).toEqual([pattern(100, 5), pattern(60 * 1024, 6)])
      const atA = received(a, 1)
      b.send(pattern(200, 7))
      expect(await atA).toEqual([pattern(200, 7)])
      expect(framing.stats.framedMessages + framing.stats.reassembledMessages).toBe(0)
    }
  })
})
