// Parley's presence meta (name, typing) and the views the UI needs of it: the members list,
// who is typing, and the "joined"/"left" notices. Pure functions.
import { isPlainObject, typingLine, type Meta, type MetaGuard, type PresenceState } from '../presence/index.js'
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
  /**
   * The user's public key, the tab's signature over this whole state (see signing.ts
   * `presenceBytes`) and the counter the tab raises with each state it signs; all three or none.
   */
  publicKey?: string
  signature?: string
  counter?: number
  /**
   * Set (true) only in a tab's signed goodbye, the state it publishes as it leaves: it is never
   * shown, and once verified it takes the tab out of the list (see proven-tabs.ts).
   */
  left?: true
  /**
   * The tab's signature over `refutesBytes` (identity/signing.ts): it answers a rumor of its loss
   * by renewing its state. Not part of the signed state; a peer that strips it only makes others
   * wait for awareness's timeout, and nobody can add it for a tab that did not sign it.
   */
  refutes?: string
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
  /**
   * Whether the tabs proved they hold this user's key. Tabs whose claim failed are listed
   * apart, as one 'unverified' member per claimed key, next to the user's own entry.
   */
  verdict: Verdict
}

/** Judges one tab's claim to be its user (the room checks signatures). */
export type MetaVerdict = (key: string, meta: Meta<MemberMeta>) => Verdict

/** Whether a tab is shown typing (its state's flag, unless a verified message from its user ended it: typing-ended.ts). */
export type TypingOf = (meta: Meta<MemberMeta>) => boolean

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
  const { counter, left } = value
  if (left !== undefined && left !== true) return undefined
  if (publicKey === undefined && signature === undefined && counter === undefined && left === undefined) return meta
  if (!isSignatureField(publicKey) || !isSignatureField(signature)) return undefined
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 0) return undefined
  // Only a signed state can say its tab left: an unsigned goodbye is malformed.
  const signed: MemberMeta = left === true ? { ...meta, publicKey, signature, counter, left } : { ...meta, publicKey, signature, counter }
  // A malformed proof is only a proof the less.
  return isSignatureField(value.refutes) ? { ...signed, refutes: value.refutes } : signed
}

function isSignatureField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SIGNATURE_FIELD_CHARS
}

/** The name a user goes by: the one of their most recently joined tab. */
function nameOf(metas: readonly MemberMeta[]): MemberMeta {
  return metas.reduce((newest, meta) => (meta.since > newest.since ? meta : newest))
}

/** One user's tabs split by their claim: those that proved it (or are being checked) and those that failed. */
function byClaim(
  key: string,
  metas: readonly Meta<MemberMeta>[],
  verdictOf: MetaVerdict,
): { claimed: Meta<MemberMeta>[]; failed: Meta<MemberMeta>[] } {
  const claimed: Meta<MemberMeta>[] = []
  const failed: Meta<MemberMeta>[] = []
  for (const meta of metas) (verdictOf(key, meta) === 'unverified' ? failed : claimed).push(meta)
  return { claimed, failed }
}

/**
 * The members list, in first-join order. Tabs whose claim to a user failed (unsigned, or a
 * signature that does not verify) are one 'unverified' member of their own, after that user's
 * entry: an impostor neither joins the real user's entry nor taints it.
 */
export function membersOf(
  state: PresenceState<MemberMeta>,
  selfKey: string | undefined,
  verdictOf: MetaVerdict,
  typingOf: TypingOf = (meta) => meta.typing,
): Member[] {
  const members: Member[] = []
  const entry = (key: string, metas: readonly Meta<MemberMeta>[], verdict: Verdict, isSelf: boolean): Member => {
    const { name } = nameOf(metas)
    return { key, name, color: colorFor(key), tabs: metas.length, typing: metas.some(typingOf), isSelf, verdict }
  }
  for (const [key, { metas }] of state) {
    const { claimed, failed } = byClaim(key, metas, verdictOf)
    if (claimed.length > 0) {
      const pending = claimed.some((meta) => verdictOf(key, meta) === 'pending')
      members.push(entry(key, claimed, pending ? 'pending' : 'verified', key === selfKey))
    }
    // Failed claims of one's own key are someone else, unless this tab cannot sign either.
    if (failed.length > 0) members.push(entry(key, failed, 'unverified', key === selfKey && claimed.length === 0))
  }
  return members
}

/**
 * "Bob is typing…" and the like, for everyone but oneself. A tab whose claim failed types as
 * "⚠ Bob (unverified)"; one whose claim is still being checked is not named yet.
 */
export function typingLineOf(
  state: PresenceState<MemberMeta>,
  selfKey: string | undefined,
  verdictOf: MetaVerdict,
  typingOf: TypingOf = (meta) => meta.typing,
): string {
  const names: string[] = []
  for (const [key, { metas }] of state) {
    const { claimed, failed } = byClaim(key, metas, verdictOf)
    const proven = claimed.filter((meta) => verdictOf(key, meta) === 'verified')
    if (key !== selfKey && proven.some(typingOf)) names.push(nameOf(proven).name)
    // As in the members list, failed claims of one's own key are someone else if this tab's claim holds.
    const impostor = key !== selfKey || claimed.length > 0
    if (impostor && failed.some(typingOf)) names.push(unverifiedName(nameOf(failed).name))
  }
  return typingLine(names)
}

/** How a name whose claim failed is written in text: "⚠ Bob (unverified)". */
export function unverifiedName(name: string): string {
  return `⚠ ${name} (unverified)`
}

/** A presence state split by claim: tabs whose claim verified, and tabs whose claim failed. */
export interface StateByClaim {
  verified: PresenceState<MemberMeta>
  failed: PresenceState<MemberMeta>
}

/** Splits a presence state by claim; tabs whose claim is still being checked are in neither part. */
export function splitByClaim(state: PresenceState<MemberMeta>, verdictOf: MetaVerdict): StateByClaim {
  const verified: PresenceState<MemberMeta> = new Map()
  const failed: PresenceState<MemberMeta> = new Map()
  for (const [key, { metas }] of state) {
    const split = byClaim(key, metas, verdictOf)
    const proven = split.claimed.filter((meta) => verdictOf(key, meta) === 'verified')
    if (proven.length > 0) verified.set(key, { metas: proven })
    if (split.failed.length > 0) failed.set(key, { metas: split.failed })
  }
  return { verified, failed }
}

/**
 * The notices a presence change makes: a user joined (a new key, not a second tab or an
 * update) or left (their last tab went). Users already here when this tab joined
 * (`selfSince`) are not announced unless this tab saw them go (`seen`); nor is oneself.
 * `show` writes a name (`unverifiedName` for tabs whose claim failed).
 */
export function presenceNotices(
  before: PresenceState<MemberMeta>,
  after: PresenceState<MemberMeta>,
  selfKey: string | undefined,
  selfSince: number,
  seen: ReadonlySet<string>,
  show: (name: string) => string = (name) => name,
): PresenceNotice[] {
  const notices: PresenceNotice[] = []
  for (const [key, { metas }] of after) {
    if (key === selfKey || before.has(key) || metas.length === 0) continue
    if (!seen.has(key) && metas.every((meta) => meta.since < selfSince)) continue
    notices.push({ key, text: `${show(nameOf(metas).name)} joined` })
  }
  for (const [key, { metas }] of before) {
    if (key === selfKey || after.has(key) || metas.length === 0) continue
    notices.push({ key, text: `${show(nameOf(metas).name)} left` })
  }
  return notices
}
