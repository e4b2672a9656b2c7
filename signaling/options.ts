// Every tunable of the signaling server, with its default and the reason for it.
// `resolveOptions` fills defaults and rejects nonsense before any socket is opened.

import type { LogLevel, LogSink } from './logger.js'
import { isLogLevel } from './logger.js'

/** Default TCP port, the same as the stock y-webrtc server. */
export const DEFAULT_PORT = 4444
/** Largest accepted WebSocket frame; y-webrtc SDP offers are a few KiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024
/** Topics one connection may hold at once; a browser tab joins a handful of rooms. */
export const DEFAULT_MAX_TOPICS_PER_CONNECTION = 128
/**
 * Subscribers one topic may have on one instance. A room of 50 people with several tabs each
 * fits; y-webrtc's mesh links each peer to only 20–35 others, so a bigger room gains little.
 */
export const DEFAULT_MAX_SUBSCRIBERS_PER_TOPIC = 256
/** Concurrent connections from one IP address; generous because offices share one NAT address. */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 256
/** Sustained frames per second per connection (token bucket refill rate). */
export const DEFAULT_RATE_LIMIT_PER_SECOND = 100
/** Burst of frames per connection (token bucket size); a peer joining a full room sends ~200. */
export const DEFAULT_RATE_LIMIT_BURST = 400
/** Unsent bytes a connection may have queued before it is dropped as a slow consumer. */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024
/** Interval between WebSocket pings; a connection that missed the previous pong is terminated. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000
/** Prefix of the Redis pub/sub channel names (one channel per topic). */
export const DEFAULT_REDIS_CHANNEL_PREFIX = 'parley:signaling:'
/** How long start-up waits for Redis before serving local topics only (relaying starts later). */
export const DEFAULT_REDIS_STARTUP_WAIT_MS = 3_000
/** How long `close()` waits for clients to answer the close frame before cutting them off. */
export const DEFAULT_CLOSE_GRACE_MS = 1_000

/** Everything `startSignalingServer` accepts. A limit of 0 disables that limit. */
export interface SignalingOptions {
  /** TCP port to listen on; 0 picks a free one (see SignalingServer.port). */
  port: number
  /** Interface to bind; undefined binds all interfaces. */
  host: string | undefined
  /** Largest accepted frame in bytes; larger frames close the connection with 1009. */
  maxPayloadBytes: number
  /** Most topics one connection may be subscribed to; a subscribe beyond it is rejected. */
  maxTopicsPerConnection: number
  /** Most connections subscribed to one topic; a subscribe beyond it leaves that topic out. 0 = unlimited. */
  maxSubscribersPerTopic: number
  /** Most concurrent connections per client IP; extra upgrades get HTTP 429. 0 = unlimited. */
  maxConnectionsPerIp: number
  /** Sustained frames per second per connection; overflow closes with 4029. 0 = unlimited. */
  rateLimitPerSecond: number
  /** Frames a connection may send in a burst before the sustained rate applies. */
  rateLimitBurst: number
  /** Queued outgoing bytes above which a connection is dropped as a slow consumer. 0 = unlimited. */
  maxBufferedBytes: number
  /** Milliseconds between heartbeat pings; a connection that missed a pong is terminated. */
  heartbeatIntervalMs: number
  /** Redis URL (redis://host:port) to share topics with other instances; undefined = standalone. */
  redisUrl: string | undefined
  /** Prefix of Redis channel names, so several deployments can share one Redis. */
  redisChannelPrefix: string
  /** Milliseconds start-up waits for Redis before serving without it. */
  redisStartupWaitMs: number
  /** Use the first X-Forwarded-For address as the client IP (only behind a trusted proxy). */
  trustProxy: boolean
  /** Log level of the structured JSON log lines. */
  logLevel: LogLevel
  /** Where log lines go; standard error by default. */
  logSink: LogSink | undefined
  /** Milliseconds `close()` waits for clients to acknowledge the 1001 close frame. */
  closeGraceMs: number
}

/** The defaults, as documented on each option. */
export const DEFAULT_OPTIONS: Readonly<SignalingOptions> = {
  port: DEFAULT_PORT,
  host: undefined,
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  maxTopicsPerConnection: DEFAULT_MAX_TOPICS_PER_CONNECTION,
  maxSubscribersPerTopic: DEFAULT_MAX_SUBSCRIBERS_PER_TOPIC,
  maxConnectionsPerIp: DEFAULT_MAX_CONNECTIONS_PER_IP,
  rateLimitPerSecond: DEFAULT_RATE_LIMIT_PER_SECOND,
  rateLimitBurst: DEFAULT_RATE_LIMIT_BURST,
  maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  redisUrl: undefined,
  redisChannelPrefix: DEFAULT_REDIS_CHANNEL_PREFIX,
  redisStartupWaitMs: DEFAULT_REDIS_STARTUP_WAIT_MS,
  trustProxy: false,
  logLevel: 'warn',
  logSink: undefined,
  closeGraceMs: DEFAULT_CLOSE_GRACE_MS,
}

const MAX_PORT = 65_535

function requireInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`signaling option ${name} must be an integer in [${min}, ${max}], got ${String(value)}`)
  }
}

/** Fills defaults for missing options and throws a RangeError naming the first invalid one. */
export function resolveOptions(partial: Partial<SignalingOptions> = {}): SignalingOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined))
  const options: SignalingOptions = { ...DEFAULT_OPTIONS, ...defined }
  requireInteger('port', options.port, 0, MAX_PORT)
  requireInteger('maxPayloadBytes', options.maxPayloadBytes, 1)
  requireInteger('maxTopicsPerConnection', options.maxTopicsPerConnection, 0)
  requireInteger('maxSubscribersPerTopic', options.maxSubscribersPerTopic, 0)
  requireInteger('maxConnectionsPerIp', options.maxConnectionsPerIp, 0)
  requireInteger('rateLimitPerSecond', options.rateLimitPerSecond, 0)
  requireInteger('rateLimitBurst', options.rateLimitBurst, 1)
  requireInteger('maxBufferedBytes', options.maxBufferedBytes, 0)
  requireInteger('heartbeatIntervalMs', options.heartbeatIntervalMs, 1)
  requireInteger('closeGraceMs', options.closeGraceMs, 0)
  requireInteger('redisStartupWaitMs', options.redisStartupWaitMs, 0)
  if (!isLogLevel(options.logLevel)) throw new RangeError(`signaling option logLevel is invalid: ${String(options.logLevel)}`)
  if (options.redisUrl !== undefined && !/^rediss?:\/\//.test(options.redisUrl)) {
    throw new RangeError('signaling option redisUrl must start with redis:// or rediss://')
  }
  return options
}
