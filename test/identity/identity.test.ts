import { describe, expect, it } from 'vitest'
import { cleanName, loadIdentity, saveName, type KeyValueStore } from '../../src/identity/identity.js'

const memoryStore = (): KeyValueStore & { data: Map<string, string> } => {
  const data = new Map<string, string>()
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => {
      data.set(key, value)
    },
  }
}

describe('identity', () => {
  it('creates a user id once and keeps it', () => {
    const store = memoryStore()
    let made = 0
    const first = loadIdentity(store, () => `id-${++made}`)
    const second = loadIdentity(store, () => `id-${++made}`)
    expect(first.userId).toBe('id-1')
    expect(second.userId).toBe('id-1')
    expect(first.name).toBeNull()
  })

  it('remembers a cleaned name and refuses an unusable one', () => {
    const store = memoryStore()
    const identity = loadIdentity(store, () => 'u')
    expect(saveName(store, identity, '   ')).toBeNull()
    expect(saveName(store, identity, '  Ada   Lovelace ')?.name).toBe('Ada Lovelace')
    expect(loadIdentity(store).name).toBe('Ada Lovelace')
  })

  it('caps names', () => {
    expect(cleanName('x'.repeat(65))).toBeNull()
  })
})
