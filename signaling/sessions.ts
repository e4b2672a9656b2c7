// What the server does with one WebSocket connection: rate limit, guard, route and send frames.
// The decisions are the pure modules' (protocol, rate-limit, topic-registry); this holds them together.

import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type { Logger } from './logger.js'
import type { ClientFrame, ParseLimits, PublishMessage, RejectReason } from './protocol.js'
import { CLOSE_RATE_LIMITED, PONG_TEXT, encodePublish, encodePublishText, parseClientFrame } from './protocol.js'
import type { RateLimit, TokenBucket } from './rate-limit.js'
import { createTokenBucket, takeToken } from './rate-limit.js'
import type { TopicRelay } from './topic-relay.js'
import type { DropReason, SignalingCounters } from './stats.js'
import type { TopicRegistry } from './topic-registry.js'
import * as topicRegistry from './topic-registry.js'
import type { WireFrame } from './wire-frame.js'
import { textFrame } from './wire-frame.js'

/** The part of a connection's TCP socket that sessions write frames to. */
export interface FrameSink {
  write(chunk: Uint8Array): boolean
  /** Bytes accepted by `write` but not yet handed to the kernel. */
  readonly writableLength: number
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
  /** Queues a complete frame; the session's frames of one event-loop turn go out in one write. */
  send(frame: WireFrame): void
}

/** Limits a session enforces (0 disables maxTopicsPerConnection, maxSubscribersPerTopic and maxBufferedBytes). */
export interface SessionLimits {
  readonly maxTopicsPerConnection: number
  readonly maxSubscribersPerTopic: number
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
  open(ws: WebSocket, ip: string, socket: FrameSink): Session
  /** Handles one incoming frame; never throws for any input. */
  receive(session: Session, data: RawData, isBinary: boolean): void
  /** Ends a session for `reason`: a close frame if `close` is given, else terminate(). */
  drop(session: Session, reason: DropReason, close?: { readonly code: number; readonly text: string }): void
  /** Records that `ws` failed the connection itself (it closes the socket on its own). */
  failed(session: Session, reason: DropReason): void
  /** Removes a session's subscriptions (idempotent). */
  detach(session: Session): void
  /** Sends a publish to the local subscribers of its topic; `text` is its JSON as received, if known. */
  deliver(message: PublishMessage, text?: string): void
}

const RATE_LIMIT_REASON = 'rate limit exceeded'
const PONG_FRAME = textFrame(PONG_TEXT)

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
  // server's busy time. Each session's frames wait here until the turn ends.
  const outboxes = new Map<Session, { readonly socket: FrameSink; readonly frames: WireFrame[] }>()
  function flushOutboxes(): void {
    for (const [session, { socket, frames }] of outboxes) {
      if (session.dropped || session.ws.readyState !== WebSocket.OPEN) continue
      socket.write(frames.length === 1 ? (frames[0] as WireFrame) : Buffer.concat(frames))
    }
    outboxes.clear()
  }

  const { registry, relay, counters, log, limits } = context
  const parseLimits: ParseLimits = { maxTopicsPerFrame: limits.maxTopicsPerConnection || undefined }
  const maxTopics = limits.maxTopicsPerConnection || Number.POSITIVE_INFINITY
  const maxSubscribers = limits.maxSubscribersPerTopic || Number.POSITIVE_INFINITY

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

  function deliver(message: PublishMessage, text?: string): void {
    // Framed once, header and all: the same bytes go to every receiver.
    const encode = (clients: number): WireFrame =>
      textFrame(text === undefined ? encodePublish(message, clients) : encodePublishText(text, clients))
    counters.framesOut += topicRegistry.publish(registry, message.topic, encode)
  }

  function handle(session: Session, frame: ClientFrame): void {
    switch (frame.type) {
      case 'subscribe': {
        const result = topicRegistry.subscribe(registry, session, frame.topics, maxTopics, maxSubscribers)
        if (!result.ok) {
          reject(session, result.reason)
          return
        }
        for (const topic of result.openedTopics) relay.open(topic)
        if (result.fullTopics.length > 0) {
          // Counted once per frame, like every rejection; logged at info because a full room is
          // worth an operator's attention. Topic names stay out of the log: they are room names.
          counters.rejected.topic_full += 1
          log.info('subscribe_refused', { reason: 'topic_full', ip: session.ip, topics: result.fullTopics.length })
        }
        return
      }
      case 'unsubscribe':
        for (const topic of topicRegistry.unsubscribe(registry, session, frame.topics)) relay.close(topic)
        return
      case 'publish':
        deliver(frame.message, frame.text)
        relay.publish(frame.message)
        return
      case 'ping':
        session.send(PONG_FRAME)
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
          const outbox = outboxes.get(session)
          if (outbox !== undefined) {
            outbox.frames.push(frame)
            return
          }
          // Judged on what earlier turns left unsent, not on this turn's batch.
          if (limits.maxBufferedBytes > 0 && socket.writableLength > limits.maxBufferedBytes) {
            drop(session, 'slow_consumer')
            return
          }
          outboxes.set(session, { socket, frames: [frame] })
          if (outboxes.size === 1) setImmediate(flushOutboxes)
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
