// A WebSocket class for y-webrtc's signaling client (lib0 uses the global WebSocket) that sees a
// peer's signaling frames on the wire and can drop or delay incoming ones, as a lossy network would.
import { WebSocket } from 'ws'
import { traceFrame, traceLine } from './join-trace.js'

/** What the tap does to incoming frames of public rooms (private payloads are encrypted: passed as they are). */
export interface TapOptions {
  /** Drops every signal of the first N links that offer to this peer: their offers are lost. */
  dropOfferLinks?: number
  /** Drops the first N announcements of other peers. */
  dropAnnounces?: number
  /** Holds a peer's signals to this one until this one has sent its own offer to that peer. */
  holdOffersUntilOwnOffer?: boolean
  /**
   * Breaks the SDP of the first N answers addressed to this peer, so that applying them fails
   * and the link that offered is given up (as when a link fails during its setup).
   */
  breakAnswers?: number
  /**
   * Holds the first offer to this peer (and the signals after it) until its sender announces
   * itself again; the announcement goes on first and the held signals right after it, in a
   * microtask: a stock peer then begins a link of its own to the sender and gets the sender's
   * offer before its own offer is out (the glare stock y-webrtc 10.3 answers with that link).
   */
  holdFirstOfferUntilAnnounce?: boolean
  /** Delays each signal addressed to this peer by this many ms (a slow network; order is kept). */
  delaySignalsMs?: number
  /**
   * A slow answerer that trickles: an answer to this peer is held this many ms, while the
   * candidates after it go on, the n-th (from 1) n × `candidateSpacingMs` ms after it came.
   */
  slowAnswer?: { answerMs: number; candidateSpacingMs: number }
}

/** What the tap saw and did so far. */
export interface TapCounts {
  /** This peer's id, from its first announcement (public rooms; a tap is meant for one room). */
  peerId: string | null
  /** Whether this peer has subscribed to a topic. */
  subscribed: boolean
  offersSent: number
  /** Offers sent, by the peer id they went to. */
  offersByPeer: Record<string, number>
  /** Publish frames this peer sent: announcements and signals. */
  publishesSent: number
  offersReceived: number
  answersReceived: number
  droppedOfferLinks: number
  droppedAnnounces: number
  heldOffers: number
  brokenAnswers: number
}

type MessageHandler = (event: { data: unknown }) => void

/** Signaling payload fields the tap reads. */
interface Payload {
  type?: unknown
  from?: unknown
  to?: unknown
  token?: unknown
  signal?: { type?: unknown }
}

/** The published payload of a signaling frame (a public room's), or null. */
function payloadOf(text: unknown): Payload | null {
  if (typeof text !== 'string') return null
  const frame = JSON.parse(text) as { type?: unknown; data?: unknown }
  if (frame.type !== 'publish' || typeof frame.data !== 'object' || frame.data === null) return null
  return frame.data as Payload
}

