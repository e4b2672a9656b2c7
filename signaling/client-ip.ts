// Works out which IP address a connection comes from, for the per-IP connection limit.
// Behind a reverse proxy every socket comes from the proxy, so X-Forwarded-For can be trusted.

import type { IncomingMessage } from 'node:http'

/** Placeholder when the socket has already lost its peer address. */
export const UNKNOWN_IP = 'unknown'

/** Normalises IPv4-mapped IPv6 (::ffff:127.0.0.1) to plain IPv4 so both count as one address. */
export function normaliseIp(address: string): string {
  const trimmed = address.trim()
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice('::ffff:'.length) : trimmed
}

/** The client IP of an upgrade request; the first X-Forwarded-For entry when `trustProxy`. */
export function clientIp(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = request.headers['x-forwarded-for']
    const value = Array.isArray(header) ? header[0] : header
    const first = value?.split(',')[0]?.trim()
    if (first !== undefined && first.length > 0) return normaliseIp(first)
  }
  const address = request.socket.remoteAddress
  return address === undefined ? UNKNOWN_IP : normaliseIp(address)
}
