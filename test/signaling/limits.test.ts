// Socket tests of the deployment limits: rate limit, per-IP connections, topic fan-out, slow consumers.
// Each limit is set low so it trips quickly, and a well-behaved client checks nobody else suffers.

import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CLOSE_RATE_LIMITED } from '../../signaling/protocol.js'
import { TestClient, cleanup, startTestServer, waitUntil, withTimeout } from './helpers.js'

afterEach(cleanup)

/** Resolves with the HTTP status of a refused upgrade, or 101 if the socket opened. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(url, { headers })
  return withTimeout(
    new Promise<number>((resolve) => {
      ws.on('open', () => {
        ws.close()
        resolve(101)
      })
      ws.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0)
        ws.terminate()
      })
      ws.on('error', () => undefined) // the status above is the result
    }),
    'upgrade outcome',
  )
}

describe('rate limit', () => {
  it('closes a flooding connection with 4029 and leaves others alone', async () => {
    const server = await startTestServer({ rateLimitPerSecond: 10, rateLimitBurst: 20 })
    const calm = await TestClient.connect(server.url)
    const flood = await TestClient.connect(server.url)
    calm.send({ type: 'subscribe', topics: ['room'] })
    for (let i = 0; i < 15; i += 1) calm.send({ type: 'publish', topic: 'room', n: i })
    await calm.sync() // 17 frames, within the burst: calm stays open
    const framesBefore = server.stats().counters.framesIn
    const floodStart = performance.now()
    for (let i = 0; i < 50; i += 1) flood.send({ type: 'publish', topic: 'room', spam: i })
    expect(await withTimeout(flood.closed, 'flood closed')).toEqual({ code: CLOSE_RATE_LIMITED, reason: 'rate limit exceeded' })
    const floodSeconds = (performance.now() - floodStart) / 1000
    expect(server.stats().counters.dropped.rate_limited).toBe(1)
    // The burst of 20, plus the tokens refilled (10/s) while the flood was being read.
    const accepted = server.stats().counters.framesIn - framesBefore
    expect(accepted).toBeGreaterThanOrEqual(20)
    expect(accepted).toBeLessThanOrEqual(20 + Math.ceil(floodSeconds * 10))
    expect(accepted).toBeLessThan(50)
    await calm.sync()
    expect(calm.publishes('room').filter((f) => f.message['spam'] !== undefined)).toHaveLength(accepted)
  })
})

describe('connections per IP', () => {
  it('refuses upgrades beyond maxConnectionsPerIp with HTTP 429 until one leaves', async () => {
    const server = await startTestServer({ maxConnectionsPerIp: 2 })
    const first = await TestClient.connect(server.url)
    await TestClient.connect(server.url)
    expect(await upgradeStatus(server.url)).toBe(429)
    expect(server.stats().counters.dropped.too_many_connections_per_ip).toBe(1)
    await first.close()
    await waitUntil(() => server.stats().openConnections === 1, 'the first connection is gone')
    expect(await upgradeStatus(server.url)).toBe(101)
  })

  it('counts X-Forwarded-For addresses separately only when trustProxy is set', async () => {
    const trusting = await startTestServer({ maxConnectionsPerIp: 1, trustProxy: true })
    const a = await TestClient.connect(trusting.url)
    expect(await upgradeStatus(trusting.url, { 'X-Forwarded-For': '203.0.113.7, 10.0.0.1' })).toBe(101)
    expect(await upgradeStatus(trusting.url)).toBe(429)
    await a.close()

    const strict = await startTestServer({ maxConnectionsPerIp: 1 })
    await TestClient.connect(strict.url)
    expect(await upgradeStatus(strict.url, { 'X-Forwarded-For': '203.0.113.7' })).toBe(429)
  })

  it('forgets an IP once its connections are closed', async () => {
    const server = await startTestServer()
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.url)))
    expect(server.stats().trackedIps).toBe(1)
    await Promise.all(clients.map((client) => client.close()))
    await waitUntil(() => server.stats().trackedIps === 0, 'the IP is forgotten')
  })
})

describe('subscribers per topic', () => {
  it('refuses a subscribe to a full topic, keeps the connection and its other topics, and counts it', async () => {
    const server = await startTestServer({ maxSubscribersPerTopic: 2 })
    const [first, second, late] = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.url)))
    if (first === undefined || second === undefined || late === undefined) throw new Error('three clients')
    first.send({ type: 'subscribe', topics: ['room'] })
    second.send({ type: 'subscribe', topics: ['room', 'other'] })
    await Promise.all([first.sync(), second.sync()])
    late.send({ type: 'subscribe', topics: ['room', 'other'] })
    await late.sync()
    expect(server.stats().counters.rejected.topic_full).toBe(1)
    expect(server.stats().registry).toEqual({ topics: 2, connections: 3, subscriptions: 4 })

    first.send({ type: 'publish', topic: 'room', n: 1 })
    first.send({ type: 'publish', topic: 'other', n: 2 })
    await first.sync()
    await second.waitFor((f) => f.type === 'publish' && f.topic === 'other', 'second gets the other topic')
    await late.waitFor((f) => f.type === 'publish' && f.topic === 'other', 'the refused client keeps its other topic')
    await late.sync()
    expect(late.publishes('room')).toEqual([])
    expect(late.ws.readyState).toBe(WebSocket.OPEN)

    const metrics = await fetch(server.url.replace(/^ws:/, 'http:') + '/metrics').then((response) => response.text())
    expect(metrics).toContain('parley_signaling_frames_rejected_total{reason="topic_full"} 1')

    await first.close()
    await waitUntil(() => server.stats().registry.subscriptions === 3, 'the first subscriber is gone')
    late.send({ type: 'subscribe', topics: ['room'] })
    await late.sync()
    second.send({ type: 'publish', topic: 'room', n: 3 })
    await late.waitFor((f) => f.type === 'publish' && f.topic === 'room', 'the freed place is taken')
    expect(server.stats().counters.rejected.topic_full).toBe(1)
  })

  it('has no cap with maxSubscribersPerTopic 0', async () => {
    const server = await startTestServer({ maxSubscribersPerTopic: 0 })
    const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.url)))
    for (const client of clients) client.send({ type: 'subscribe', topics: ['room'] })
    await Promise.all(clients.map((client) => client.sync()))
    expect(server.stats().registry.subscriptions).toBe(3)
    expect(server.stats().counters.rejected.topic_full).toBe(0)
  })
})

describe('bounded send buffers', () => {
  it('drops a subscriber that stops reading instead of buffering for it forever', { timeout: 20_000 }, async () => {
    const maxBufferedBytes = 64 * 1024
    const server = await startTestServer({ maxBufferedBytes, rateLimitPerSecond: 0 })
    const slow = await TestClient.connect(server.url)
    const reader = await TestClient.connect(server.url)
    const publisher = await TestClient.connect(server.url)
    slow.send({ type: 'subscribe', topics: ['room'] })
    reader.send({ type: 'subscribe', topics: ['room'] })
    await Promise.all([slow.sync(), reader.sync()])
    slow.ws.pause() // stops reading: the server's send buffer for it can only grow

    const chunk = 'x'.repeat(32 * 1024)
    let sent = 0
    while (server.stats().counters.dropped.slow_consumer === 0 && sent < 2_000) {
      publisher.send({ type: 'publish', topic: 'room', data: chunk, n: sent })
      sent += 1
      // Paced by the reader, so only the client that stopped reading falls behind (a burst of
      // 1.6 MB at once also outran the reader on a loaded machine, and it was dropped too).
      if (sent % 2 === 0) {
        const last = sent - 1
        await reader.waitFor((f) => f.type === 'publish' && f.message['n'] === last, 'reader keeps up')
      }
    }
    expect(server.stats().counters.dropped.slow_consumer).toBe(1)
    expect(server.stats().registry).toEqual({ topics: 1, connections: 1, subscriptions: 1 })
    slow.ws.resume()
    expect((await withTimeout(slow.closed, 'slow client sees the drop')).code).toBe(1006)

    publisher.send({ type: 'publish', topic: 'room', data: 'last', n: sent })
    await reader.waitFor((f) => f.type === 'publish' && f.message['data'] === 'last', 'reader gets everything')
    expect(reader.publishes('room')).toHaveLength(sent + 1)
  })
})
