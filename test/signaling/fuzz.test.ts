// Fuzz tests: thousands of generated hostile frames against a server with default limits.
// Afterwards the server must have counted each rejection, kept others working and leaked nothing.

import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_OPTIONS } from '../../signaling/options.js'
import { MAX_JSON_DEPTH, MAX_TOPIC_LENGTH_CHARS, REJECT_REASONS } from '../../signaling/protocol.js'
import type { SignalingServer } from '../../signaling/server.js'
import { generateFrames } from './fuzz-frames.js'
import { runFuzz } from './fuzz-runner.js'
import { TestClient, cleanup, startTestServer, waitUntil } from './helpers.js'

afterEach(cleanup)

const envSeed = Number(process.env['FUZZ_SEED'] || Number.NaN) // empty counts as unset, not as 0
/** FUZZ_SEED replays a run (both tests); otherwise every run explores a new seed. */
const BASE_SEED = Number.isInteger(envSeed) ? envSeed : Math.floor(Math.random() * 2 ** 32)
/** Frames per hostile connection: below the default rate-limit burst, so no client is cut off. */
const FRAMES_PER_CLIENT = Math.floor(DEFAULT_OPTIONS.rateLimitBurst * 0.75)
const PARALLEL_CLIENTS = 4
const FUZZ_TIMEOUT_MS = 30_000

async function exchangeBothWays(server: SignalingServer, topic: string, context: string): Promise<void> {
  const a = await TestClient.connect(server.url)
  const b = await TestClient.connect(server.url)
  a.send({ type: 'subscribe', topics: [topic] })
  b.send({ type: 'subscribe', topics: [topic] })
  await Promise.all([a.sync(), b.sync()])
  a.send({ type: 'publish', topic, data: 'from a' })
  b.send({ type: 'publish', topic, data: 'from b' })
  const atB = await b.waitFor((f) => f.type === 'publish' && f.message['data'] === 'from a', `${context}: a → b`)
  const atA = await a.waitFor((f) => f.type === 'publish' && f.message['data'] === 'from b', `${context}: b → a`)
  expect(atB, context).toMatchObject({ clients: 2 })
  expect(atA, context).toMatchObject({ clients: 2 })
  await Promise.all([a.close(), b.close()])
}

async function fuzzOnce(frameCount: number, seed: number): Promise<void> {
  const context = `fuzz seed ${seed} (replay with FUZZ_SEED=${BASE_SEED})`
  const server = await startTestServer()
  const frames = generateFrames(seed, frameCount, {
    maxPayloadBytes: DEFAULT_OPTIONS.maxPayloadBytes,
    maxTopicsPerFrame: DEFAULT_OPTIONS.maxTopicsPerConnection,
    maxTopicLengthChars: MAX_TOPIC_LENGTH_CHARS,
    maxJsonDepth: MAX_JSON_DEPTH,
  })
  let busiestRegistry = 0
  const tally = await runFuzz(server.url, frames, {
    framesPerClient: FRAMES_PER_CLIENT,
    parallel: PARALLEL_CLIENTS,
    onBatchSent: () => {
      busiestRegistry = Math.max(busiestRegistry, server.stats().registry.subscriptions)
    },
  })

  expect(tally.wrongCloses, context).toEqual([])
  expect(tally.unexpectedCloses, context).toEqual([])
  const { counters } = server.stats()
  for (const reason of REJECT_REASONS) {
    expect(counters.rejected[reason], `${context}: rejected ${reason}`).toBe(tally.rejected.get(reason) ?? 0)
  }
  expect(counters.dropped.payload_too_large, `${context}: 1009 closes`).toBe(tally.closes.get(1009) ?? 0)
  expect(counters.dropped.protocol_error, `${context}: 1007 closes`).toBe(tally.closes.get(1007) ?? 0)
  expect(counters.dropped.rate_limited, context).toBe(0)
  expect(counters.internalErrors, context).toBe(0)
  expect(busiestRegistry, `${context}: hostile clients held subscriptions`).toBeGreaterThan(0)

  await waitUntil(() => server.stats().openConnections === 0, `${context}: hostile clients are gone`)
  expect(server.stats().registry, context).toEqual({ topics: 0, connections: 0, subscriptions: 0 })

  await exchangeBothWays(server, 'after-fuzz', context)
  await waitUntil(() => server.stats().openConnections === 0, `${context}: fresh clients are gone`)
  expect(server.stats().registry, context).toEqual({ topics: 0, connections: 0, subscriptions: 0 })
}

describe('signaling server under hostile input', () => {
  beforeAll(() => {
    // The one line a passing run prints: a run that hangs or is killed can still be replayed.
    console.log(`signaling fuzz: replay this run with FUZZ_SEED=${BASE_SEED}`)
  })

  it('survives 1,500 generated malformed frames', { timeout: FUZZ_TIMEOUT_MS }, async () => {
    await fuzzOnce(1_500, BASE_SEED)
  })

  it('survives 10,000 generated malformed frames', { timeout: FUZZ_TIMEOUT_MS }, async () => {
    await fuzzOnce(10_000, (BASE_SEED + 1) >>> 0)
  })
})
