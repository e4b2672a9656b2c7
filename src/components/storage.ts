// The profile's key-value store (localStorage when the page may use it, memory otherwise:
// sandboxed iframes and some private modes throw on access), and the page's name-change channel.
import type { KeyValueStore } from '../room/index.js'

/** Listens for the display name the user picked in any element of this page. */
export type ProfileNameListener = (name: string) => void

/** The page's memory store, made on first need, so every element of the page shares it. */
let memoryStore: KeyValueStore | undefined
/** Elements following the profile's name; elements read the store only when they are made. */
const nameListeners = new Set<ProfileNameListener>()

function createMemoryStore(): KeyValueStore {
  const memory = new Map<string, string>()
  return {
    getItem: (key) => memory.get(key) ?? null,
    setItem: (key, value) => {
      memory.set(key, value)
    },
  }
}

/** localStorage if usable, else one store that lasts as long as the page. */
export function profileStore(): KeyValueStore {
  try {
    const probe = 'parley:probe'
    localStorage.setItem(probe, probe)
    localStorage.removeItem(probe)
    return localStorage
  } catch {
    memoryStore ??= createMemoryStore()
    return memoryStore
  }
}

/** Tells every element of this page that the user picked `name` (after it was stored). */
export function announceProfileName(name: string): void {
  for (const listener of [...nameListeners]) listener(name)
}

/** Calls `listener` with each name announced on this page; returns an unsubscribe. */
export function onProfileName(listener: ProfileNameListener): () => void {
  nameListeners.add(listener)
  return () => {
    nameListeners.delete(listener)
  }
}
