// Parley's presence meta (name, typing) and the views the UI needs of it: the members list,
// who is typing, and the "joined"/"left" notices. Pure functions.
import { isPlainObject, typingKeys, typingLine, type Meta, type MetaGuard, type PresenceState } from '../presence/index.js'
import { MAX_NAME_CHARS, MAX_SIGNATURE_FIELD_CHARS, colorFor, type CssColor } from '../identity/index.js'
import type { Verdict } from './verdicts.js'

/**
 * What one tab tells the room about its user. No colour: a member's colour is derived here
 * from their key (colorFor), so nothing a peer sends reaches a style.
 */
export interface MemberMeta {
  name: string
  typing: boolean
  /** When this tab joined, in ms since the epoch (its own clock). */
  since: number
  /** The user's public key and the tab's signature over it (see signing.ts); absent if unsigned. */
  publicKey?: string
  signature?: string
}

/** One user in the members list. */
export interface Member {
  key: string
  name: string
  /** Derived from `key` on this device; any colour a peer sends is ignored. */
  color: CssColor
  /** How many tabs (metas) the user has in the room. */
  tabs: number
  typing: boolean
  isSelf: boolean
  /** Whether every tab proved it holds this user's key. */
  verdict: Verdict
}

/** Judges one tab's claim to be its user (the room checks signatures). */
export type MetaVerdict = (key: string, meta: Meta<MemberMeta>) => Verdict

/** A line in the log about presence: "Carol joined", "Carol left". */
export interface PresenceNotice {
  key: string
  text: string
}

/** Guards a meta from another peer; undefined when malformed. Fields it does not know (`color` of old tabs) are dropped. */
export const parseMemberMeta: MetaGuard<MemberMeta> = (value) => {
  if (!isPlainObject(value)) return undefined
  const { name, typing, since, publicKey, signature } = value
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_CHARS) return undefined
  if (typeof typing !== 'boolean') return undefined
  if (typeof since !== 'number' || !Number.isFinite(since)) return undefined
  const meta: MemberMeta = { name, typing, since }
  if (publicKey === undefined && signature === undefined) return meta
  if (!isSignatureField(publicKey) || !isSignatureField(signature)) return undefined
  return { ...meta, publicKey, signature }
}

function isSignatureField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SIGNATURE_FIELD_CHARS
}

/** The name a user goes by: the one of their most recently joined tab. */
function nameOf(metas: readonly MemberMeta[]): MemberMeta {
  return metas.reduce((newest, meta) => (meta.since > newest.since ? meta : newest))
}

/** The members list, in first-join order; a user is unverified if any tab's claim fails. */
export function membersOf(state: PresenceState<MemberMeta>, selfKey: string | undefined, verdictOf: MetaVerdict): Member[] {
  const members: Member[] = []
  for (const [key, { metas }] of state) {
    if (metas.length === 0) continue
    const { name } = nameOf(metas)
    const color = colorFor(key)
    const verdicts = metas.map((meta) => verdictOf(key, meta))
    const verdict: Verdict = verdicts.includes('unverified') ? 'unverified' : verdicts.includes('pending') ? 'pending' : 'verified'
    members.push({ key, name, color, tabs: metas.length, typing: metas.some((meta) => meta.typing), isSelf: key === selfKey, verdict })
  }
  return members
}

/** "Bob is typing…" and the like, for everyone but oneself. */
export function typingLineOf(state: PresenceState<MemberMeta>, selfKey: string | undefined): string {
  const names = typingKeys(state, selfKey).map((key) => nameOf(state.get(key)?.metas ?? []).name)
  return typingLine(names)
}

/**
 * The notices a presence change makes: a user joined (a new key, not a second tab or an
 * update) or left (their last tab went). Users already here when this tab joined
 * (`selfSince`) are not announced unless this tab saw them go (`seen`); nor is oneself.
 */
export function presenceNotices(
  before: PresenceState<MemberMeta>,
  after: PresenceState<MemberMeta>,
  selfKey: string | undefined,
  selfSince: number,
  seen: ReadonlySet<string>,
): PresenceNotice[] {
  const notices: PresenceNotice[] = []
  for (const [key, { metas }] of after) {
    if (key === selfKey || before.has(key) || metas.length === 0) continue
    if (!seen.has(key) && metas.every((meta) => meta.since < selfSince)) continue
    notices.push({ key, text: `${nameOf(metas).name} joined` })
  }
  for (const [key, { metas }] of before) {
    if (key === selfKey || after.has(key) || metas.length === 0) continue
    notices.push({ key, text: `${nameOf(metas).name} left` })
  }
  return notices
}
