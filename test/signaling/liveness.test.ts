// Leak test: many clients join many topics, publish and leave, in rounds; nothing may remain.
// Registry and bookkeeping counts are asserted exactly; heap growth only loosely (GC is noisy).

import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { afterEach, describe, expect, it } from 'vitest'
import type { SignalingServer } from '../../signaling/server.js'
import { TestClient, cleanup, startTestServer, waitUntil } from './helpers.js'

afterEach(cleanup)

const CLIENTS_PER_ROUND = 300
const TOPICS_PER_CLIENT = 40
const SHARED_TOPICS = 20
const ROUNDS = 3
/** Heap may grow this much over the baseline after all rounds (JIT code, pools, GC slack). */
const HEAP_SLACK_BYTES = 8 * 1024 * 1024
const CONNECT_BATCH = 50

/** A real full GC; vitest workers are not started with --expose-gc, so enable it here. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
}

async function round(server: SignalingServer, roundIndex: number): Promise<number> {
  const clients: TestClient[] = []
  for (let start = 0; start < CLIENTS_PER_ROUND; start += CONNECT_BATCH) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CONNECT_BATCH, CLIENTS_PER_ROUND - start) }, () => TestClient.connect(server.url, { track: false })),
    )
    clients.push(...batch)
  }
  clients.forEach((client, i) => {
    const own = Array.from({ length: TOPICS_PER_CLIENT - 1 }, (_, t) => `r${roundIndex}-c${i}-t${t}`)
    client.send({ type: 'subscribe', topics: [...own, `shared-${i % SHARED_TOPICS}`] })
    client.send({ type: 'publish', topic: `shared-${i % SHARED_TOPICS}`, data: 'x'.repeat(200) })
  })
  await Promise.all(clients.map((client) => client.sync()))
  const subscriptions = server.stats().registry.subscriptions
  await Promise.all(clients.map((client) => client.close()))
  await waitUntil(() => server.stats().openConnections === 0, `round ${roundIndex}: every client is gone`, 10_000)
  return subscriptions
}

describe('signaling server liveness', () => {
  it('returns to an empty registry and roughly the baseline heap after clients come and go', { timeout: 60_000 }, async () => {
    const server = await startTestServer({ maxConnectionsPerIp: 0 })
    // Warm up once so code paths are compiled and pools allocated before the baseline.
    await round(server, -1)
    collectGarbage()
    const baseline = process.memoryUsage().heapUsed

    for (let r = 0; r < ROUNDS; r += 1) {
      const peak = await round(server, r)
      expect(peak).toBe(CLIENTS_PER_ROUND * TOPICS_PER_CLIENT)
      const stats = server.stats()
      expect(stats.registry).toEqual({ topics: 0, connections: 0, subscriptions: 0 })
      expect(stats.trackedIps).toBe(0)
      expect(stats.counters.internalErrors).toBe(0)
    }
    collectGarbage()
    const growth = process.memoryUsage().heapUsed - baseline
    expect(growth, `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`).toBeLessThan(HEAP_SLACK_BYTES)
  })
})