/** A WebSocket class that taps every socket made with it, and the counts it keeps. */
export function tappedWebSocket(options: TapOptions = {}): { WebSocket: typeof globalThis.WebSocket; counts: TapCounts } {
  const counts: TapCounts = {
    peerId: null,
    subscribed: false,
    offersSent: 0,
    offersByPeer: {},
    publishesSent: 0,
    offersReceived: 0,
    answersReceived: 0,
    droppedOfferLinks: 0,
    droppedAnnounces: 0,
    heldOffers: 0,
    brokenAnswers: 0,
  }
  /** Every peer id this tap's sockets announced (each room of a realm has its own). */
  const ownIds = new Set<string>()
  const droppedTokens = new Set<unknown>()
  const offeredTo = new Set<string>()
  const held = new Map<string, Array<() => void>>()
  /** Signals let through late (delaySignalsMs, slowAnswer), so that they are not delayed twice. */
  const delayed = new WeakSet<() => void>()
  /** Candidates seen from each peer (slowAnswer). */
  const candidatesFrom = new Map<string, number>()
  /** Peers whose signals wait for their next announcement (holdFirstOfferUntilAnnounce), and whether one was held yet. */
  const heldForAnnounce = new Set<string>()
  let heldFirstOffer = false

  /** Whether an incoming frame goes on to y-webrtc now; `deliver` hands it on later otherwise. */
  const admit = (text: unknown, deliver: () => void): boolean => {
    const data = payloadOf(text)
    if (data === null || typeof data.from !== 'string' || ownIds.has(data.from)) return true
    if (data.type === 'announce') {
      const waiting = held.get(data.from)
      if (heldForAnnounce.delete(data.from) && waiting !== undefined) {
        held.delete(data.from)
        queueMicrotask(() => {
          for (const release of waiting) release()
        })
      }
      if (counts.droppedAnnounces >= (options.dropAnnounces ?? 0)) return true
      counts.droppedAnnounces++
      return false
    }
    if (data.type !== 'signal' || typeof data.to !== 'string' || !ownIds.has(data.to)) return true
    if (droppedTokens.has(data.token)) return false
    const kind = data.signal?.type
    if (kind === 'offer' && counts.droppedOfferLinks < (options.dropOfferLinks ?? 0)) {
      counts.droppedOfferLinks++
      droppedTokens.add(data.token)
      return false
    }
    const waiting = held.get(data.from)
    if (kind === 'offer' && options.holdFirstOfferUntilAnnounce === true && !heldFirstOffer) {
      heldFirstOffer = true
      heldForAnnounce.add(data.from)
    }
    const holding =
      heldForAnnounce.has(data.from) || (kind === 'offer' && options.holdOffersUntilOwnOffer === true && !offeredTo.has(data.from))
    if (waiting !== undefined || holding) {
      if (kind === 'offer') counts.heldOffers++
      held.set(data.from, [...(waiting ?? []), deliver])
      return false
    }
    const slow = options.slowAnswer
    const laterBy =
      slow === undefined
        ? options.delaySignalsMs
        : kind === 'answer'
          ? slow.answerMs
          : kind === 'candidate'
            ? slow.candidateSpacingMs * ((candidatesFrom.get(data.from) ?? 0) + 1)
            : undefined
    if (laterBy !== undefined && !delayed.has(deliver)) {
      delayed.add(deliver)
      if (kind === 'candidate') candidatesFrom.set(data.from, (candidatesFrom.get(data.from) ?? 0) + 1)
      setTimeout(deliver, laterBy)
      return false
    }
    if (kind === 'offer') counts.offersReceived++
    if (kind === 'answer') counts.answersReceived++
    return true
  }

  /** The frame as y-webrtc gets it: the first answers to this peer broken (breakAnswers). */
  const mangle = (text: unknown): unknown => {
    const data = payloadOf(text)
    if (data === null || data.type !== 'signal' || typeof data.to !== 'string' || !ownIds.has(data.to)) return text
    if (data.signal?.type !== 'answer' || counts.brokenAnswers >= (options.breakAnswers ?? 0)) return text
    counts.brokenAnswers++
    const frame = JSON.parse(text as string) as { data: { signal: { sdp?: string } } }
    frame.data.signal.sdp = 'v=0\r\nbroken'
    return JSON.stringify(frame)
  }

  const watchOutgoing = (text: unknown): void => {
    if (typeof text !== 'string') return
    if ((JSON.parse(text) as { type?: unknown }).type === 'subscribe') counts.subscribed = true
    const data = payloadOf(text)
    if ((JSON.parse(text) as { type?: unknown }).type === 'publish') counts.publishesSent++
    if (data === null) return
    if (data.type === 'announce' && typeof data.from === 'string') {
      ownIds.add(data.from)
      counts.peerId ??= data.from
    }
    if (data.type === 'signal' && data.signal?.type === 'offer' && typeof data.to === 'string') {
      counts.offersSent++
      counts.offersByPeer[data.to] = (counts.offersByPeer[data.to] ?? 0) + 1
      offeredTo.add(data.to)
      const waiting = held.get(data.to)
      held.delete(data.to)
      // Later, not inside y-webrtc's send: the held frames pass the tap again, in order.
      if (waiting !== undefined)
        setTimeout(() => {
          for (const deliver of waiting) deliver()
        }, 0)
    }
  }

  class TappedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')
      let handler: MessageHandler | null = null
      Object.defineProperty(this, 'onmessage', {
        get: () => handler,
        set: (next: MessageHandler | null) => {
          handler = next
          const tapped = (received: { data: unknown }): void => {
            traceFrame('in', received.data)
            const data = mangle(received.data)
            const event = data === received.data ? received : { data }
            const deliver = (): void => {
              if (admit(event.data, deliver)) handler?.(event)
            }
            deliver()
          }
          onmessage?.set?.call(this, next === null ? null : tapped)
        },
      })
      this.addEventListener('close', (event: { code: number }) => traceLine(`socket-close ${event.code}`))
      const send = this.send.bind(this)
      this.send = ((data: unknown, ...rest: unknown[]) => {
        watchOutgoing(data)
        traceFrame('out', data)
        return (send as (...all: unknown[]) => void)(data, ...rest)
      }) as typeof this.send
    }
  }
  return { WebSocket: TappedWebSocket as unknown as typeof globalThis.WebSocket, counts }
}
