// Socket tests of the signaling server: real `ws` clients against a server on port 0.
// Covers the stock y-webrtc protocol, HTTP endpoints, cleanup, heartbeats and hostile frames.

import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { CLOSE_GOING_AWAY, CLOSE_MESSAGE_TOO_BIG } from '../../signaling/protocol.js'
import { TestClient, cleanup, startTestServer, waitUntil, withTimeout } from './helpers.js'

afterEach(cleanup)

function httpUrl(wsUrl: string, path: string): string {
  return wsUrl.replace(/^ws:/, 'http:') + path
}

describe('signaling server protocol', () => {
  it('listens on a free port and reports a ws:// URL', async () => {
    const server = await startTestServer()
    expect(server.port).toBeGreaterThan(0)
    expect(server.host).toBe('127.0.0.1')
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`)
  })

  it('relays a publish to every subscriber, the sender included, with the clients count', async () => {
    const server = await startTestServer()
    const a = await TestClient.connect(server.url)
    const b = await TestClient.connect(server.url)
    const outsider = await TestClient.connect(server.url)
    a.send({ type: 'subscribe', topics: ['room'] })
    b.send({ type: 'subscribe', topics: ['room', 'other'] })
    outsider.send({ type: 'subscribe', topics: ['other'] })
    await Promise.all([a.sync(), b.sync(), outsider.sync()])

    a.send({ type: 'publish', topic: 'room', data: { type: 'announce', from: 'a' }, clients: 99 })
    const atB = await b.waitFor((f) => f.type === 'publish')
    expect(atB).toEqual({
      type: 'publish',
      topic: 'room',
      clients: 2,
      message: { type: 'publish', topic: 'room', data: { type: 'announce', from: 'a' }, clients: 2 },
    })
    await a.waitFor((f) => f.type === 'publish' && f.topic === 'room', 'the echo to the sender')
    await outsider.sync()
    expect(outsider.publishes('room')).toEqual([])
  })

  it('relays a publish from a client that is not subscribed to the topic', async () => {
    const server = await startTestServer()
    const a = await TestClient.connect(server.url)
    const b = await TestClient.connect(server.url)
    b.send({ type: 'subscribe', topics: ['room'] })
    await b.sync()
    a.send({ type: 'publish', topic: 'room', data: 'hello' })
    const frame = await b.waitFor((f) => f.type === 'publish')
    expect(frame).toMatchObject({ clients: 1, message: { data: 'hello' } })
    await a.sync()
    expect(a.publishes('room')).toEqual([])
  })

  it('answers ping with pong', async () => {
    const server = await startTestServer()
    const a = await TestClient.connect(server.url)
    a.send({ type: 'ping' })
    await a.waitFor((f) => f.type === 'pong', 'pong')
  })

  it('stops delivering after unsubscribe and removes the empty topic', async () => {
    const server = await startTestServer()
    const a = await TestClient.connect(server.url)
    const b = await TestClient.connect(server.url)
    a.send({ type: 'subscribe', topics: ['room'] })
    b.send({ type: 'subscribe', topics: ['room'] })
    await Promise.all([a.sync(), b.sync()])
    expect(server.stats().registry).toEqual({ topics: 1, connections: 2, subscriptions: 2 })

    b.send({ type: 'unsubscribe', topics: ['room'] })
    await b.sync()
    a.send({ type: 'publish', topic: 'room', n: 1 })
    expect(await a.waitFor((f) => f.type === 'publish')).toMatchObject({ clients: 1 })
    await b.sync()
    expect(b.publishes('room')).toEqual([])

    a.send({ type: 'unsubscribe', topics: ['room'] })
    await a.sync()
    expect(server.stats().registry).toEqual({ topics: 0, connections: 0, subscriptions: 0 })
  })

  it('forgets every subscription of a client that leaves', async () => {
    const server = await startTestServer()
    const a = await TestClient.connect(server.url)
    const b = await TestClient.connect(server.url)
    a.send({ type: 'subscribe', topics: ['x', 'y', 'z'] })
    b.send({ type: 'subscribe', topics: ['y'] })
    await Promise.all([a.sync(), b.sync()])
    await a.close()
    await waitUntil(() => server.stats().registry.topics === 1, 'topics x and z are gone')
    expect(server.stats().registry).toEqual({ topics: 1, connections: 1, subscriptions: 1 })
    await b.close()
    await waitUntil(() => server.stats().openConnections === 0, 'all connections are closed')
    expect(server.stats().registry).toEqual({ topics: 0, connections: 0, subscriptions: 0 })
  })
})

describe('signaling server HTTP endpoints', () => {
  it('serves /healthz as JSON, a banner at /, and 404 elsewhere', async () => {
    const server = await startTestServer()
    const health = await fetch(httpUrl(server.url, '/healthz'))
    expect(health.status).toBe(200)
    expect(health.headers.get('content-type')).toContain('application/json')
    expect(await health.json()).toMatchObject({ ok: true, connections: 0, topics: 0 })

    const banner = await fetch(httpUrl(server.url, '/'))
    expect(banner.status).toBe(200)
    expect(await banner.text()).toContain('Parley signaling server')

    const missing = await fetch(httpUrl(server.url, '/nope'))
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('Parley signaling server')

    const post = await fetch(httpUrl(server.url, '/healthz'), { method: 'POST' })
    expect(post.status).toBe(405)
  })
})

describe('signaling server robustness', () => {
  it('counts and ignores malformed frames without closing the connection', async () => {
    const server = await startTestServer()
    const hostile = await TestClient.connect(server.url)
    const peer = await TestClient.connect(server.url)
    peer.send({ type: 'subscribe', topics: ['room'] })
    await peer.sync()
    const garbage = ['{', '[]', 'null', '{"type":"subscribe","topics":"x"}', '{"type":"publish","topic":["room"]}', '{"type":"nope"}', '42']
    for (const frame of garbage) hostile.send(frame)
    hostile.ws.send(Buffer.from('{"type":"publish","topic":"room"}'), { binary: true })
    await hostile.sync()
    const { counters } = server.stats()
    expect(counters.rejected).toMatchObject({
      invalid_json: 1,
      not_object: 3,
      bad_topics: 1,
      bad_topic: 1,
      unknown_type: 1,
      binary_frame: 1,
    })
    await peer.sync()
    expect(peer.publishes('room')).toEqual([])
  })

  it('closes a connection that sends a frame over maxPayloadBytes with 1009, others unaffected', async () => {
    const server = await startTestServer({ maxPayloadBytes: 1024 })
    const hostile = await TestClient.connect(server.url)
    const peer = await TestClient.connect(server.url)
    hostile.send({ type: 'publish', topic: 'room', data: 'x'.repeat(2048) })
    expect((await withTimeout(hostile.closed, 'hostile close')).code).toBe(CLOSE_MESSAGE_TOO_BIG)
    await peer.sync()
    await waitUntil(() => server.stats().counters.dropped.payload_too_large === 1, 'the drop is counted')
  })

  it('rejects a subscribe that would exceed maxTopicsPerConnection', async () => {
    const server = await startTestServer({ maxTopicsPerConnection: 2 })
    const a = await TestClient.connect(server.url)
    a.send({ type: 'subscribe', topics: ['x', 'y'] })
    a.send({ type: 'subscribe', topics: ['z'] })
    a.send({ type: 'subscribe', topics: ['p', 'q', 'r'] })
    await a.sync()
    expect(server.stats().counters.rejected.too_many_topics).toBe(2)
    expect(server.stats().registry).toEqual({ topics: 2, connections: 1, subscriptions: 2 })
  })

  // Room for both waits below (20 intervals each), so a failure names the wait that failed.
  it('terminates a connection that stops answering heartbeat pings', { timeout: 15_000 }, async () => {
    // Long enough that a busy test machine still answers in time, short enough to keep the test quick.
    const heartbeatIntervalMs = 250
    const server = await startTestServer({ heartbeatIntervalMs })
    const live = await TestClient.connect(server.url)
    let livePings = 0
    live.ws.on('ping', () => {
      livePings += 1
    })
    const frozen = await TestClient.connect(server.url)
    frozen.send({ type: 'subscribe', topics: ['room'] })
    await frozen.sync()
    frozen.ws.pause() // stops reading: pings go unanswered
    await waitUntil(
      () => server.stats().counters.dropped.heartbeat_timeout >= 1,
      'the frozen client is terminated',
      20 * heartbeatIntervalMs,
    )
    expect(server.stats().registry.topics).toBe(0)
    // The server pings only a client that answered the previous ping (else it terminates it), so
    // three more pings mean the live client passed three more heartbeat checks.
    const pingsAtDrop = livePings
    await waitUntil(() => livePings >= pingsAtDrop + 3, 'the live client is pinged three more times', 20 * heartbeatIntervalMs)
    await live.sync()
    expect(server.stats().counters.dropped.heartbeat_timeout, 'the live client answered every ping').toBe(1)
    frozen.ws.resume()
  })

  it('closes clients with 1001 on close() and stops listening', async () => {
    const server = await startTestServer()
    const a = await TestClient.connect(server.url)
    await server.close()
    expect(await withTimeout(a.closed, 'client sees shutdown')).toEqual({ code: CLOSE_GOING_AWAY, reason: 'server shutting down' })
    const refused = new WebSocket(server.url)
    const outcome = await withTimeout(
      new Promise<string>((resolve) => {
        refused.on('open', () => resolve('open'))
        refused.on('error', () => resolve('error'))
      }),
      'connection attempt after close',
    )
    expect(outcome).toBe('error')
    await server.close() // idempotent
  })
})
