// The profile's key-value store: localStorage when the page may use it, memory otherwise
// (sandboxed iframes and some private modes throw on access).
import type { KeyValueStore } from '../room/index.js'

/** localStorage if usable, else a store that lasts as long as the page. */
export function profileStore(): KeyValueStore {
  try {
    const probe = 'parley:probe'
    localStorage.setItem(probe, probe)
    localStorage.removeItem(probe)
    return localStorage
  } catch {
    const memory = new Map<string, string>()
    return {
      getItem: (key) => memory.get(key) ?? null,
      setItem: (key, value) => {
        memory.set(key, value)
      },
    }
  }
}
