// Multi-instance tests: two signaling servers sharing topics through a real redis-server.
// Covers both directions, no double delivery, channel lifetime, and surviving a Redis restart.

import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_REDIS_CHANNEL_PREFIX } from '../../signaling/options.js'
import { channelFor } from '../../signaling/redis-relay.js'
import type { SignalingServer } from '../../signaling/server.js'
import { TestClient, cleanup, startTestServer, track, waitUntil } from './helpers.js'
import type { RedisHandle } from './redis-harness.js'
import { startRedis } from './redis-harness.js'

afterEach(cleanup)

const REDIS_TEST_TIMEOUT_MS = 30_000
/** Reconnection is retried at most once a second, so allow a few seconds for it. */
const RECONNECT_WAIT_MS = 8_000

async function trackedRedis(port?: number): Promise<RedisHandle> {
  const redis = await startRedis(port)
  track(() => redis.stop())
  return redis
}

/** Number of Redis subscribers of a topic's channel, asked on a short-lived connection. */
async function channelSubscribers(url: string, topic: string): Promise<number> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => undefined) // the caller retries while Redis is still coming up
  try {
    await probe.connect()
    const reply = await probe.pubsub('NUMSUB', channelFor(DEFAULT_REDIS_CHANNEL_PREFIX, topic))
    return Number(reply[1])
  } catch {
    return -1 // not reachable yet
  } finally {
    probe.disconnect()
  }
}

async function joined(server: SignalingServer, topic: string): Promise<TestClient> {
  const client = await TestClient.connect(server.url)
  client.send({ type: 'subscribe', topics: [topic] })
  await client.sync()
  return client
}

function dataOf(client: TestClient, topic: string): unknown[] {
  return client.publishes(topic).map((frame) => frame.message['data'])
}

describe('signaling across instances through Redis', () => {
  it('relays publishes both ways, once each, and keeps channels only while topics have local subscribers', {
    timeout: REDIS_TEST_TIMEOUT_MS,
  }, async () => {
    const redis = await trackedRedis()
    const one = await startTestServer({ redisUrl: redis.url })
    const two = await startTestServer({ redisUrl: redis.url })
    expect(one.stats().relay).toBe('ready')
    const a = await joined(one, 'room')
    const b = await joined(two, 'room')
    await waitUntil(async () => (await channelSubscribers(redis.url, 'room')) === 2, 'both instances subscribe the channel')

    a.send({ type: 'publish', topic: 'room', data: 'from a' })
    const atB = await b.waitFor((f) => f.type === 'publish' && f.message['data'] === 'from a', 'a → b')
    expect(atB).toMatchObject({ clients: 1 }) // local subscribers of the delivering instance
    b.send({ type: 'publish', topic: 'room', data: 'from b' })
    await a.waitFor((f) => f.type === 'publish' && f.message['data'] === 'from b', 'b → a')
    // Redis keeps per-channel order, so once the fence arrives any duplicate would have too.
    b.send({ type: 'publish', topic: 'room', data: 'fence' })
    await a.waitFor((f) => f.type === 'publish' && f.message['data'] === 'fence', 'fence')
    expect(dataOf(a, 'room')).toEqual(['from a', 'from b', 'fence'])
    await b.sync()
    expect(dataOf(b, 'room')).toEqual(['from a', 'from b', 'fence'])

    await a.close()
    await waitUntil(async () => (await channelSubscribers(redis.url, 'room')) === 1, 'instance one leaves the channel')
    await b.close()
    await waitUntil(async () => (await channelSubscribers(redis.url, 'room')) === 0, 'instance two leaves the channel')
    expect(one.stats().counters.relayedOut).toBe(1)
    expect(one.stats().counters.relayedIn).toBe(2)
  })

  it('keeps local rooms working while Redis is down and relays again once it is back', { timeout: REDIS_TEST_TIMEOUT_MS }, async () => {
    const redis = await trackedRedis()
    const one = await startTestServer({ redisUrl: redis.url })
    const two = await startTestServer({ redisUrl: redis.url })
    const a = await joined(one, 'room')
    const c = await joined(one, 'room')
    const b = await joined(two, 'room')
    await waitUntil(async () => (await channelSubscribers(redis.url, 'room')) === 2, 'both instances subscribe the channel')

    await redis.stop('SIGKILL')
    await waitUntil(() => one.stats().relay === 'down' && two.stats().relay === 'down', 'both instances notice', RECONNECT_WAIT_MS)
    a.send({ type: 'publish', topic: 'room', data: 'while down' })
    expect(await c.waitFor((f) => f.type === 'publish' && f.message['data'] === 'while down', 'local delivery')).toMatchObject({
      clients: 2,
    })
    await waitUntil(() => one.stats().counters.relayFailed === 1, 'the failed relay is counted')

    const restarted = await trackedRedis(redis.port)
    await waitUntil(() => one.stats().relay === 'ready' && two.stats().relay === 'ready', 'both instances reconnect', RECONNECT_WAIT_MS)
    await waitUntil(async () => (await channelSubscribers(restarted.url, 'room')) === 2, 'both instances re-subscribe', RECONNECT_WAIT_MS)
    a.send({ type: 'publish', topic: 'room', data: 'after restart' })
    await b.waitFor((f) => f.type === 'publish' && f.message['data'] === 'after restart', 'a → b after restart')
    b.send({ type: 'publish', topic: 'room', data: 'back from b' })
    await a.waitFor((f) => f.type === 'publish' && f.message['data'] === 'back from b', 'b → a after restart')
    await c.waitFor((f) => f.type === 'publish' && f.message['data'] === 'back from b', 'b → c after restart')
    expect(dataOf(b, 'room')).not.toContain('while down')
  })

  it('serves local topics when Redis is unreachable at start-up', { timeout: REDIS_TEST_TIMEOUT_MS }, async () => {
    const lines: string[] = []
    const server = await startTestServer({
      redisUrl: 'redis://127.0.0.1:1',
      redisStartupWaitMs: 300,
      logLevel: 'warn',
      logSink: (line) => void lines.push(line),
    })
    expect(server.stats().relay).toBe('connecting')
    expect(lines.some((line) => line.includes('"redis_unavailable"'))).toBe(true)
    const a = await joined(server, 'solo')
    a.send({ type: 'publish', topic: 'solo', data: 'x' })
    await a.waitFor((f) => f.type === 'publish', 'local echo')
  })
})
