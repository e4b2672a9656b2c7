// Reading a room link's fragment, strictly: a private link that lost part of its key (cut off
// by a chat app, mistyped, pasted with a full stop) is reported as broken, never opened as another room.
//
// Shapes: `#lobby` or `#team%20chat` (a public room; our own public fragments never hold a raw
// `=`), `#room=<id>&key=<secret>` (a private room: the secret is exactly PRIVATE_KEY_CHARS
// characters of URL-safe base64, as `newPrivateRoom` makes it). A fragment with a `room=` or
// `key=` parameter is a private link, and must be whole; anything else names a public room.
import { DEFAULT_ROOM, MAX_ROOM_CHARS } from './config.js'
import { PRIVATE_KEY_CHARS, type RoomAddress } from './room-address.js'

/** Why a private room link cannot be opened. */
export type RoomLinkProblem =
  /** No room id, or an empty one. */
  | 'missing-room'
  /** A room id longer than MAX_ROOM_CHARS (it used to be cut short: another room). */
  | 'long-room'
  /** No key at all, or `key=` with nothing after it: the link was cut off. */
  | 'missing-key'
  /** A key shorter than Parley's keys: the link was cut off. */
  | 'short-key'
  /** A whole key with more characters after it (a full stop or bracket pasted with it). */
  | 'long-key'
  /** A key with characters that URL-safe base64 has not (spaces, `+`, `/`, `%`, `.`). */
  | 'bad-key'
  /** `room` or `key` given twice: which one was meant is a guess. */
  | 'repeated'

/** A room link read from a fragment: the room it opens, or why it opens none. */
export type RoomLink = { ok: true; address: RoomAddress } | { ok: false; problem: RoomLinkProblem }

/** Characters of URL-safe base64 without padding, the alphabet of Parley's keys. */
const KEY_ALPHABET = /^[A-Za-z0-9_-]+$/
/** Parameters that make a fragment a private room link. */
const PRIVATE_PARAMETERS = new Set(['room', 'key'])

/** Reads a URL fragment (with or without '#'): the room it opens, or why it is a broken private link. */
export function readRoomLink(hash: string): RoomLink {
  const fragment = hash.replace(/^#/, '')
  if (!isPrivateLink(fragment)) return { ok: true, address: { name: publicName(fragment), secret: null } }
  const params = new URLSearchParams(fragment)
  const rooms = params.getAll('room')
  const keys = params.getAll('key')
  if (rooms.length > 1 || keys.length > 1) return broken('repeated')
  const name = (rooms[0] ?? '').trim()
  if (name.length === 0) return broken('missing-room')
  if (name.length > MAX_ROOM_CHARS) return broken('long-room')
  const key = keys[0] ?? ''
  if (key.length === 0) return broken('missing-key')
  if (key.length > PRIVATE_KEY_CHARS && KEY_ALPHABET.test(key.slice(0, PRIVATE_KEY_CHARS))) return broken('long-key')
  if (!KEY_ALPHABET.test(key)) return broken('bad-key')
  if (key.length < PRIVATE_KEY_CHARS) return broken('short-key')
  return { ok: true, address: { name, secret: key } }
}

/**
 * The room a fragment opens; throws on a broken private link (see `readRoomLink`), so that
 * no caller can open another room in its place.
 */
export function parseRoomFragment(hash: string): RoomAddress {
  const link = readRoomLink(hash)
  if (!link.ok) throw new Error(`Not a whole room link: ${link.problem}`)
  return link.address
}

function broken(problem: RoomLinkProblem): RoomLink {
  return { ok: false, problem }
}

/** Whether some `&`-separated part of the fragment is a `room=` or `key=` parameter. */
function isPrivateLink(fragment: string): boolean {
  return fragment.split('&').some((part) => {
    const equals = part.indexOf('=')
    return equals >= 0 && PRIVATE_PARAMETERS.has(part.slice(0, equals).trim().toLowerCase())
  })
}

/** A public room's name: the decoded fragment, trimmed and capped, or the default room. */
function publicName(fragment: string): string {
  let name = fragment
  try {
    name = decodeURIComponent(fragment)
  } catch {
    // a malformed escape: use the fragment as it is
  }
  return name.trim().slice(0, MAX_ROOM_CHARS) || DEFAULT_ROOM
}
