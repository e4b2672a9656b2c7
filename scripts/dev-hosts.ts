// What `npm start` prints and whom its dev server answers, from HOST and this machine's names.
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

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':')
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

/**
 * The names besides IP addresses and localhost (which Vite always allows) that the dev server
 * answers to when HOST exposes it: this machine's name, its mDNS name (`<name>.local`), HOST
 * when it is a name, and any names in `extra` (the ALLOWED_HOSTS variable, comma-separated;
 * a leading dot allows subdomains). Vite refuses other Host headers so that a web site cannot
 * rebind its own name to this server's address and read the sources through the visitor's
 * browser; a list of this machine's own names keeps that protection for the LAN.
 */
export function allowedHosts(host: string | undefined, machineName: string, extra = ''): string[] {
  if (!exposesBeyondLocalhost(host) || host === undefined) return []
  const short = machineName.toLowerCase().split('.')[0] ?? ''
  const names = [machineName.toLowerCase(), short, `${short}.local`]
  if (!WILDCARD_HOSTS.has(host) && !isIpAddress(host)) names.push(host.toLowerCase())
  names.push(...extra.split(',').map((name) => name.trim().toLowerCase()))
  return [...new Set(names.filter((name) => name !== '' && name !== '.local'))]
}
