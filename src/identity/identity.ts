// Who this browser profile is in every room: a stable user id, a display name and a colour.
// Kept in a small key-value store (localStorage in the app) so it survives reloads.
import { uuidv4 } from 'lib0/random'
import { colorFor, type CssColor } from './color.js'

/** The part of the Web Storage API that identity needs; tests pass a Map-backed one. */
export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** This profile's identity. `name` is null until the user has picked one. */
export interface Identity {
  userId: string
  name: string | null
  color: CssColor
}

/** Longest display name, in characters. */
export const MAX_NAME_CHARS = 64

const USER_ID_KEY = 'parley:user-id'
const NAME_KEY = 'parley:name'

/** Trims a display name and checks it; returns null when it is unusable. */
export function cleanName(raw: string): string | null {
  const name = raw.replace(/\s+/g, ' ').trim()
  if (name.length === 0 || name.length > MAX_NAME_CHARS) return null
  return name
}

/**
 * Loads the identity, creating and storing a user id on first use. The id comes from
 * getRandomValues (lib0's uuidv4): `crypto.randomUUID` is missing on plain http pages.
 */
export function loadIdentity(store: KeyValueStore, newId: () => string = uuidv4): Identity {
  let userId = store.getItem(USER_ID_KEY)
  if (userId === null || userId.length === 0) {
    userId = newId()
    store.setItem(USER_ID_KEY, userId)
  }
  const stored = store.getItem(NAME_KEY)
  const name = stored === null ? null : cleanName(stored)
  return { userId, name, color: colorFor(userId) }
}

/** Stores a new display name; returns the updated identity, or null if the name is unusable. */
export function saveName(store: KeyValueStore, identity: Identity, raw: string): Identity | null {
  const name = cleanName(raw)
  if (name === null) return null
  store.setItem(NAME_KEY, name)
  return { ...identity, name }
}
