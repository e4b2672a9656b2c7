// Hashing files for transfer: the SHA-256 of the whole file, of each chunk, and of the chunk-hash
// list (its root). WebCrypto only: a page without it (plain http) cannot share or fetch files.
import { CHUNK_BYTES, HASH_BYTES, chunkCount, chunkOf, hashText, sameBytes, type FileRef } from './file-protocol.js'

/** A file as this page holds it: its bytes, the list of its chunk hashes, and how it is named. */
export interface HeldFile {
  ref: FileRef
  bytes: Uint8Array<ArrayBuffer>
  /** The chunk hashes, HASH_BYTES each, in order. */
  list: Uint8Array
}

/** Whether this page can hash files (WebCrypto exists only in secure contexts: https, localhost). */
export function canHashFiles(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined
}

/** SHA-256 of `bytes`. */
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  // digest() wants an ArrayBuffer-backed view; a chunk is a view into a larger buffer, copied at most once.
  const view = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice()
  return new Uint8Array(await crypto.subtle.digest('SHA-256', view))
}

/** Hashes a file's chunks, its chunk-hash list and the whole: what names it on the wire. */
export async function hashFile(bytes: Uint8Array<ArrayBuffer>): Promise<HeldFile> {
  const count = chunkCount(bytes.length)
  const list = new Uint8Array(count * HASH_BYTES)
  for (let index = 0; index < count; index++) list.set(await sha256(chunkOf(bytes, index)), index * HASH_BYTES)
  const [whole, root] = await Promise.all([sha256(bytes), sha256(list)])
  return { ref: { sha256: hashText(whole), root: hashText(root), size: bytes.length }, bytes, list }
}

/** Whether `chunk` is chunk `index` of the file whose chunk-hash list is `list`. */
export async function chunkMatches(list: Uint8Array, index: number, chunk: Uint8Array): Promise<boolean> {
  const expected = list.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES)
  if (expected.length !== HASH_BYTES || chunk.length > CHUNK_BYTES) return false
  return sameBytes(await sha256(chunk), expected)
}
