// The signaling server: wires an HTTP server, a `ws` WebSocketServer, sessions and the relay.
// Per-connection behaviour lives in sessions.ts, decisions in pure modules; this file is the shell.

import { createServer } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { performance } from 'node:perf_hooks'
import { WebSocket, WebSocketServer } from 'ws'
import { clientIp } from './client-ip.js'
import { createRequestHandler } from './http-routes.js'
import { createSignalingMetrics } from './metrics.js'
import type { Logger } from './logger.js'
import { createLogger } from './logger.js'
import type { SignalingOptions } from './options.js'
import { resolveOptions } from './options.js'
import { CLOSE_GOING_AWAY } from './protocol.js'
import type { RelayStatus, TopicRelay } from './topic-relay.js'
import { createDisabledRelay } from './topic-relay.js'
import type { Session } from './sessions.js'
import { createSessions } from './sessions.js'
import type { SignalingCounters } from './stats.js'
import { createCounters, snapshotCounters } from './stats.js'
import type { RegistrySize, TopicRegistry } from './topic-registry.js'
import { createTopicRegistry, registrySize } from './topic-registry.js'

/** A running server. */
export interface SignalingServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number
  /** The address actually bound, e.g. `127.0.0.1` or `::`. */
  readonly host: string
  /** WebSocket URL clients should use, e.g. `ws://localhost:4444`. */
  readonly url: string
  /** Current registry sizes, open sockets and counters; a copy, safe to keep. */
  stats(): SignalingStats
  /** Closes every client with 1001, stops listening and releases all resources. */
  close(): Promise<void>
}

