// Prometheus metrics of one signaling server, rendered from its own stats at scrape time.
// Each server gets its own prom-client Registry; process metrics live in one shared registry.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { MetricsPage } from './http-routes.js'
import type { RejectReason } from './protocol.js'
import { REJECT_REASONS } from './protocol.js'
import type { DropReason, SignalingCounters } from './stats.js'
import { DROP_REASONS } from './stats.js'
import type { RegistrySize } from './topic-registry.js'
import type { RelayStatus } from './topic-relay.js'

/** Prefix of every metric name this module defines. */
export const METRIC_PREFIX = 'parley_signaling_'

/** What a scrape reads from the server. */
export interface MetricsSource {
  readonly openConnections: number
  readonly registry: RegistrySize
  readonly counters: SignalingCounters
  readonly relay: RelayStatus
}

/** Renders the metrics page of one server. */
export interface SignalingMetrics {
  render(): Promise<MetricsPage>
}

let processRegistry: Registry | undefined

/** The per-process registry of default Node metrics, created on first use (never at import). */
function sharedProcessRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/** Creates the metrics of one server; `read` is called once per scrape. */
export function createSignalingMetrics(read: () => MetricsSource): SignalingMetrics {
  const registry = new Registry()
  let source: MetricsSource = read()
  const registers = [registry]

  const gauge = (name: string, help: string, value: (s: MetricsSource) => number): void => {
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      registers,
      collect() {
        this.set(value(source))
      },
    })
  }
  const counter = (name: string, help: string, value: (s: MetricsSource) => number): void => {
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      registers,
      collect() {
        this.reset()
        this.inc(value(source))
      },
    })
  }
  const labelledCounter = <L extends string>(
    name: string,
    help: string,
    label: string,
    keys: readonly L[],
    value: (s: MetricsSource, key: L) => number,
  ): void => {
    new Counter({
      name: METRIC_PREFIX + name,
      help,
      labelNames: [label],
      registers,
      collect() {
        this.reset()
        for (const key of keys) this.inc({ [label]: key }, value(source, key))
      },
    })
  }

  gauge('connections', 'Open WebSocket connections.', (s) => s.openConnections)
  gauge('topics', 'Topics with at least one local subscriber.', (s) => s.registry.topics)
  gauge('subscriptions', 'Connection-topic subscriptions.', (s) => s.registry.subscriptions)
  gauge('redis_up', '1 when the Redis link is ready, 0 otherwise (always 0 without Redis).', (s) => (s.relay === 'ready' ? 1 : 0))
  counter('connections_accepted_total', 'WebSocket connections accepted.', (s) => s.counters.connectionsAccepted)
  counter('messages_in_total', 'Frames received from clients (valid or not).', (s) => s.counters.framesIn)
  counter('messages_out_total', 'Frames sent to clients (relayed publishes and pongs).', (s) => s.counters.framesOut)
  counter('internal_errors_total', 'Exceptions caught at a handler boundary (a bug if not 0).', (s) => s.counters.internalErrors)
  labelledCounter<RejectReason>(
    'frames_rejected_total',
    'Client frames rejected, by reason.',
    'reason',
    REJECT_REASONS,
    (s, r) => s.counters.rejected[r],
  )
  labelledCounter<DropReason>(
    'connections_dropped_total',
    'Connections ended or refused by the server, by reason.',
    'reason',
    DROP_REASONS,
    (s, r) => s.counters.dropped[r],
  )
  labelledCounter<'in' | 'out' | 'failed'>(
    'redis_relayed_total',
    'Publish frames relayed through Redis: out, in, or failed (Redis down).',
    'direction',
    ['in', 'out', 'failed'],
    (s, d) => {
      if (d === 'in') return s.counters.relayedIn
      return d === 'out' ? s.counters.relayedOut : s.counters.relayFailed
    },
  )

  return {
    async render() {
      source = read()
      const own = await registry.metrics()
      const process = await sharedProcessRegistry().metrics()
      return { contentType: registry.contentType, body: own + '\n' + process }
    },
  }
}
