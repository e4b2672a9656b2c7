// The file side channel's wire format and the pure checks of a transfer: how a file is cut into
// chunks, the list of chunk hashes that lets a receiver refuse one bad chunk at once, and the parse.
//
// Wire format: frames on a negotiated data channel (id FILE_CHANNEL_ID) every Parley peer
// connection opens beside y-webrtc's own. A file is named by its SHA-256 (`h`) and the SHA-256 of
// its chunk-hash list (`r`, the "root"); both are in the signed message, so whoever serves the
// bytes need not be trusted. Control frames are JSON text, at most MAX_CONTROL_FRAME_CHARS:
//   {"t":"want","q":<n>,"h":"<hash>","r":"<root>"}  do you hold this file? `q` names the request
//   {"t":"have","q":<n>}  /  {"t":"none","q":<n>}    yes (ask for parts) / no
//   {"t":"get","q":<n>,"i":<index>}                  send chunk <index>
//   {"t":"get","q":<n>,"i":<index>,"l":1}            send part <index> of the chunk-hash list
//   {"t":"cancel","q":<n>}                           stop serving request <n>
// Data frames are binary: [kind u8: 1 chunk, 2 list part][q u32 BE][index u32 BE][payload].
// A chunk is CHUNK_BYTES (the last one shorter); a list part holds up to HASHES_PER_PART hashes
// of 32 bytes. Both stay under 16 KiB plus the header, which every SCTP stack carries whole.
import { readJsonFrame } from './json-frame.js'

// The channel's id and label live with the shell that opens it, which every page loads first;
// this module is loaded with the transfer code, on first use.
export { FILE_CHANNEL_ID, FILE_CHANNEL_LABEL } from './file-channels.js'
/** Bytes of file data per chunk: within what every WebRTC stack sends as one message. */
export const CHUNK_BYTES = 16 * 1024
/** Bytes of a SHA-256 hash. */
export const HASH_BYTES = 32
/** Chunk hashes per part of the list, so a part is CHUNK_BYTES too. */
export const HASHES_PER_PART = CHUNK_BYTES / HASH_BYTES
/** Bytes before the payload of a data frame: kind, request id, index. */
export const DATA_HEADER_BYTES = 9
/** Longest control frame accepted, in characters. */
const MAX_CONTROL_FRAME_CHARS = 200
/** Largest request id or index on the wire (u32). */
const MAX_U32 = 0xffff_ffff
const DATA_CHUNK = 1
const DATA_LIST_PART = 2
/** A SHA-256 in unpadded base64url. */
const HASH_TEXT = /^[A-Za-z0-9_-]{43}$/

/** A control frame of the file channel. */
export type FileControlFrame =
  | { t: 'want'; q: number; h: string; r: string }
  | { t: 'have' | 'none' | 'cancel'; q: number }
  | { t: 'get'; q: number; i: number; l?: 1 }

/** A data frame: a chunk of a file or a part of its chunk-hash list, for request `q`. */
export interface FileDataFrame {
  kind: 'chunk' | 'part'
  q: number
  index: number
  payload: Uint8Array
}

/** What names a file on the wire, and how long it is. */
export interface FileRef {
  /** SHA-256 of the whole file, unpadded base64url. */
  sha256: string
  /** SHA-256 of the concatenated chunk hashes, unpadded base64url. */
  root: string
  /** Length in bytes. */
  size: number
}

/** Encodes a control frame for the wire. */
export function encodeControlFrame(frame: FileControlFrame): string {
  return JSON.stringify(frame)
}

const isU32 = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_U32

/** Parses a control frame; null for anything malformed (binary, bad JSON, wrong shape, too long). */
export function parseControlFrame(data: unknown): FileControlFrame | null {
  const value = readJsonFrame(data, MAX_CONTROL_FRAME_CHARS)
  if (value === null) return null
  const { t, q, h, r, i, l } = value
  if (!isU32(q)) return null
  switch (t) {
    case 'want':
      return typeof h === 'string' && HASH_TEXT.test(h) && typeof r === 'string' && HASH_TEXT.test(r) ? { t, q, h, r } : null
    case 'have':
    case 'none':
    case 'cancel':
      return { t, q }
    case 'get':
      if (!isU32(i) || (l !== undefined && l !== 1)) return null
      return l === 1 ? { t, q, i, l } : { t, q, i }
    default:
      return null
  }
}

/** Encodes a data frame: header and payload in one buffer. */
export function encodeDataFrame(frame: FileDataFrame): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(DATA_HEADER_BYTES + frame.payload.length)
  const view = new DataView(bytes.buffer)
  view.setUint8(0, frame.kind === 'chunk' ? DATA_CHUNK : DATA_LIST_PART)
  view.setUint32(1, frame.q)
  view.setUint32(5, frame.index)
  bytes.set(frame.payload, DATA_HEADER_BYTES)
  return bytes
}

/** Parses a data frame; null unless binary, of a known kind, with a payload of at most CHUNK_BYTES. */
export function parseDataFrame(data: unknown): FileDataFrame | null {
  let bytes: Uint8Array
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data)
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  else return null
  if (bytes.length < DATA_HEADER_BYTES || bytes.length > DATA_HEADER_BYTES + CHUNK_BYTES) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const kind = view.getUint8(0)
  if (kind !== DATA_CHUNK && kind !== DATA_LIST_PART) return null
  return {
    kind: kind === DATA_CHUNK ? 'chunk' : 'part',
    q: view.getUint32(1),
    index: view.getUint32(5),
    payload: bytes.subarray(DATA_HEADER_BYTES),
  }
}

/** How many chunks a file of `size` bytes has (at least one, so an empty file has a list). */
export function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / CHUNK_BYTES))
}

/** How many parts the chunk-hash list of a file of `size` bytes has. */
export function partCount(size: number): number {
  return Math.ceil(chunkCount(size) / HASHES_PER_PART)
}

/** Bytes chunk `index` of a file of `size` bytes holds; -1 past the end. */
export function chunkLength(size: number, index: number): number {
  if (index >= chunkCount(size)) return -1
  return Math.min(CHUNK_BYTES, size - index * CHUNK_BYTES)
}

/** Bytes part `index` of the chunk-hash list of a file of `size` bytes holds; -1 past the end. */
export function partLength(size: number, index: number): number {
  if (index >= partCount(size)) return -1
  return Math.min(HASHES_PER_PART, chunkCount(size) - index * HASHES_PER_PART) * HASH_BYTES
}

/** Chunk `index` of `bytes`. */
export function chunkOf(bytes: Uint8Array, index: number): Uint8Array {
  return bytes.subarray(index * CHUNK_BYTES, index * CHUNK_BYTES + chunkLength(bytes.length, index))
}

/** Part `index` of a chunk-hash list. */
export function partOf(list: Uint8Array, index: number): Uint8Array {
  return list.subarray(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES)
}

/** Whether a data frame fits what was asked: the payload length its kind and index call for. */
export function dataFits(frame: FileDataFrame, size: number): boolean {
  const expected = frame.kind === 'chunk' ? chunkLength(size, frame.index) : partLength(size, frame.index)
  return expected >= 0 && frame.payload.length === expected
}

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  return true
}

/** Bytes as unpadded base64url (how hashes travel in frames and records). */
export function hashText(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}
