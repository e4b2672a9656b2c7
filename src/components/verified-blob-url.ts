// The one kind of URL a shared file may put in an attribute: a blob: URL this page made from bytes
// that matched their signed hash, typed VerifiedBlobUrl and bound only through blobUrlOf.
//
// A peer's claimed media type never reaches a blob: an image is previewed only if its claimed type
// is one of PREVIEW_TYPES and its first bytes are that format's signature (no SVG: it can script);
// anything saved is an application/octet-stream blob, which the browser never renders as a page.
declare const verifiedBlobUrlBrand: unique symbol
/** A blob: URL made here from verified bytes (see verifiedBlobUrl). */
export type VerifiedBlobUrl = string & { readonly [verifiedBlobUrlBrand]: true }

/** The image types previewed in the log, with the bytes each format starts with. */
const PREVIEW_TYPES: Readonly<Record<string, readonly (readonly number[])[]>> = {
  'image/png': [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
  'image/gif': [
    [0x47, 0x49, 0x46, 0x38, 0x37, 0x61],
    [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
  ],
  'image/webp': [[0x52, 0x49, 0x46, 0x46]],
}
/** Offset and bytes of "WEBP" in a WebP file (after "RIFF" and a length). */
const WEBP_TAG = { at: 8, bytes: [0x57, 0x45, 0x42, 0x50] } as const

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  prefix.every((byte, index) => bytes[at + index] === byte)

/** Whether a claimed media type is one the log previews (before any byte is fetched). */
export function isPreviewType(type: string): boolean {
  return Object.hasOwn(PREVIEW_TYPES, type)
}

/** The image type to preview `bytes` as: the claimed `type` if allowed and the bytes are that format; else null. */
export function previewTypeOf(type: string, bytes: Uint8Array): string | null {
  if (!isPreviewType(type) || !PREVIEW_TYPES[type].some((prefix) => startsWith(bytes, prefix))) return null
  if (type === 'image/webp' && !startsWith(bytes, WEBP_TAG.bytes, WEBP_TAG.at)) return null
  return type
}

/**
 * A blob: URL for bytes that matched their signed hash (what Room.fetchFile resolves to): as
 * `previewType` (from previewTypeOf) for an image, else as application/octet-stream for saving.
 * Revoke it with URL.revokeObjectURL when it is no longer shown.
 */
export function verifiedBlobUrl(bytes: Uint8Array<ArrayBuffer>, previewType: string | null): VerifiedBlobUrl {
  return URL.createObjectURL(new Blob([bytes], { type: previewType ?? 'application/octet-stream' })) as VerifiedBlobUrl
}

/** The one way templates bind a file's URL (`src`, `href`): only a VerifiedBlobUrl type-checks in. */
export function blobUrlOf(url: VerifiedBlobUrl): string {
  return url
}
