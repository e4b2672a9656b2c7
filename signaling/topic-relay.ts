// The seam between the server and whatever shares topics with other instances (Redis or nothing).
// Kept apart from redis-relay.ts so a standalone server never loads the Redis client.

import type { PublishMessage } from './protocol.js'

/** State of the link: not configured, not yet up, working, or lost (reconnecting). */
export type RelayStatus = 'disabled' | 'connecting' | 'ready' | 'down'

/** What the server needs from a relay; the Redis one and the disabled one both fit. */
export interface TopicRelay {
  status(): RelayStatus
  /** The first local subscriber of `topic` arrived. */
  open(topic: string): void
  /** The last local subscriber of `topic` left. */
  close(topic: string): void
  /** A local client published; forward to other instances. */
  publish(message: PublishMessage): void
  /** Resolves once the relay is ready, or after `timeoutMs`, whichever is first. */
  whenReady(timeoutMs: number): Promise<void>
  stop(): Promise<void>
}

/** A relay that does nothing, for a standalone server. */
export function createDisabledRelay(): TopicRelay {
  return {
    status: () => 'disabled',
    open: () => undefined,
    close: () => undefined,
    publish: () => undefined,
    whenReady: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  }
}
