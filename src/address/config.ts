// Where a page finds its signaling server and ICE servers: pure functions over the URL.
// Precedence for signaling: `?signaling=` in the page URL, then the build-time URL, then ws://<host>:4444.
// The link cap (y-webrtc's `maxConns`): the element's `max-conns`, then `?max-conns=`, then y-webrtc's own.

/** Port of the signaling server when nothing else is configured. */
export const DEFAULT_SIGNALING_PORT = 4444
/** Room used when the URL has no fragment. */
export const DEFAULT_ROOM = 'lobby'
/** Longest room name, in characters. */
export const MAX_ROOM_CHARS = 100

/**
 * Most links a page may be told to open (`max-conns`). y-webrtc's own cap is 20 to 34; the
 * setting exists to lower it (a partial mesh on purpose, as in rooms past that size), and a
 * cap past a room's size changes nothing.
 */
export const MAX_CONNS_LIMIT = 100

/** The part of `Location` the resolvers read. */
export interface PageLocation {
  protocol: string
  hostname: string
  search: string
  hash: string
}

/** The signaling URL for this page. */
export function resolveSignalingUrl(location: PageLocation, buildTimeUrl?: string): string {
  const fromQuery = new URLSearchParams(location.search).get('signaling')
  if (fromQuery !== null && isWebSocketUrl(fromQuery)) return fromQuery
  if (buildTimeUrl !== undefined && isWebSocketUrl(buildTimeUrl)) return buildTimeUrl
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname
  return `${scheme}://${host || 'localhost'}:${DEFAULT_SIGNALING_PORT}`
}

function isWebSocketUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'ws:' || url.protocol === 'wss:'
  } catch {
    return false // not a URL at all
  }
}

/**
 * ICE servers for WebRTC. `?ice=` lists STUN/TURN URLs separated by commas, and an empty
 * `?ice=` means none (host candidates only, as on a LAN or in tests). Otherwise the
 * build-time JSON list, otherwise undefined (the WebRTC library's defaults).
 */
export function resolveIceServers(location: PageLocation, buildTimeJson?: string): RTCIceServer[] | undefined {
  const fromQuery = new URLSearchParams(location.search).get('ice')
  if (fromQuery !== null) {
    return fromQuery
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url.length > 0)
      .map((urls) => ({ urls }))
  }
  if (buildTimeJson !== undefined && buildTimeJson.length > 0) {
    try {
      const parsed: unknown = JSON.parse(buildTimeJson)
      if (Array.isArray(parsed)) return parsed.filter(isIceServer)
    } catch {
      return undefined // a broken build-time setting falls back to the defaults
    }
  }
  return undefined
}

function isIceServer(value: unknown): value is RTCIceServer {
  if (typeof value !== 'object' || value === null) return false
  const urls = (value as { urls?: unknown }).urls
  return typeof urls === 'string' || (Array.isArray(urls) && urls.every((url) => typeof url === 'string'))
}

/**
 * A link cap as given (an attribute's number, a query parameter's text): a whole number from 1
 * to MAX_CONNS_LIMIT, else undefined (the next source decides). Text must be plain digits.
 */
export function readMaxConns(value: unknown): number | undefined {
  const number = typeof value === 'string' ? (/^[0-9]{1,3}$/.test(value) ? Number(value) : Number.NaN) : value
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1 || number > MAX_CONNS_LIMIT) return undefined
  return number
}

/**
 * The most links this page opens (y-webrtc's `maxConns`) from `?max-conns=`; undefined (y-webrtc's
 * default, 20 to 34) when it is absent or not a whole number from 1 to MAX_CONNS_LIMIT.
 */
export function resolveMaxConns(location: PageLocation): number | undefined {
  return readMaxConns(new URLSearchParams(location.search).get('max-conns'))
}
