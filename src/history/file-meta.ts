// What a message says about a file it carries: name, type, size and hashes, written as the content
// of a signed 'file' annotation. The bytes never enter the document; peers fetch them on request.
//
// Content: JSON {"n":"<name>","t":"<type>","s":<bytes>,"h":"<sha256>","r":"<root>"}; hashes in
// unpadded base64url: `h` of the whole file, `r` of the list of its chunks' hashes (see
// transport/file-protocol.ts). Name and type are a peer's strings: shown as text only.

/** Largest file a room shares, in bytes (25 MiB): it is held in memory by whoever has it. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024
/** Longest file name kept, in characters. */
export const MAX_FILE_NAME_CHARS = 255
/** Longest media type kept, in characters. */
const MAX_FILE_TYPE_CHARS = 127
/** A SHA-256 in unpadded base64url. */
const HASH_TEXT = /^[A-Za-z0-9_-]{43}$/
/** A media type as browsers report them ('' when unknown). */
const MEDIA_TYPE = /^$|^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/

/** A file a message carries, as its author signed it. */
export interface FileMeta {
  name: string
  /** Media type as the author's browser reported it, lower case; '' when unknown. */
  type: string
  /** Length in bytes. */
  size: number
  /** SHA-256 of the file, unpadded base64url. */
  sha256: string
  /** SHA-256 of the list of its chunk hashes, unpadded base64url. */
  root: string
}

/** The annotation content that carries `meta`. */
export function encodeFileMeta(meta: FileMeta): string {
  return JSON.stringify({ n: meta.name, t: meta.type, s: meta.size, h: meta.sha256, r: meta.root })
}

/** The file a 'file' annotation's content describes, or null if it is malformed or over the limits. */
export function parseFileMeta(content: string): FileMeta | null {
  let value: unknown
  try {
    value = JSON.parse(content)
  } catch {
    return null // not JSON: a broken or hostile record
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const { n, t, s, h, r } = value as Record<string, unknown>
  if (typeof n !== 'string' || n.trim() === '' || n.length > MAX_FILE_NAME_CHARS) return null
  if (typeof t !== 'string' || t.length > MAX_FILE_TYPE_CHARS || !MEDIA_TYPE.test(t)) return null
  if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > MAX_FILE_BYTES) return null
  if (typeof h !== 'string' || !HASH_TEXT.test(h) || typeof r !== 'string' || !HASH_TEXT.test(r)) return null
  return { name: n, type: t, size: s, sha256: h, root: r }
}

/** A file's name cleaned for the record: no control characters, within MAX_FILE_NAME_CHARS. */
export function cleanFileName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return (clean === '' ? 'file' : clean).slice(0, MAX_FILE_NAME_CHARS)
}

/** A browser-reported media type as the record keeps it: lower case, '' if not a plain type. */
export function cleanFileType(type: string): string {
  const lower = type.toLowerCase().split(';')[0].trim()
  return lower.length <= MAX_FILE_TYPE_CHARS && MEDIA_TYPE.test(lower) ? lower : ''
}
