// Counters the signaling server keeps about itself, as plain data.
// server.ts increments them; metrics.ts and /healthz read them; tests assert on them.

import type { RejectReason } from './protocol.js'
import { REJECT_REASONS } from './protocol.js'

/** Why the server ended a connection (or refused it at the upgrade). */
export type DropReason =
  | 'rate_limited'
  | 'slow_consumer'
  | 'heartbeat_timeout'
  | 'payload_too_large'
  | 'protocol_error'
  | 'too_many_connections_per_ip'
  | 'shutdown'

/** Every DropReason, for metrics and tests. */
export const DROP_REASONS: readonly DropReason[] = [
  'rate_limited',
  'slow_consumer',
  'heartbeat_timeout',
  'payload_too_large',
  'protocol_error',
  'too_many_connections_per_ip',
  'shutdown',
]

/** Monotonic counters since the server started. */
export interface SignalingCounters {
  /** Connections accepted (WebSocket handshakes completed). */
  connectionsAccepted: number
  /** Frames received from clients, valid or not (rate-limited ones excluded). */
  framesIn: number
  /** Frames handed to client sockets (publish deliveries and pongs). */
  framesOut: number
  /** Publish frames sent to other instances through Redis. */
  relayedOut: number
  /** Publish frames from other instances delivered to local subscribers. */
  relayedIn: number
  /** Publish frames not relayed because Redis was unavailable. */
  relayFailed: number
  /** Frames rejected, by reason. */
  readonly rejected: Record<RejectReason, number>
  /** Connections the server ended or refused, by reason. */
  readonly dropped: Record<DropReason, number>
  /** Exceptions caught at a handler boundary (a bug if ever non-zero). */
  internalErrors: number
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const record = {} as Record<K, number>
  for (const key of keys) record[key] = 0
  return record
}

/** Fresh counters, all zero. */
export function createCounters(): SignalingCounters {
  return {
    connectionsAccepted: 0,
    framesIn: 0,
    framesOut: 0,
    relayedOut: 0,
    relayedIn: 0,
    relayFailed: 0,
    rejected: zeroes(REJECT_REASONS),
    dropped: zeroes(DROP_REASONS),
    internalErrors: 0,
  }
}

/** A deep copy, so callers can keep a snapshot while the server counts on. */
export function snapshotCounters(counters: SignalingCounters): SignalingCounters {
  return { ...counters, rejected: { ...counters.rejected }, dropped: { ...counters.dropped } }
}
