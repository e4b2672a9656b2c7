// Tests of GET /metrics: Prometheus text with the server's own counters and process metrics.
// Two servers in one process must each report their own numbers (per-server registries).

import { afterEach, describe, expect, it } from 'vitest'
import { TestClient, cleanup, startTestServer } from './helpers.js'

afterEach(cleanup)

async function scrape(wsUrl: string): Promise<{ contentType: string; body: string }> {
  const response = await fetch(wsUrl.replace(/^ws:/, 'http:') + '/metrics')
  expect(response.status).toBe(200)
  return { contentType: response.headers.get('content-type') ?? '', body: await response.text() }
}

/** The value of one sample line, e.g. `metric{label="x"} 3`, or undefined if absent. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((candidate) => candidate.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('GET /metrics', () => {
  it('reports connections, topics, messages, rejections and process metrics', async () => {
    const server = await startTestServer()
    const a = await TestClient.connect(server.url)
    const b = await TestClient.connect(server.url)
    a.send({ type: 'subscribe', topics: ['x', 'y'] })
    b.send({ type: 'subscribe', topics: ['y'] })
    await b.sync()
    a.send('not json')
    a.send({ type: 'subscribe', topics: 'x' })
    a.send({ type: 'publish', topic: 'y', data: 1 })
    await a.sync()

    const { contentType, body } = await scrape(server.url)
    expect(contentType).toContain('text/plain')
    expect(body).toContain('# TYPE parley_signaling_connections gauge')
    expect(sample(body, 'parley_signaling_connections')).toBe(2)
    expect(sample(body, 'parley_signaling_topics')).toBe(2)
    expect(sample(body, 'parley_signaling_subscriptions')).toBe(3)
    expect(sample(body, 'parley_signaling_messages_in_total')).toBe(7)
    expect(sample(body, 'parley_signaling_messages_out_total')).toBe(4) // 2 deliveries + 2 pongs
    expect(sample(body, 'parley_signaling_frames_rejected_total{reason="invalid_json"}')).toBe(1)
    expect(sample(body, 'parley_signaling_frames_rejected_total{reason="bad_topics"}')).toBe(1)
    expect(sample(body, 'parley_signaling_frames_rejected_total{reason="too_deep"}')).toBe(0)
    expect(sample(body, 'parley_signaling_connections_dropped_total{reason="rate_limited"}')).toBe(0)
    expect(sample(body, 'parley_signaling_redis_up')).toBe(0)
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m)
    expect(body).toMatch(/^nodejs_heap_size_used_bytes \d+/m)
  })

  it('keeps the numbers of two servers in one process apart, across repeated scrapes', async () => {
    const one = await startTestServer()
    const two = await startTestServer()
    const client = await TestClient.connect(one.url)
    client.send('{')
    await client.sync()
    for (let i = 0; i < 2; i += 1) {
      expect(sample((await scrape(one.url)).body, 'parley_signaling_frames_rejected_total{reason="invalid_json"}')).toBe(1)
      expect(sample((await scrape(two.url)).body, 'parley_signaling_frames_rejected_total{reason="invalid_json"}')).toBe(0)
      expect(sample((await scrape(two.url)).body, 'parley_signaling_connections')).toBe(0)
    }
  })
})
