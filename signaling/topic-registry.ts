// Which connection is subscribed to which topic: a pure data structure with no sockets in it.
// The server wires WebSocket connections into it; tests drive it with plain objects.

/** One outgoing text frame, by default: a string, or bytes so one encoding serves every receiver. */
export type OutgoingFrame = string | Uint8Array

/** The only thing `publish` needs from a connection: a way to send it one frame of type F. */
export interface TopicConnection<F = OutgoingFrame> {
  send(frame: F): void
}

/** Two indexes kept in step: topic → subscribers and connection → topics. No empty sets. */
export interface TopicRegistry<C = TopicConnection> {
  readonly subscribers: Map<string, Set<C>>
  readonly topicsOf: Map<C, Set<string>>
}

/**
 * Result of a subscribe: the topics that were new to the whole registry and the topics left out
 * because they already had as many subscribers as allowed, or a refusal of the whole frame.
 */
export type SubscribeResult =
  | { readonly ok: true; readonly openedTopics: readonly string[]; readonly fullTopics: readonly string[] }
  | { readonly ok: false; readonly reason: 'too_many_topics' }

/** Sizes of a registry, for metrics, health checks and leak tests. */
export interface RegistrySize {
  readonly topics: number
  readonly connections: number
  readonly subscriptions: number
}

/** Creates an empty registry. */
export function createTopicRegistry<C>(): TopicRegistry<C> {
  return { subscribers: new Map(), topicsOf: new Map() }
}

/**
 * Subscribes `conn` to `topics`. A topic that already has `maxSubscribersPerTopic` subscribers
 * is left out (listed in `fullTopics`) and the others are joined: a full room is about other
 * people, not about this connection. The per-connection limit is all or nothing: if the
 * connection would then hold more than `maxTopicsPerConnection` topics, nothing changes.
 */
export function subscribe<C>(
  registry: TopicRegistry<C>,
  conn: C,
  topics: readonly string[],
  maxTopicsPerConnection = Number.POSITIVE_INFINITY,
  maxSubscribersPerTopic = Number.POSITIVE_INFINITY,
): SubscribeResult {
  const current = registry.topicsOf.get(conn)
  const fresh = new Set<string>()
  const full = new Set<string>()
  for (const topic of topics) {
    if (current?.has(topic) === true) continue
    if (subscriberCount(registry, topic) >= maxSubscribersPerTopic) full.add(topic)
    else fresh.add(topic)
  }
  const fullTopics = [...full]
  if ((current?.size ?? 0) + fresh.size > maxTopicsPerConnection) {
    return { ok: false, reason: 'too_many_topics' }
  }
  if (fresh.size === 0) return { ok: true, openedTopics: [], fullTopics }
  const own = current ?? new Set<string>()
  if (current === undefined) registry.topicsOf.set(conn, own)
  const openedTopics: string[] = []
  for (const topic of fresh) {
    own.add(topic)
    let subs = registry.subscribers.get(topic)
    if (subs === undefined) {
      subs = new Set()
      registry.subscribers.set(topic, subs)
      openedTopics.push(topic)
    }
    subs.add(conn)
  }
  return { ok: true, openedTopics, fullTopics }
}

function detach<C>(registry: TopicRegistry<C>, conn: C, topic: string): boolean {
  const subs = registry.subscribers.get(topic)
  if (subs === undefined) return false
  subs.delete(conn)
  if (subs.size > 0) return false
  registry.subscribers.delete(topic)
  return true
}

/** Unsubscribes `conn` from `topics`; returns the topics that now have no subscriber at all. */
export function unsubscribe<C>(registry: TopicRegistry<C>, conn: C, topics: readonly string[]): string[] {
  const own = registry.topicsOf.get(conn)
  if (own === undefined) return []
  const closedTopics: string[] = []
  for (const topic of topics) {
    if (!own.delete(topic)) continue
    if (detach(registry, conn, topic)) closedTopics.push(topic)
  }
  if (own.size === 0) registry.topicsOf.delete(conn)
  return closedTopics
}

/** Forgets a connection entirely; returns the topics that now have no subscriber at all. */
export function removeConnection<C>(registry: TopicRegistry<C>, conn: C): string[] {
  const own = registry.topicsOf.get(conn)
  if (own === undefined) return []
  registry.topicsOf.delete(conn)
  const closedTopics: string[] = []
  for (const topic of own) {
    if (detach(registry, conn, topic)) closedTopics.push(topic)
  }
  return closedTopics
}

/**
 * Sends one frame to every subscriber of `topic`. `encode` gets the subscriber count and is
 * called once (only if there is a subscriber), so the frame is built once per publish.
 * Returns the number of connections the frame was handed to.
 */
export function publish<F, C extends TopicConnection<F>>(
  registry: TopicRegistry<C>,
  topic: string,
  encode: (clients: number) => F,
): number {
  const subs = registry.subscribers.get(topic)
  if (subs === undefined) return 0
  const frame = encode(subs.size)
  // No copy: a send may drop a slow connection, which deletes it from `subs`, and a Set being
  // iterated allows that (a member deleted before its turn is skipped, as it should be).
  let handed = 0
  for (const conn of subs) {
    conn.send(frame)
    handed += 1
  }
  return handed
}

/** Number of connections subscribed to `topic`. */
export function subscriberCount<C>(registry: TopicRegistry<C>, topic: string): number {
  return registry.subscribers.get(topic)?.size ?? 0
}

/** Number of topics `conn` is subscribed to. */
export function topicCount<C>(registry: TopicRegistry<C>, conn: C): number {
  return registry.topicsOf.get(conn)?.size ?? 0
}

/** Counts topics, subscribed connections and (connection, topic) pairs. */
export function registrySize<C>(registry: TopicRegistry<C>): RegistrySize {
  let subscriptions = 0
  for (const subs of registry.subscribers.values()) subscriptions += subs.size
  return { topics: registry.subscribers.size, connections: registry.topicsOf.size, subscriptions }
}
