// Which room a page is in, from its URL fragment, and the opaque topic the signaling server
// sees instead of the room's name. Private rooms carry a secret that never leaves the fragment.
//
// Fragments (read strictly in room-link.ts): `#lobby` (a public room named "lobby"),
// `#room=<id>&key=<secret>` (a private room). Topics: "parley-v1-" +
// hex(SHA-256("parley/v1/" + name [+ "\n" + secret])), so the server learns neither the name
// nor the secret. A public name can still be confirmed by anyone who guesses it; that is what
// "public" means.
import { digest } from 'lib0/hash/sha256'

/** A room: its name, and for a private room the secret that admits people. */
export interface RoomAddress {
  name: string
  /** Null for a public room. */
  secret: string | null
}

/** Random bytes in a private room's id and secret. */
const PRIVATE_ID_BYTES = 9
const PRIVATE_SECRET_BYTES = 16
/** Characters of a private room's secret in a link: its bytes in URL-safe base64, unpadded. */
export const PRIVATE_KEY_CHARS = Math.ceil((PRIVATE_SECRET_BYTES * 8) / 6)

/** The URL fragment (with '#') that opens a room. */
export function roomFragment(address: RoomAddress): string {
  if (address.secret === null) return `#${encodeURIComponent(address.name)}`
  return `#${new URLSearchParams({ room: address.name, key: address.secret }).toString()}`
}

/** A new private room with a random id and secret. */
export function newPrivateRoom(
  randomBytes: (count: number) => Uint8Array = (count) => crypto.getRandomValues(new Uint8Array(count)),
): RoomAddress {
  return { name: base64url(randomBytes(PRIVATE_ID_BYTES)), secret: base64url(randomBytes(PRIVATE_SECRET_BYTES)) }
}

/** The signaling topic (and BroadcastChannel name) of a room: a one-way hash. */
export function topicFor(address: RoomAddress): string {
  const identity = `parley/v1/${address.name}` + (address.secret === null ? '' : `\n${address.secret}`)
  return `parley-v1-${hex(digest(new TextEncoder().encode(identity)))}`
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** URL-safe base64 without padding. */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
