// Shares topics between signaling instances through Redis pub/sub (ioredis), one channel per topic.
// Local rooms never depend on Redis: if it goes away, relaying pauses and resumes on reconnect.
//
// Wire format on Redis:
//   channel  `${prefix}topic:${topic}`  (prefix defaults to "parley:signaling:")
//   message  {"v":1,"origin":"<instance id>","message":{"type":"publish","topic":"<topic>",...}}
// An instance subscribes to a topic's channel only while it has local subscribers, publishes
// every local publish (subscribers or not) and delivers remote ones to its local subscribers.
// It ignores its own messages (same origin), so local subscribers get each publish once.
// `clients` in a relayed frame is the number of subscribers on the delivering instance
// (local count only): counting remote subscribers would need shared state in Redis.

import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Logger } from './logger.js'
import type { PublishMessage } from './protocol.js'
import { parseClientValue, parseJsonText } from './protocol.js'
import type { RelayStatus, TopicRelay } from './topic-relay.js'

/** Version tag of the envelope; bump on any incompatible change. */
export const ENVELOPE_VERSION = 1
/** Reconnect delay grows by this much per failed attempt... */
const REDIS_RETRY_STEP_MS = 100
/** ...up to this cap, so a restarted Redis is found again within about a second. */
const REDIS_RETRY_MAX_DELAY_MS = 1_000
/** How long to wait for a dead TCP connect to Redis before retrying. */
const REDIS_CONNECT_TIMEOUT_MS = 5_000
const TOPIC_INFIX = 'topic:'

/** A publish frame travelling between instances. */
export interface RelayEnvelope {
  readonly origin: string
  readonly message: PublishMessage
}

/** Options of the Redis relay. */
export interface RedisRelayOptions {
  readonly url: string
  readonly channelPrefix: string
  readonly log: Logger
  /** A remote publish for a topic with local subscribers. */
  readonly onRemote: (message: PublishMessage) => void
  /** Counts relayed frames: `out` sent, `in` delivered, `failed` not sent (Redis down). */
  readonly onCount: (direction: 'in' | 'out' | 'failed') => void
  /** Identifies this instance in envelopes; random by default. */
  readonly instanceId?: string
}

/** The Redis channel of a topic. */
export function channelFor(prefix: string, topic: string): string {
  return prefix + TOPIC_INFIX + topic
}

/** Serialises an envelope. */
export function encodeEnvelope(origin: string, message: PublishMessage): string {
  return JSON.stringify({ v: ENVELOPE_VERSION, origin, message })
}

/** Guards a message read from Redis: another instance is trusted no more than a client. */
export function parseEnvelope(data: unknown): RelayEnvelope | undefined {
  const json = parseJsonText(data)
  if (!json.ok || typeof json.frame !== 'object' || json.frame === null) return undefined
  const value = json.frame as Record<string, unknown>
  if (value['v'] !== ENVELOPE_VERSION || typeof value['origin'] !== 'string') return undefined
  const frame = parseClientValue(value['message'])
  if (!frame.ok || frame.frame.type !== 'publish') return undefined
  return { origin: value['origin'], message: frame.frame.message }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Connects to Redis (two connections: publisher and subscriber) and starts relaying. */
export function createRedisRelay(options: RedisRelayOptions): TopicRelay {
  const { log, channelPrefix } = options
  const instanceId = options.instanceId ?? randomUUID()
  const connectionOptions = {
    enableOfflineQueue: false, // never queue signaling while Redis is down: it would be stale
    autoResubscribe: false, // we resubscribe ourselves from `openTopics` on every ready
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(attempt * REDIS_RETRY_STEP_MS, REDIS_RETRY_MAX_DELAY_MS),
  }
  const publisher = new Redis(options.url, connectionOptions)
  const subscriber = new Redis(options.url, connectionOptions)
  const openTopics = new Set<string>()
  const readyWaiters = new Set<() => void>()
  let status: RelayStatus = 'connecting'
  let stopped = false

  const updateStatus = (): void => {
    const next: RelayStatus =
      publisher.status === 'ready' && subscriber.status === 'ready' ? 'ready' : status === 'connecting' ? 'connecting' : 'down'
    if (next === status || stopped) return
    if (next === 'ready') {
      log.info('redis_ready', { topics: openTopics.size })
      for (const resolve of readyWaiters) resolve()
      readyWaiters.clear()
    } else {
      log.warn('redis_down', { topics: openTopics.size })
    }
    status = next
  }

  const subscribeChannels = (topics: readonly string[]): void => {
    if (topics.length === 0 || subscriber.status !== 'ready') return
    subscriber.subscribe(...topics.map((topic) => channelFor(channelPrefix, topic))).catch((error: unknown) => {
      log.debug('redis_subscribe_failed', { error: describe(error) }) // retried on the next ready
    })
  }

  for (const connection of [publisher, subscriber]) {
    connection.on('error', (error: unknown) => log.debug('redis_error', { error: describe(error) }))
    connection.on('close', updateStatus)
    connection.on('ready', updateStatus)
  }
  subscriber.on('ready', () => subscribeChannels([...openTopics]))
  subscriber.on('message', (channel: string, text: string) => {
    const envelope = parseEnvelope(text)
    if (envelope === undefined || channelFor(channelPrefix, envelope.message.topic) !== channel) {
      log.debug('redis_message_rejected', { channel })
      return
    }
    if (envelope.origin === instanceId || !openTopics.has(envelope.message.topic)) return
    options.onCount('in')
    options.onRemote(envelope.message)
  })

  return {
    status: () => status,
    open(topic) {
      openTopics.add(topic)
      subscribeChannels([topic])
    },
    close(topic) {
      openTopics.delete(topic)
      if (subscriber.status !== 'ready') return
      subscriber.unsubscribe(channelFor(channelPrefix, topic)).catch((error: unknown) => {
        log.debug('redis_unsubscribe_failed', { error: describe(error) }) // a reconnect drops it anyway
      })
    },
    publish(message) {
      if (publisher.status !== 'ready') {
        options.onCount('failed')
        return
      }
      publisher.publish(channelFor(channelPrefix, message.topic), encodeEnvelope(instanceId, message)).then(
        () => options.onCount('out'),
        (error: unknown) => {
          options.onCount('failed')
          log.debug('redis_publish_failed', { error: describe(error) })
        },
      )
    },
    whenReady(timeoutMs) {
      if (status === 'ready') return Promise.resolve()
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          readyWaiters.delete(done)
          resolve()
        }
        const timer = setTimeout(done, timeoutMs)
        readyWaiters.add(done)
      })
    },
    async stop() {
      stopped = true
      for (const resolve of [...readyWaiters]) resolve()
      publisher.disconnect()
      subscriber.disconnect()
    },
  }
}
