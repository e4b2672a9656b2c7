// Authorship: every profile signs its messages and presence with an Ed25519 key, and peers
// verify before they show anyone as that user. A user's id is the fingerprint of their key,
// so a record that claims a user id with someone else's key cannot verify.
//
// Signed bytes are UTF-8 JSON arrays in a fixed order, domain-separated:
//   message:  ["parley/message/v1", topic, id, authorId, authorName, text, sentAt, publicKey]
//   presence: ["parley/presence/v2", topic, clientID, key, publicKey, counter, name, typing, since]
//   goodbye:  ["parley/presence/v2", topic, clientID, key, publicKey, counter, name, typing, since, "left"]
// A presence signature covers everything a tab's state shows, and a counter the tab raises with
// every state it signs, so that peers can refuse an old state played back (see membership). A
// goodbye is a presence state that says its tab left: the trailing "left" (absent from every
// other state, so their bytes are as before) keeps a signature over one from passing for the other.
// Keys and signatures travel as unpadded base64url (32 and 64 bytes raw).
import { digest } from 'lib0/hash/sha256'
import { base64url } from '../address/index.js'
import { checkTurn } from './check-turns.js'

const ALGORITHM = { name: 'Ed25519' } as const
/** Bytes of a user id: the first 16 bytes (128 bits) of SHA-256 of the raw public key. */
const USER_ID_BYTES = 16
/** Longest base64url key or signature accepted from a peer, in characters. */
export const MAX_SIGNATURE_FIELD_CHARS = 128

/** This profile's signing keys, as the room needs them. */
export interface Signer {
  /** The user id: fingerprint of the public key. */
  userId: string
  /** Raw public key, base64url. */
  publicKey: string
  /** Signs bytes; resolves to a base64url signature. */
  sign(bytes: Uint8Array<ArrayBuffer>): Promise<string>
}

/** Whether this page can sign and verify (WebCrypto exists only in secure contexts). */
export function canSign(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined
}

/** Most fingerprints remembered; past that they are all forgotten (a flood of made-up keys). */
const MAX_REMEMBERED_FINGERPRINTS = 50_000
/** Fingerprints of the keys seen, by key: every record's check needs its author's, hashed here in JS. */
const fingerprints = new Map<string, string>()

/** The user id belonging to a base64url public key. */
export function userIdOf(publicKey: string): string {
  let userId = fingerprints.get(publicKey)
  if (userId === undefined) {
    userId = base64url(digest(fromBase64url(publicKey)).subarray(0, USER_ID_BYTES))
    if (fingerprints.size >= MAX_REMEMBERED_FINGERPRINTS) fingerprints.clear()
    fingerprints.set(publicKey, userId)
  }
  return userId
}

/** A short form of a user id for people to compare out of band: "3F9A 61C0 B2E4". */
export function shortFingerprint(userId: string): string {
  const hex = Array.from(fromBase64url(userId).subarray(0, 6), (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
  return hex.match(/.{4}/g)?.join(' ') ?? hex
}

/** Makes a Signer over a key pair. */
export async function signerFor(keys: CryptoKeyPair): Promise<Signer> {
  const publicKey = base64url(new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey)))
  return {
    userId: userIdOf(publicKey),
    publicKey,
    sign: async (bytes) => base64url(new Uint8Array(await crypto.subtle.sign(ALGORITHM, keys.privateKey, bytes))),
  }
}

/** A new key pair; the private key cannot be exported. */
export async function generateSigningKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']) as Promise<CryptoKeyPair>
}

/** The bytes a message's signature covers. */
export function messageBytes(
  topic: string,
  m: { id: string; authorId: string; authorName: string; text: string; sentAt: number; publicKey: string },
): Uint8Array<ArrayBuffer> {
  return utf8(['parley/message/v1', topic, m.id, m.authorId, m.authorName, m.text, m.sentAt, m.publicKey])
}

/** What one signed presence state says of its tab, besides who it is. */
export interface SignedPresenceFields {
  /** Raised by the tab with every state it signs. */
  counter: number
  name: string
  typing: boolean
  since: number
  /** True in a goodbye: the state that says the tab left (see membership/proven-tabs.ts). */
  left?: boolean
}

