// The presence field of a tab's awareness state: its wire format, its guard and its refs.
// Other peers are untrusted: every remote awareness state reaches presence through parsePresenceField.
//
// Wire format: one field of the y-protocols awareness state (JSON; other fields belong to others):
//   { "presence": { "key": string, "meta": { ...userMeta }, "version": number } | null, ... }
//   key      1..MAX_PRESENCE_KEY_CHARS characters: the user (two tabs of one user share it)
//   meta     a plain JSON object, without the reserved names "ref" and "refPrev"
//   version  a safe integer >= 0, bumped by the tab whenever key or meta changes (never on heartbeats)
//   null or absent: the tab tracks nothing. A meta's ref is `${clientID}:${version}`.

import type { UserMeta } from './presence-state.js'

/** The awareness state field that holds a tab's presence. */
export const PRESENCE_FIELD = 'presence'

/** The longest key accepted, in UTF-16 code units. */
export const MAX_PRESENCE_KEY_CHARS = 256

/** Meta field names that presence itself sets. */
export const RESERVED_META_FIELDS: readonly string[] = ['ref', 'refPrev']

/** A tab's presence field, as sent in its awareness state. */
export type PresenceField<M extends object = UserMeta> = { key: string; meta: M; version: number }

/** Validates an untrusted user meta: the meta itself, or undefined to reject it. */
export type MetaGuard<M extends object> = (value: unknown) => M | undefined

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The default meta guard: accepts any plain object. */
export const anyObjectMeta: MetaGuard<UserMeta> = (value) => (isPlainObject(value) ? value : undefined)

/** True for a key presence accepts. */
export function isPresenceKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_PRESENCE_KEY_CHARS
}

/** Parses an untrusted presence field; undefined when malformed (null/absent is the caller's business). */
export function parsePresenceField(value: unknown): PresenceField<UserMeta> | undefined
/** Parses an untrusted presence field, validating its meta with `parseMeta`. */
export function parsePresenceField<M extends object>(value: unknown, parseMeta: MetaGuard<M>): PresenceField<M> | undefined
export function parsePresenceField<M extends object>(value: unknown, parseMeta?: MetaGuard<M>): PresenceField<M | UserMeta> | undefined {
  if (!isPlainObject(value)) return undefined
  const { key, meta, version } = value
  if (!isPresenceKey(key)) return undefined
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) return undefined
  if (!isPlainObject(meta)) return undefined
  if (RESERVED_META_FIELDS.some((name) => Object.hasOwn(meta, name))) return undefined
  const parsed = parseMeta === undefined ? meta : parseMeta(meta)
  if (parsed === undefined) return undefined
  return { key, meta: parsed, version }
}

/** The ref of one version of one tab's meta. */
export function presenceRef(clientID: number, version: number): string {
  return `${clientID}:${version}`
}

/** The client ID part of a ref made by presenceRef, as a string. */
export function clientOfRef(ref: string): string {
  const colon = ref.lastIndexOf(':')
  return colon < 0 ? ref : ref.slice(0, colon)
}
