// The room's public keys by author: compact records name their author, and the key is looked up
// here, so that each author's 32-byte key is stored once per room instead of in every message.
//
// The `keys` array (schema.ts) is append-only and holds raw keys; the directory maps each to
// its user id, the key's fingerprint (identity/signing.ts `userIdOf`). An entry cannot be put
// under someone else's id, and nothing can be displaced: a second key for an id would need a
// second preimage of its hash, and what the directory learned it keeps while the document is
// open, even if a peer deletes the entry (which every peer holding the key then puts back).
import type * as Y from 'yjs'
import { base64url } from '../address/index.js'
import { fromBase64url, userIdOf } from '../identity/index.js'
import { PUBLIC_KEY_BYTES, keysOf } from './schema.js'

/** Origin of the transactions that put deleted keys back. */
const RESTORE_KEYS_ORIGIN = 'parley-restore-keys'

/** The public keys a document's `keys` array holds, by user id. Use `keyDirectoryOf`. */
export class KeyDirectory {
  readonly #doc: Y.Doc
  readonly #array: Y.Array<unknown>
  /** Every key seen in the array since the directory was made, by user id (base64url both). */
  readonly #byUser = new Map<string, string>()
  /** Keys present in the array at the last scan. */
  #present = new Set<string>()
  /** User ids of entries already hashed: the array's contents are the same objects scan after scan. */
  readonly #hashed = new WeakMap<Uint8Array, string>()

  constructor(doc: Y.Doc) {
    this.#doc = doc
    this.#array = keysOf(doc)
    this.#scan()
    // Before observers run, so that message observers of the same transaction find new keys.
    doc.on('beforeObserverCalls', (transaction: Y.Transaction) => {
      if (transaction.changed.has(this.#array)) this.#scan()
    })
  }

  /** The public key (base64url) bound to `userId`, if the room has held one. */
  keyOf = (userId: string): string | undefined => this.#byUser.get(userId)

  /**
   * Appends `publicKey` (base64url) to the keys unless the document holds it already; call
   * inside the transaction that appends the first record it signs, before that record.
   */
  ensure(publicKey: string): void {
    if (this.#present.has(publicKey)) return
    const bytes = fromBase64url(publicKey)
    if (bytes.length !== PUBLIC_KEY_BYTES) return
    this.#array.push([bytes])
    this.#present.add(publicKey)
  }

  #scan(): void {
    const present = new Set<string>()
    for (const entry of this.#array.toArray()) {
      const key = this.#keyOf(entry)
      if (key !== null) present.add(key)
    }
    this.#present = present
    const lost = [...this.#byUser.values()].filter((key) => !present.has(key))
    if (lost.length > 0) {
      // Deleted by some peer: put back, as messages are, for whoever joins later.
      queueMicrotask(() => {
        const missing = lost.filter((key) => !this.#present.has(key))
        if (missing.length > 0 && !this.#doc.isDestroyed) {
          this.#doc.transact(() => this.#array.push(missing.map(fromBase64url)), RESTORE_KEYS_ORIGIN)
        }
      })
    }
  }

  /** The base64url key of an entry, remembered under its user id; null for anything but a raw key. */
  #keyOf(entry: unknown): string | null {
    if (!(entry instanceof Uint8Array) || entry.length !== PUBLIC_KEY_BYTES) return null
    const known = this.#hashed.get(entry)
    if (known !== undefined) return known
    const key = base64url(entry)
    this.#hashed.set(entry, key)
    const userId = userIdOf(key)
    if (!this.#byUser.has(userId)) this.#byUser.set(userId, key)
    return key
  }
}

const directories = new WeakMap<Y.Doc, KeyDirectory>()

/** The key directory of a document, made the first time it is asked for. */
export function keyDirectoryOf(doc: Y.Doc): KeyDirectory {
  let directory = directories.get(doc)
  if (directory === undefined) {
    directory = new KeyDirectory(doc)
    directories.set(doc, directory)
  }
  return directory
}