/** What `SignalingServer.stats()` reports. */
export interface SignalingStats {
  /** Open WebSocket connections (subscribed or not). */
  readonly openConnections: number
  /** Distinct client IPs with an open connection (the per-IP limit's bookkeeping). */
  readonly trackedIps: number
  /** Topic registry sizes; all zero when no client holds a subscription. */
  readonly registry: RegistrySize
  readonly counters: SignalingCounters
  /** State of the Redis link ('disabled' without redisUrl). */
  readonly relay: RelayStatus
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', ''])
const SHUTDOWN_REASON = 'server shutting down'
const WS_ERR_PAYLOAD_TOO_LARGE = 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'

function formatUrl(address: string, port: number): string {
  if (WILDCARD_HOSTS.has(address)) return `ws://localhost:${port}`
  return address.includes(':') ? `ws://[${address}]:${port}` : `ws://${address}:${port}`
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined
  return typeof error.code === 'string' ? error.code : undefined
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/** Starts a signaling server; resolves once it is listening. */
export async function startSignalingServer(partial: Partial<SignalingOptions> = {}): Promise<SignalingServer> {
  const options = resolveOptions(partial)
  const log: Logger = createLogger(options.logLevel, options.logSink)
  const counters = createCounters()
  const registry: TopicRegistry<Session> = createTopicRegistry()
  const clients = new Set<Session>()
  const connectionsPerIp = new Map<string, number>()
  let closing = false
  // Loaded only when configured: the Redis client costs ~20 MiB of RSS on its own.
  const relay: TopicRelay =
    options.redisUrl === undefined
      ? createDisabledRelay()
      : (await import('./redis-relay.js')).createRedisRelay({
          url: options.redisUrl,
          channelPrefix: options.redisChannelPrefix,
          log,
          onRemote: (message) => sessions.deliver(message),
          onCount: (direction) => {
            if (direction === 'in') counters.relayedIn += 1
            else if (direction === 'out') counters.relayedOut += 1
            else counters.relayFailed += 1
          },
        })
  const sessions = createSessions({
    registry,
    relay,
    counters,
    log,
    now: () => performance.now(),
    limits: {
      maxTopicsPerConnection: options.maxTopicsPerConnection,
      maxSubscribersPerTopic: options.maxSubscribersPerTopic,
      maxBufferedBytes: options.maxBufferedBytes,
      rateLimit: { perSecond: options.rateLimitPerSecond, burst: options.rateLimitBurst },
    },
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false, // compression costs CPU per frame and invites zip bombs
    clientTracking: false, // `clients` below is the one source of truth
  })

  function onConnection(ws: WebSocket, ip: string, socket: Duplex): void {
    const session = sessions.open(ws, ip, socket)
    clients.add(session)
    connectionsPerIp.set(ip, (connectionsPerIp.get(ip) ?? 0) + 1)
    counters.connectionsAccepted += 1
    log.debug('connection_opened', { ip })
    ws.on('error', (error) => {
      // `ws` closes the socket itself after emitting this; we only record why.
      sessions.failed(session, errorCode(error) === WS_ERR_PAYLOAD_TOO_LARGE ? 'payload_too_large' : 'protocol_error')
      log.info('connection_error', { ip, error: describe(error) })
    })
    ws.on('pong', () => {
      session.alive = true
    })
    ws.on('message', (data, isBinary) => sessions.receive(session, data, isBinary))
    ws.on('close', (code) => {
      clients.delete(session)
      const remaining = (connectionsPerIp.get(ip) ?? 1) - 1
      if (remaining > 0) connectionsPerIp.set(ip, remaining)
      else connectionsPerIp.delete(ip)
      sessions.detach(session)
      log.debug('connection_closed', { ip, code })
    })
  }

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => log.debug('upgrade_socket_error', { error: describe(error) }))
    if (closing) {
      socket.destroy()
      return
    }
    const ip = clientIp(request, options.trustProxy)
    if (options.maxConnectionsPerIp > 0 && (connectionsPerIp.get(ip) ?? 0) >= options.maxConnectionsPerIp) {
      counters.dropped.too_many_connections_per_ip += 1
      log.info('connection_refused', { reason: 'too_many_connections_per_ip', ip })
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    // No verifyClient and no extensions: the callback runs synchronously, so the per-IP count
    // checked above cannot be overtaken by a concurrent upgrade.
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, ip, socket))
  }

  const heartbeat = setInterval(() => {
    for (const client of clients) {
      if (client.dropped) continue
      if (!client.alive) {
        sessions.drop(client, 'heartbeat_timeout')
        continue
      }
      client.alive = false
      try {
        client.ws.ping()
      } catch (error) {
        log.debug('ping_failed', { ip: client.ip, error: describe(error) }) // socket is closing anyway
      }
    }
  }, options.heartbeatIntervalMs)
  heartbeat.unref()

  function stats(): SignalingStats {
    return {
      openConnections: clients.size,
      trackedIps: connectionsPerIp.size,
      registry: registrySize(registry),
      counters: snapshotCounters(counters),
      relay: relay.status(),
    }
  }

  const metrics = createSignalingMetrics(stats)

  const httpServer = createServer(
    createRequestHandler({
      health: () => ({ connections: clients.size, topics: registry.subscribers.size, redis: relay.status() }),
      metrics: () => metrics.render(),
      onError: (error) => log.error('http_handler_failed', { error: describe(error) }),
    }),
  )
  httpServer.on('upgrade', onUpgrade)

  try {
    await listen(httpServer, options.port, options.host)
  } catch (error) {
    clearInterval(heartbeat)
    wss.close()
    await relay.stop()
    throw error
  }
  await relay.whenReady(options.redisStartupWaitMs)
  if (relay.status() !== 'ready' && relay.status() !== 'disabled') {
    log.warn('redis_unavailable', { detail: 'serving local topics only until Redis is reachable' })
  }
  const address = httpServer.address() as AddressInfo
  const url = formatUrl(address.address, address.port)
  log.info('listening', { url, host: address.address, port: address.port })

  async function close(): Promise<void> {
    if (closing) return
    closing = true
    clearInterval(heartbeat)
    const open = [...clients]
    const allClosed = Promise.all(
      open.map(
        (client) =>
          new Promise<void>((resolve) => {
            if (client.ws.readyState === WebSocket.CLOSED) resolve()
            else client.ws.once('close', () => resolve())
          }),
      ),
    )
    for (const session of open) sessions.drop(session, 'shutdown', { code: CLOSE_GOING_AWAY, text: SHUTDOWN_REASON })
    let graceTimer: NodeJS.Timeout | undefined
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, options.closeGraceMs)
    })
    await Promise.race([allClosed, graceOver])
    clearTimeout(graceTimer)
    for (const client of open) client.ws.terminate()
    await allClosed
    await relay.stop()
    wss.close()
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve())
      httpServer.closeAllConnections()
    })
    log.info('closed', { url })
  }

  return { port: address.port, host: address.address, url, stats, close }
}
