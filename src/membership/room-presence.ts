// This tab's presence in a room: tracks the user with Parley's meta, drives the typing flag
// from the composer (transitions only), and reports members and join/leave notices.
import type { Awareness } from 'y-protocols/awareness'
import {
  TYPING_IDLE,
  createPresence,
  typingDeadline,
  typingOnBlur,
  typingOnInput,
  typingOnSend,
  typingTick,
  type AwarenessPresence,
  type PresenceState,
  type TypingState,
  type TypingStep,
} from '../presence/index.js'
import { presenceBytes, type Signer } from '../identity/index.js'
import { membersOf, parseMemberMeta, presenceNotices, typingLineOf, type Member, type MemberMeta, type PresenceNotice } from './members.js'
import { VerdictCache, presenceVerdict } from './verdicts.js'

/** Who this tab is, as presence shows it; with a signer, the claim is signed. */
export interface PresenceUser {
  userId: string
  name: string
  signer: Signer | null
}

/** What the UI shows of presence. */
export interface PresenceView {
  members: Member[]
  /** "Bob is typing…", or "" when nobody else is. */
  typingLine: string
}

/** Called after every presence change, with the notices it made (often none). */
export type PresenceListener = (view: PresenceView, notices: PresenceNotice[]) => void

/** One tab's presence in one room. */
export class RoomPresence {
  /** The awareness presence this tab tracks itself in (Parley's meta). */
  readonly #presence: AwarenessPresence<MemberMeta>
  #typing: TypingState = TYPING_IDLE
  #typingTimer: ReturnType<typeof setTimeout> | null = null
  #since = Number.POSITIVE_INFINITY
  #before: PresenceState<MemberMeta>
  /** Every user this tab has shown, so a return after a drop is announced. */
  #seen = new Set<string>()
  #listeners = new Set<PresenceListener>()
  #stop: () => void
  #topic: string
  #verdicts = new VerdictCache(() => this.#emit([]))
  /** Bumped by every join, so a slow signature cannot overwrite a newer join. */
  #joinGeneration = 0

  /** `topic` is the room's hashed topic, which presence signatures are bound to. */
  constructor(awareness: Awareness, topic: string) {
    this.#topic = topic
    this.#presence = createPresence(awareness, { parseMeta: parseMemberMeta })
    this.#before = this.#presence.state
    this.#stop = this.#presence.onSync(() => this.#onSync())
  }

  /** The members list and typing line as they are now. */
  get view(): PresenceView {
    const state = this.#presence.state
    const verdictOf = (key: string, meta: Parameters<typeof presenceVerdict>[3]) => presenceVerdict(this.#verdicts, this.#topic, key, meta)
    return { members: membersOf(state, this.#presence.key, verdictOf), typingLine: typingLineOf(state, this.#presence.key) }
  }

  /** Shows this tab in the room as `user` (again, with a new name, if already shown). */
  async join(user: PresenceUser, now = Date.now()): Promise<void> {
    const generation = ++this.#joinGeneration
    const proof = user.signer === null ? {} : await this.#prove(user.signer)
    if (generation !== this.#joinGeneration) return
    if (this.#presence.key === undefined) this.#since = now
    const meta: MemberMeta = { name: user.name, typing: this.#typing.typing, since: this.#since, ...proof }
    this.#presence.track(user.userId, meta)
  }

  async #prove(signer: Signer): Promise<{ publicKey: string; signature: string }> {
    const bytes = presenceBytes(this.#topic, this.#presence.clientID, signer.userId, signer.publicKey)
    return { publicKey: signer.publicKey, signature: await signer.sign(bytes) }
  }

  /** Takes this tab out of the room's presence. */
  leave(): void {
    this.#joinGeneration++
    this.#apply(typingOnBlur(this.#typing))
    this.#presence.untrack()
  }

  /** The user typed in the composer. */
  input(now = Date.now()): void {
    this.#apply(typingOnInput(this.#typing, now))
  }

  /** The user sent (`send`) or left the composer (`blur`). */
  stopTyping(why: 'send' | 'blur'): void {
    this.#apply(why === 'send' ? typingOnSend(this.#typing) : typingOnBlur(this.#typing))
  }

  /** Listens for presence changes; returns an unsubscribe function. */
  onChange(listener: PresenceListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Stops timers and listeners, and leaves. */
  destroy(): void {
    if (this.#typingTimer !== null) clearTimeout(this.#typingTimer)
    this.#listeners.clear()
    this.#stop()
    this.#presence.destroy()
  }

  #onSync(): void {
    const after = this.#presence.state
    const before = this.#before
    this.#before = after
    const notices = presenceNotices(before, after, this.#presence.key, this.#since, this.#seen)
    for (const key of after.keys()) this.#seen.add(key)
    this.#emit(notices)
  }

  #emit(notices: PresenceNotice[]): void {
    const view = this.view
    for (const listener of this.#listeners) listener(view, notices)
  }

  #apply(step: TypingStep): void {
    this.#typing = step.state
    if (step.changed && this.#presence.key !== undefined) {
      const typing = step.state.typing
      this.#presence.update(() => ({ typing }))
    }
    this.#scheduleTick()
  }

  #scheduleTick(): void {
    if (this.#typingTimer !== null) clearTimeout(this.#typingTimer)
    this.#typingTimer = null
    const deadline = typingDeadline(this.#typing)
    if (deadline === undefined) return
    this.#typingTimer = setTimeout(() => this.#apply(typingTick(this.#typing, Date.now())), Math.max(0, deadline - Date.now()))
  }
}