/** The bytes a presence signature covers: the tab, its user and key, and every field it shows (colour is derived, not sent). */
export function presenceBytes(
  topic: string,
  clientID: number,
  key: string,
  publicKey: string,
  fields: SignedPresenceFields,
): Uint8Array<ArrayBuffer> {
  const { counter, name, typing, since, left } = fields
  const signed = ['parley/presence/v2', topic, clientID, key, publicKey, counter, name, typing, since]
  return utf8(left === true ? [...signed, 'left'] : signed)
}

/**
 * The bytes a tab signs, once, to say that it answers rumors of its loss by renewing its state
 * (transport/liveness-tracker.ts): peers with no link to it act on such rumors only for tabs that
 * signed this, as an older tab, which cannot answer, would be taken out by a lie.
 */
export function refutesBytes(topic: string, clientID: number, key: string, publicKey: string): Uint8Array<ArrayBuffer> {
  return utf8(['parley/refutes-rumors/v1', topic, clientID, key, publicKey])
}

const importedKeys = new Map<string, Promise<CryptoKey | null>>()

/** Most checks remembered by verifySigned; past that the oldest are forgotten (and done again if asked again). */
const MAX_REMEMBERED_CHECKS = 5_000
/**
 * Checks under way or settled, by public key and signature, with the bytes they were over: a new
 * message is checked twice as it arrives, by the room's budgets and by the log's verdict, and the
 * second asks for the first's outcome (waiting for its turn or settled) instead of verifying again.
 */
const checks = new Map<string, { bytes: SignedBytes; outcome: Promise<boolean> }>()

/** The bytes a signature covers, or what makes them once they are needed. */
export type SignedBytes = Uint8Array<ArrayBuffer> | (() => Uint8Array<ArrayBuffer>)

/** The bytes themselves, made now if they were left for later (and kept made in `entry`). */
function bytesOf(entry: { bytes: SignedBytes }): Uint8Array<ArrayBuffer> {
  if (typeof entry.bytes === 'function') entry.bytes = entry.bytes()
  return entry.bytes
}

/**
 * True when `signature` over `bytes` verifies with `publicKey` and the key belongs to
 * `userId`. Never throws: malformed keys or signatures are simply not verified. The same
 * signature, key and bytes are verified once (the outcome cannot differ), in a later task, at
 * most CHECKS_PER_TASK to a task (check-turns.ts). `bytes` may be a function that makes them: it
 * is called in the check's turn, or when another check of the same key and signature compares
 * (the log asks for a new message's check as it draws it, in its arrival's task).
 */
export function verifySigned(userId: string, publicKey: string, signature: string, bytes: SignedBytes): Promise<boolean> {
  if (!canSign() || userIdOf(publicKey) !== userId) return Promise.resolve(false)
  const id = `${publicKey} ${signature}`
  const known = checks.get(id)
  if (known !== undefined && sameBytes(bytesOf(known), bytesOf({ bytes }))) return known.outcome
  // A signature copied onto other bytes replaces the entry: it is checked, and fails, on its own.
  const entry = { bytes } as { bytes: SignedBytes; outcome: Promise<boolean> }
  entry.outcome = verify(publicKey, signature, entry)
  checks.delete(id)
  checks.set(id, entry)
  if (checks.size > MAX_REMEMBERED_CHECKS) {
    const oldest = checks.keys().next().value
    if (oldest !== undefined) checks.delete(oldest)
  }
  return entry.outcome
}

async function verify(publicKey: string, signature: string, signed: { bytes: SignedBytes }): Promise<boolean> {
  await checkTurn()
  const bytes = bytesOf(signed)
  let key = importedKeys.get(publicKey)
  if (key === undefined) {
    key = crypto.subtle.importKey('raw', fromBase64url(publicKey), ALGORITHM, false, ['verify']).catch(() => null)
    importedKeys.set(publicKey, key)
  }
  const imported = await key
  if (imported === null) return false
  try {
    return await crypto.subtle.verify(ALGORITHM, imported, fromBase64url(signature), bytes)
  } catch {
    return false // malformed signature from a peer
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function utf8(fields: unknown[]): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(fields))
}

/** Decodes unpadded base64url; malformed input decodes to an empty array. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    return Uint8Array.from(binary, (char) => char.charCodeAt(0))
  } catch {
    return new Uint8Array(0) // not base64: verification will fail
  }
}
