// This tab's presence in a room: tracks the user with Parley's meta, signed afresh with every
// change (with a goodbye signed ahead of need), drives the typing flag (transitions only), and
// reports members, who is typing (a message from a user ends their typing mark), and notices.
import { applyAwarenessUpdate, type Awareness } from 'y-protocols/awareness'
import {
  TYPING_IDLE,
  createPresence,
  readAwarenessEntry,
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
import { presenceBytes, type SignedPresenceFields, type Signer } from '../identity/index.js'
import type { MessageRecord } from '../history/index.js'
import {
  membersOf,
  parseMemberMeta,
  presenceNotices,
  splitByClaim,
  typingLineOf,
  unverifiedName,
  type Member,
  type MemberMeta,
  type MetaVerdict,
  type PresenceNotice,
  type StateByClaim,
  type TypingOf,
} from './members.js'
import {
  clockFor,
  encodeAwarenessEntries,
  holdState,
  screenEntry,
  settleHeld,
  withHeldFirstStates,
  type EntryDecision,
  type HeldFrom,
  type HeldStates,
  type ScreenedLink,
} from './held-states.js'
import { recordProven, shownState, type AwarenessUpdateEntry, type ProvenTabs } from './proven-tabs.js'
import { VerdictCache, messageVerdict, presenceVerdict } from './verdicts.js'
import { NO_ENDED_TYPING, endTyping, nextExpiry, stillEnded, typingShown, type EndedTyping } from './typing-ended.js'

/**
 * How long after a send the typing state it ends is published, in ms. Peers clear the author's
 * typing mark themselves when the message arrives (see spoke), so the stopped-typing state need
 * not be signed, sent, verified and drawn in the very moments the message is: it follows once
 * both pages have drawn the message. Typing again before then publishes the new state at once.
 */
export const TYPING_STOP_AFTER_SEND_MS = 100

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

/**
 * What a signed state waits for before it is published: a promise while the room's messages
 * are being signed (it settles once they have left), else null. A message and the typing
 * state it ends are signed at the same time, and the shorter path of the state would otherwise
 * put it on the wire first, where every peer handles it before the message.
 */
export type SendsInFlight = () => Promise<unknown> | null

/**
 * The origin of the awareness updates the screen applies itself (held states once checked,
 * clocks held back) when their link gives none (see ScreenedLink).
 */
export const SCREENED_PRESENCE_ORIGIN = 'parley-screened-presence'

/** Stands for the link of an update whose caller names none (one link, as in tests). */
const UNNAMED_LINK: ScreenedLink = { replay: (apply) => apply(null) }

/** Held states grouped by the link they came over. */
function byLink(states: readonly HeldFrom[]): Map<ScreenedLink, HeldFrom[]> {
  const groups = new Map<ScreenedLink, HeldFrom[]>()
  for (const state of states) groups.set(state.link, [...(groups.get(state.link) ?? []), state])
  return groups
}

/** Called after every presence change, with the notices it made (often none). */
export type PresenceListener = (view: PresenceView, notices: PresenceNotice[]) => void

/** One tab's presence in one room. */
export class RoomPresence {
  /** The awareness presence this tab tracks itself in (Parley's meta). */
  readonly #presence: AwarenessPresence<MemberMeta>
  readonly #awareness: Awareness
  #typing: TypingState = TYPING_IDLE
  #typingTimer: ReturnType<typeof setTimeout> | null = null
  /** Settles the held states again when a carried goodbye stops waiting (see held-states.ts). */
  #settleTimer: ReturnType<typeof setTimeout> | null = null
  /** The stopped-typing state of a send, waiting TYPING_STOP_AFTER_SEND_MS to be published. */
  #stopTimer: ReturnType<typeof setTimeout> | null = null
  /** The members list as last shown (see spoke). */
  #members: Member[] = []
  /** Other tabs' typing marks that a message from their user ended (see typing-ended.ts). */
  #ended: EndedTyping = NO_ENDED_TYPING
  /** Ends the first of `#ended` to expire, redrawing the view. */
  #endedTimer: ReturnType<typeof setTimeout> | null = null
  #since = Number.POSITIVE_INFINITY
  /** Who this tab shows itself as; null before join() and after leave(). */
  #user: PresenceUser | null = null
  /**
   * Raised with every state this tab asks for, signed or not (by two: the state's counter and its
   * goodbye's just above it); only the newest is published.
   */
  #counter = 0
  /** The signed goodbye of the state published last, kept private until the tab leaves (see sayGoodbye). */
  #goodbye: MemberMeta | null = null
  /** The shown state after the last change, split by claim, for notices. */
  #before: StateByClaim
  /** Every user this tab has shown, so a return after a drop is announced. */
  #seen = new Set<string>()
  #listeners = new Set<PresenceListener>()
  #stop: () => void
  #topic: string
  #verdicts = new VerdictCache(() => this.#settled())
  /** Verdicts on the messages that ended a typing mark: a forged one ends nothing. */
  #messageVerdicts = new VerdictCache(() => this.#messageChecked())
  /** Tabs that proved their claim, with their newest verified state (see proven-tabs.ts). */
  #proven: ProvenTabs = new Map()
  /** Signed states of other tabs, held until their signatures are checked (see held-states.ts). */
  #held: HeldStates = new Map()
  /** Held states whose signature failed, dropped: a peer forged them. */
  #forgedStates = 0
  #destroyed = false
  readonly #sendsInFlight: SendsInFlight

  /**
   * `topic` is the room's hashed topic, which presence signatures are bound to; a signed state
   * is published after the messages `sendsInFlight` reports (none by default).
   */
  constructor(awareness: Awareness, topic: string, sendsInFlight: SendsInFlight = () => null) {
    this.#topic = topic
    this.#sendsInFlight = sendsInFlight
    this.#awareness = awareness
    this.#presence = createPresence(awareness, { parseMeta: parseMemberMeta })
    this.#before = splitByClaim(this.#shown(), this.#verdictOf)
    const stopSync = this.#presence.onSync(() => this.#emit())
    awareness.on('change', this.#onAwarenessChange)
    this.#stop = () => {
      stopSync()
      awareness.off('change', this.#onAwarenessChange)
    }
  }

  /** The members list and typing line as they are now. */
  get view(): PresenceView {
    return this.#viewOf(this.#shown(), Date.now())
  }

  /**
   * Whether an awareness update from another peer, come over `link` (an object that is the same
   * for every update of one link), may reach this tab's awareness as it is: none may remove,
   * empty, replace or play back over a proven tab (see proven-tabs.ts), and no signed state
   * reaches awareness before it verified, nor an unverified entry's clock keeps one out (see
   * held-states.ts). An update with a signed state to check, or a clock to hold back, is refused
   * as it is: its signed states are held until they are checked, and its other entries applied
   * here, with the clocks allowed. The transport asks before y-webrtc applies the update.
   */
  readonly screenAwareness = (entries: readonly AwarenessUpdateEntry[], link: ScreenedLink = UNNAMED_LINK): boolean => {
    const meta = this.#awareness.meta
    const now = Date.now()
    const own = this.#awareness.clientID
    const decisions = entries.map((entry): EntryDecision => {
      const tab = this.#proven.get(entry.client)
      // This tab's own state is y-protocols' business: it re-asserts it over anything newer.
      if (entry.client === own && tab === undefined) return { kind: 'pass' }
      return screenEntry(entry, meta.get(entry.client), tab, this.#verdictOf, now)
    })
    if (decisions.some((decision) => decision.kind === 'refuse')) return false
    for (const [i, decision] of decisions.entries()) {
      const client = entries[i]?.client
      const known = client === undefined ? undefined : meta.get(client)
      // Awareness's own record of when it last heard of the tab (its outdated timeout reads it).
      if (decision.kind === 'refresh' && client !== undefined && known !== undefined)
        meta.set(client, { ...known, lastUpdated: Date.now() })
    }
    if (decisions.every((decision) => decision.kind === 'pass' || decision.kind === 'refresh')) return true
    const admitted: AwarenessUpdateEntry[] = []
    let heldFirst = false
    for (const [i, decision] of decisions.entries()) {
      const entry = entries[i]
      if (entry === undefined || decision.kind === 'refuse' || decision.kind === 'refresh') continue
      if (decision.kind === 'hold') {
        const { held, added } = holdState(this.#held, decision.state, link)
        this.#held = held
        heldFirst ||= added && !this.#proven.has(entry.client)
      } else admitted.push(decision.kind === 'apply' ? { ...entry, clock: decision.clock } : entry)
    }
    if (admitted.length > 0) this.#applyFrom(link, admitted)
    this.#applyHeld()
    // A first state being checked is shown as such (see #shown), as awareness would have it.
    if (heldFirst) this.#emit()
    return false
  }

  /** Held newer states of proven tabs that a peer forged, dropped (diagnostics). */
  get forgedStates(): number {
    return this.#forgedStates
  }

  /** Shows this tab in the room as `user` (again, with a new name, if already shown). */
  async join(user: PresenceUser, now = Date.now()): Promise<void> {
    if (this.#user === null) this.#since = now
    this.#user = user
    await this.#publish()
  }

  /** This tab's signed goodbye, ready for its siblings to carry (room/sibling-goodbyes.ts); null when none is. */
  get goodbye(): { key: string; meta: MemberMeta } | null {
    const user = this.#user
    return user === null || this.#goodbye === null ? null : { key: user.userId, meta: this.#goodbye }
  }

  /**
   * Publishes this tab's signed goodbye, if one is ready: its awareness state becomes a state
   * that says it left, signed with a counter above every state it showed, which peers relay and
   * accept from anyone (see proven-tabs.ts). At once, for `pagehide`, which cannot wait for a
   * signature: the goodbye was signed with the state it follows. The tab then shows nothing more
   * until it joins again; the caller removes its awareness state as before.
   */
  sayGoodbye(): void {
    const user = this.#user
    const goodbye = this.#goodbye
    this.#goodbye = null
    if (user === null || goodbye === null || this.#destroyed) return
    this.#user = null
    this.#counter++ // a state still being signed is not published after the goodbye
    this.#presence.track(user.userId, goodbye)
  }

  /** Takes this tab out of the room's presence, with its goodbye first (see sayGoodbye). */
  leave(): void {
    this.sayGoodbye()
    this.#user = null
    this.#counter++ // a state still being signed is not published
    this.#apply(typingOnBlur(this.#typing))
    this.#presence.untrack()
  }

  /** The user typed in the composer. */
  input(now = Date.now()): void {
    this.#apply(typingOnInput(this.#typing, now))
  }

  /**
   * The user sent (`send`) or left the composer (`blur`). After a send the new state is
   * published TYPING_STOP_AFTER_SEND_MS later: peers end the mark when the message arrives.
   */
  stopTyping(why: 'send' | 'blur'): void {
    if (why === 'blur') {
      this.#apply(typingOnBlur(this.#typing))
      return
    }
    const step = typingOnSend(this.#typing)
    if (step.changed && this.#user !== null && this.#stopTimer === null)
      this.#stopTimer = setTimeout(() => {
        this.#stopTimer = null
        this.#publishLogged()
      }, TYPING_STOP_AFTER_SEND_MS)
    this.#apply({ state: step.state, changed: false })
  }

  /**
   * A message new to this tab: its author's tabs shown typing are shown as not typing from now
   * (until their next state, at most TYPING_ENDED_MAX_MS), as chat apps do; their own
   * stopped-typing state follows (TYPING_STOP_AFTER_SEND_MS). Not for this tab's own user (its
   * tab published its own state), history (typing-ended.ts), or a message whose signature fails.
   */
  spoke(message: MessageRecord, now = Date.now()): void {
    if (this.#destroyed || message.authorId === this.#presence.key) return
    const shown = this.#shown()
    const ended = endTyping(this.#ended, shown, message, now)
    if (ended === this.#ended) return
    this.#ended = ended
    this.#scheduleEndedExpiry()
    // Nobody joined or left, so no notices; and only the typing line changes with the message:
    // the members list's marks follow in a task of their own, off the message's way to the screen.
    const before = this.#members
    const view = { members: before, typingLine: this.#viewOf(shown, now).typingLine }
    this.#members = before
    for (const listener of this.#listeners) listener(view, [])
    setTimeout(() => {
      if (this.#destroyed) return
      // Checked now: a forged message ends nothing (the check settling prunes it, #messageChecked).
      messageVerdict(this.#messageVerdicts, this.#topic, message)
      this.#emit()
    }, 0)
  }

  /** Listens for presence changes; returns an unsubscribe function. */
  onChange(listener: PresenceListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Stops timers and listeners, and leaves. */
  destroy(): void {
    this.#destroyed = true
    this.#user = null
    if (this.#typingTimer !== null) clearTimeout(this.#typingTimer)
    if (this.#settleTimer !== null) clearTimeout(this.#settleTimer)
    if (this.#stopTimer !== null) clearTimeout(this.#stopTimer)
    if (this.#endedTimer !== null) clearTimeout(this.#endedTimer)
    this.#listeners.clear()
    this.#stop()
    this.#presence.destroy()
  }

  /**
   * Publishes this tab's state as it is now: signed (with a new counter) where there is a
   * signer, so signing is async and never holds up input; a newer state asked for meanwhile wins.
   * Its goodbye is signed alongside, with the next counter, and kept.
   */
  async #publish(): Promise<void> {
    const user = this.#user
    if (user === null) return
    // This state is the newest: a send's stopped-typing state waiting to go out is in it.
    if (this.#stopTimer !== null) clearTimeout(this.#stopTimer)
    this.#stopTimer = null
    this.#counter += 2
    const goodbyeCounter = this.#counter
    const counter = goodbyeCounter - 1
    const fields = { name: user.name, typing: this.#typing.typing, since: this.#since }
    let meta: MemberMeta = fields
    let goodbye: MemberMeta | null = null
    if (user.signer !== null) {
      const { signer } = user
      const { publicKey } = signer
      const sign = (signed: SignedPresenceFields) =>
        signer.sign(presenceBytes(this.#topic, this.#presence.clientID, user.userId, publicKey, signed))
      const [signature, goodbyeSignature] = await Promise.all([
        sign({ ...fields, counter }),
        sign({ ...fields, counter: goodbyeCounter, left: true }),
      ])
      meta = { ...fields, publicKey, signature, counter }
      goodbye = { ...fields, publicKey, signature: goodbyeSignature, counter: goodbyeCounter, left: true }
      const sends = this.#sendsInFlight()
      if (sends !== null) await sends
    }
    if (goodbyeCounter !== this.#counter || this.#user !== user || this.#destroyed) return
    this.#goodbye = goodbye
    this.#presence.track(user.userId, meta)
  }

  /** The members list and typing line of a shown state at `now` (the members kept as the last shown). */
  #viewOf(state: PresenceState<MemberMeta>, now: number): PresenceView {
    const key = this.#presence.key
    const ended = this.#ended
    const typingOf: TypingOf = (meta) => typingShown(meta, ended, now)
    this.#members = membersOf(state, key, this.#verdictOf, typingOf)
    return { members: this.#members, typingLine: typingLineOf(state, key, this.#verdictOf, typingOf) }
  }

  readonly #verdictOf: MetaVerdict = (key, meta) => presenceVerdict(this.#verdicts, this.#topic, key, meta)

  /** A message that ended typing marks was checked: one that failed ends nothing. */
  #messageChecked(): void {
    if (this.#destroyed) return
    const ended = this.#ended
    this.#pruneEnded()
    if (this.#ended !== ended) this.#emit()
  }

  /** Forgets ended marks of states no longer shown, expired, or ended by a message whose signature failed. */
  #pruneEnded(shown = this.#shown()): void {
    this.#ended = stillEnded(
      this.#ended,
      shown,
      Date.now(),
      (message) => messageVerdict(this.#messageVerdicts, this.#topic, message) !== 'unverified',
    )
  }

  /** Redraws the view when the first ended mark expires (its state shows typing again). */
  #scheduleEndedExpiry(): void {
    if (this.#endedTimer !== null) clearTimeout(this.#endedTimer)
    this.#endedTimer = null
    const expiry = nextExpiry(this.#ended)
    if (expiry === undefined) return
    this.#endedTimer = setTimeout(
      () => {
        this.#endedTimer = null
        this.#pruneEnded()
        this.#scheduleEndedExpiry()
        this.#emit()
      },
      Math.max(0, expiry - Date.now()),
    )
  }

  /** A check settled: a held state may be ready; then the view. */
  #settled(): void {
    if (this.#destroyed) return
    this.#applyHeld()
    this.#emit()
  }

  /**
   * Applies the held states that verified, each with the clock held-states.ts `clockFor` gives
   * (never a far-ahead one for a proven tab, never one an unverified entry holds it under), drops
   * the forged states of proven tabs and applies those of other tabs as they came. A carried
   * goodbye still waiting gets another look when it stops waiting.
   */
  #applyHeld(): void {
    if (this.#held.size === 0) return
    const now = Date.now()
    const { held, apply, release, forged, wakeAt } = settleHeld(this.#held, this.#verdictOf, (client) => this.#proven.get(client), now)
    this.#held = held
    this.#forgedStates += forged
    if (wakeAt !== null) {
      if (this.#settleTimer !== null) clearTimeout(this.#settleTimer)
      this.#settleTimer = setTimeout(() => {
        this.#settleTimer = null
        this.#settled()
      }, wakeAt - now)
    }
    const meta = this.#awareness.meta
    for (const [link, states] of byLink(apply)) {
      const entries = states.map((state) => {
        const { client } = state.entry
        return { ...state.entry, clock: clockFor(state, meta.get(client), this.#proven.has(client)) }
      })
      this.#applyFrom(link, entries)
    }
    // A tab that proved itself just now (applied above) keeps its forged states out, as any proven tab.
    const released = release.filter(({ entry }) => !this.#proven.has(entry.client))
    this.#forgedStates += release.length - released.length
    for (const [link, states] of byLink(released)) {
      this.#applyFrom(
        link,
        states.map(({ entry }) => entry),
      )
    }
  }

  /** Applies entries the screen let through as if `link` had just delivered them (so they are relayed as its). */
  #applyFrom(link: ScreenedLink, entries: readonly AwarenessUpdateEntry[]): void {
    const update = encodeAwarenessEntries(entries)
    link.replay((origin) => applyAwarenessUpdate(this.#awareness, update, origin ?? SCREENED_PRESENCE_ORIGIN))
  }

  /** The presence state as shown, after recording the tabs that proved their claim. */
  #shown(): PresenceState<MemberMeta> {
    const states = this.#awareness.getStates()
    const raw = this.#presence.state
    this.#proven = recordProven(this.#proven, raw, this.#verdictOf, (client) => states.has(client))
    return shownState(withHeldFirstStates(raw, this.#held, this.#proven), this.#proven, this.#verdictOf)
  }

  /**
   * A proven tab's awareness state was removed (liveness, timeout): forget it at once. This
   * tab's own state replaced by its goodbye while it stays (a sibling that left published it,
   * see room/sibling-goodbyes.ts): a new state, with a counter above the goodbye's, brings it back.
   */
  readonly #onAwarenessChange = ({ updated, removed }: { updated: number[]; removed: number[] }, origin: unknown): void => {
    if (removed.some((client) => this.#proven.has(client))) this.#emit()
    if (origin === 'local' || this.#user === null || !updated.includes(this.#awareness.clientID)) return
    const own = readAwarenessEntry(this.#awareness.getLocalState(), parseMemberMeta)
    if (own.kind === 'tracked' && own.meta.left === true) this.#publishLogged()
  }

  /**
   * Tells listeners the view after a change: a presence sync, a settled check, a proven tab
   * removed. Notices name only checked claims: a tab is announced once its claim settled.
   */
  #emit(): void {
    const shown = this.#shown()
    this.#pruneEnded(shown)
    const after = splitByClaim(shown, this.#verdictOf)
    const before = this.#before
    this.#before = after
    const key = this.#presence.key
    // A user and tabs that failed to prove they are that user come and go apart, as they are listed.
    const notices = [
      ...presenceNotices(before.verified, after.verified, key, this.#since, this.#seen),
      ...presenceNotices(before.failed, after.failed, key, this.#since, this.#seen, unverifiedName),
    ]
    for (const seen of [...after.verified.keys(), ...after.failed.keys()]) this.#seen.add(seen)
    const view = this.#viewOf(shown, Date.now())
    for (const listener of this.#listeners) listener(view, notices)
  }

  #apply(step: TypingStep): void {
    this.#typing = step.state
    if (step.changed && this.#user !== null) this.#publishLogged()
    this.#scheduleTick()
  }

  #publishLogged(): void {
    this.#publish().catch((error: unknown) => {
      // The key could not sign: the previous state stays up. Worth seeing, as a bug.
      console.error('Parley: could not sign a presence change', error)
    })
  }

  #scheduleTick(): void {
    if (this.#typingTimer !== null) clearTimeout(this.#typingTimer)
    this.#typingTimer = null
    const deadline = typingDeadline(this.#typing)
    if (deadline === undefined) return
    this.#typingTimer = setTimeout(() => this.#apply(typingTick(this.#typing, Date.now())), Math.max(0, deadline - Date.now()))
  }
}
