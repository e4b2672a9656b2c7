// Where a profile keeps its signing key pair: IndexedDB (CryptoKey objects are stored as
// they are, so the private key never exists in exportable form). Memory when unavailable.
import { canSign, generateSigningKeys, signerFor, type Signer } from './signing.js'

const DATABASE = 'parley-keys'
const STORE = 'keys'
const SIGNING_KEY = 'signing'

let pageSigner: Promise<Signer | null> | null = null

/**
 * This profile's signer, made on first use; null where the page cannot sign (no WebCrypto).
 * Loaded once per page: chats loading it side by side on a first visit would otherwise each
 * make a key pair, and the room they share would see the user change id.
 */
export function loadSigner(): Promise<Signer | null> {
  pageSigner ??= loadStoredSigner()
  return pageSigner
}

async function loadStoredSigner(): Promise<Signer | null> {
  if (!canSign()) return null
  const stored = await readKeys().catch(() => null)
  if (stored !== null) return signerFor(stored)
  const generated = await generateSigningKeys()
  // Another tab of this profile may have stored keys meanwhile: the first stored wins.
  const keys = await keepFirstKeys(generated).catch(() => generated) // no IndexedDB (private mode): keys last this page
  return signerFor(keys)
}

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('no IndexedDB'))
      return
    }
    const request = indexedDB.open(DATABASE, 1)
    request.onupgradeneeded = () => request.result.createObjectStore(STORE)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

async function readKeys(): Promise<CryptoKeyPair | null> {
  const db = await openDatabase()
  try {
    const value = await requestResult<unknown>(db.transaction(STORE).objectStore(STORE).get(SIGNING_KEY))
    return isKeyPair(value) ? value : null
  } finally {
    db.close()
  }
}

/**
 * Stores `keys` unless keys are stored already, and returns the stored ones. One read-write
 * transaction does both, and IndexedDB runs such transactions on a store one at a time, so
 * two tabs opening together on a first visit end up with the same keys.
 */
async function keepFirstKeys(keys: CryptoKeyPair): Promise<CryptoKeyPair> {
  const db = await openDatabase()
  try {
    const store = db.transaction(STORE, 'readwrite').objectStore(STORE)
    const existing = await requestResult<unknown>(store.get(SIGNING_KEY))
    if (isKeyPair(existing)) return existing
    await requestResult(store.put(keys, SIGNING_KEY))
    return keys
  } finally {
    db.close()
  }
}

function requestResult<T>(request: IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result as T)
    request.onerror = () => reject(request.error)
  })
}

function isKeyPair(value: unknown): value is CryptoKeyPair {
  if (typeof value !== 'object' || value === null) return false
  const { publicKey, privateKey } = value as Record<string, unknown>
  return publicKey instanceof CryptoKey && privateKey instanceof CryptoKey
}
