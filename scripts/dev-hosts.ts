// What `npm start` prints: the links to open, from HOST and this machine's network interfaces.
// Pure functions over the network interfaces and host name they are given; start.ts passes the real ones.
import type { NetworkInterfaceInfo } from 'node:os'

/** The port a page looks for the signaling server on when its URL names none (address/config.ts). */
export const PAGE_DEFAULT_SIGNALING_PORT = 4444

/** HOST values that bind every interface: 0.0.0.0 (IPv4) and :: (IPv6, and IPv4 too on Linux). */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::'])
/** HOST values that keep the servers on this machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1'])

/** True when `host` lets other machines reach the servers (anything but loopback or unset). */
export function exposesBeyondLocalhost(host: string | undefined): boolean {
  return host !== undefined && host !== '' && !LOOPBACK_HOSTS.has(host)
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/**
 * The addresses other machines may reach this one at, for a server bound to a wildcard
 * `host`: external IPv4 addresses, and with `::` also global IPv6 ones (not link-local,
 * which need a zone id no browser URL takes). Only read from the interface list, never probed.
 */
export function lanAddresses(host: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  if (!WILDCARD_HOSTS.has(host)) return []
  const addresses: string[] = []
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal) continue
      if (info.family === 'IPv4') addresses.push(info.address)
      else if (host === '::' && !info.address.toLowerCase().startsWith('fe80:')) addresses.push(info.address)
    }
  }
  return addresses
}

/** The hosts to print site URLs for: localhost, then each LAN address, or HOST itself. */
export function siteHosts(host: string | undefined, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  if (!exposesBeyondLocalhost(host) || host === undefined) return ['localhost']
  if (WILDCARD_HOSTS.has(host)) return ['localhost', ...lanAddresses(host, interfaces)]
  return [host]
}

/**
 * The link to open on `host`. The page finds the signaling server on port 4444 of its own
 * host, so the link names it (`?signaling=`) only when it listens on another port.
 */
export function siteLink(host: string, sitePort: number, signalingPort: number, room: string): string {
  const query = signalingPort === PAGE_DEFAULT_SIGNALING_PORT ? '' : `?signaling=ws://${urlHost(host)}:${signalingPort}`
  return `http://${urlHost(host)}:${sitePort}/${query}#${room}`
}
