// What the server does with one WebSocket connection: rate limit, guard, route and send frames.
// The decisions are the pure modules' (protocol, rate-limit, topic-registry); this holds them together.

import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type { Logger } from './logger.js'
import type { ClientFrame, ParseLimits, PublishMessage, RejectReason } from './protocol.js'
import { CLOSE_RATE_LIMITED, PONG_TEXT, encodePublish, parseClientFrame } from './protocol.js'
import type { RateLimit, TokenBucket } from './rate-limit.js'
import { createTokenBucket, takeToken } from './rate-limit.js'
import type { TopicRelay } from './topic-relay.js'
import type { DropReason, SignalingCounters } from './stats.js'
import type { OutgoingFrame, TopicRegistry } from './topic-registry.js'
import * as topicRegistry from './topic-registry.js'

/** The part of a connection's TCP socket that write batching uses. */
export interface Corkable {
  cork(): void
  uncork(): void
}

/** Server-side state of one connection; the registry sees it as a TopicConnection. */
export interface Session {
  readonly ws: WebSocket
  readonly ip: string
  /** Set when a pong arrives, cleared by each heartbeat. */
  alive: boolean
  /** Set once the server decided to end this connection; later frames are ignored. */
  dropped: boolean
  bucket: TokenBucket
  send(frame: OutgoingFrame): void
}

/** Limits a session enforces (0 disables maxTopicsPerConnection and maxBufferedBytes). */
export interface SessionLimits {
  readonly maxTopicsPerConnection: number
  readonly maxBufferedBytes: number
  readonly rateLimit: RateLimit
}

/** Shared state every session works on. */
export interface SessionContext {
  readonly registry: TopicRegistry<Session>
  readonly relay: TopicRelay
  readonly counters: SignalingCounters
  readonly log: Logger
  readonly limits: SessionLimits
  /** Monotonic clock in milliseconds, for the token bucket. */
  readonly now: () => number
}

/** Operations on sessions, bound to one context. */
export interface Sessions {
  /** Creates the state of a freshly upgraded connection. */
  open(ws: WebSocket, ip: string, socket?: Corkable): Session
  /** Handles one incoming frame; never throws for any input. */
  receive(session: Session, data: RawData, isBinary: boolean): void
  /** Ends a session for `reason`: a close frame if `close` is given, else terminate(). */
  drop(session: Session, reason: DropReason, close?: { readonly code: number; readonly text: string }): void
  /** Records that `ws` failed the connection itself (it closes the socket on its own). */
  failed(session: Session, reason: DropReason): void
  /** Removes a session's subscriptions (idempotent). */
  detach(session: Session): void
  /** Sends a publish to the local subscribers of its topic. */
  deliver(message: PublishMessage): void
}

const RATE_LIMIT_REASON = 'rate limit exceeded'
const PONG_BYTES = Buffer.from(PONG_TEXT)
const TEXT_FRAME = { binary: false } as const

function rawToBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** Creates the session operations over one registry, relay and set of counters. */
export function createSessions(context: SessionContext): Sessions {
  // Frames for one socket within a turn of the event loop go out in one write: under load a
  // publish reaches each member separately, and one system call per frame was 44 % of the
  // server's busy time.
  const corked = new Set<Corkable>()
  const uncorkAll = (): void => {
    for (const socket of corked) socket.uncork()
    corked.clear()
  }
  function batchWrites(socket: Corkable): void {
    if (corked.has(socket)) return
    socket.cork()
    corked.add(socket)
    if (corked.size === 1) setImmediate(uncorkAll)
  }

  const { registry, relay, counters, log, limits } = context
  const parseLimits: ParseLimits = { maxTopicsPerFrame: limits.maxTopicsPerConnection || undefined }
  const maxTopics = limits.maxTopicsPerConnection || Number.POSITIVE_INFINITY

  function reject(session: Session, reason: RejectReason): void {
    counters.rejected[reason] += 1
    log.debug('frame_rejected', { reason, ip: session.ip })
  }

  function detach(session: Session): void {
    for (const topic of topicRegistry.removeConnection(registry, session)) relay.close(topic)
  }

  function drop(session: Session, reason: DropReason, close?: { readonly code: number; readonly text: string }): void {
    if (session.dropped) return
    session.dropped = true
    counters.dropped[reason] += 1
    detach(session)
    log.info('connection_dropped', { reason, ip: session.ip })
    if (close === undefined) session.ws.terminate()
    else session.ws.close(close.code, close.text)
  }

  function deliver(message: PublishMessage): void {
    // Encoded to bytes once: `ws` would otherwise convert the string again for every receiver.
    counters.framesOut += topicRegistry.publish(registry, message.topic, (n) => Buffer.from(encodePublish(message, n)))
  }

  function handle(session: Session, frame: ClientFrame): void {
    switch (frame.type) {
      case 'subscribe': {
        const result = topicRegistry.subscribe(registry, session, frame.topics, maxTopics)
        if (!result.ok) reject(session, result.reason)
        else for (const topic of result.openedTopics) relay.open(topic)
        return
      }
      case 'unsubscribe':
        for (const topic of topicRegistry.unsubscribe(registry, session, frame.topics)) relay.close(topic)
        return
      case 'publish':
        deliver(frame.message)
        relay.publish(frame.message)
        return
      case 'ping':
        session.send(PONG_BYTES)
        counters.framesOut += 1
        return
    }
  }

  function receiveUnguarded(session: Session, data: RawData, isBinary: boolean): void {
    if (session.dropped) return
    const next = takeToken(session.bucket, limits.rateLimit, context.now())
    if (next === undefined) {
      drop(session, 'rate_limited', { code: CLOSE_RATE_LIMITED, text: RATE_LIMIT_REASON })
      return
    }
    session.bucket = next
    counters.framesIn += 1
    if (isBinary) {
      reject(session, 'binary_frame')
      return
    }
    const parsed = parseClientFrame(rawToBytes(data), parseLimits)
    if (!parsed.ok) {
      reject(session, parsed.reason)
      return
    }
    handle(session, parsed.frame)
  }

  return {
    open(ws, ip, socket) {
      const session: Session = {
        ws,
        ip,
        alive: true,
        dropped: false,
        bucket: createTokenBucket(limits.rateLimit, context.now()),
        send(frame) {
          if (session.dropped || ws.readyState !== WebSocket.OPEN) return
          // Judged on what earlier turns left unsent, not on this turn's batch.
          const firstThisTurn = socket === undefined || !corked.has(socket)
          if (firstThisTurn && limits.maxBufferedBytes > 0 && ws.bufferedAmount > limits.maxBufferedBytes) {
            drop(session, 'slow_consumer')
            return
          }
          if (socket !== undefined) batchWrites(socket)
          ws.send(frame, TEXT_FRAME)
        },
      }
      return session
    },
    receive(session, data, isBinary) {
      try {
        receiveUnguarded(session, data, isBinary)
      } catch (error) {
        counters.internalErrors += 1
        log.error('message_handler_failed', { ip: session.ip, error: describe(error) })
      }
    },
    drop,
    failed(session, reason) {
      if (session.dropped) return
      session.dropped = true
      counters.dropped[reason] += 1
      detach(session)
    },
    detach,
    deliver,
  }
}
