// This tab's presence in a room: tracks the user with Parley's meta, signed afresh with every
// change (with a goodbye signed ahead of need), drives the typing flag (transitions only), and
// reports members, who is typing (a verified message from a user ends their typing mark), and
// join/leave notices.
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
import { presenceBytes, refutesBytes, type SignedPresenceFields, type Signer } from '../identity/index.js'
import { whenIdle } from '../tasks/index.js'
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
import { NO_ENDED_TYPING, endTyping, nextExpiry, stillEnded, typingShown, type EndedTyping } from './typing-ended.js'
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
import { PresenceCheckBudget } from './check-budget.js'
import { VerdictCache, knownPresenceVerdict, presenceVerdict, refutesVerdict, vouchPresence } from './verdicts.js'

/** Longest wait for an idle moment of a state asked for while messages were in flight, in ms (see SendsInFlight). */
const AFTER_SENDS_IDLE_MS = 250

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
 * What a signed state waits for before it is signed: a promise while the room's messages are
 * being signed (it settles once they have left), else null. The typing state a send ends is
 * asked for in the same task as the message: signed at once, its two signatures would run
 * before the message's continuation (Chromium settles a signature within the task that asks
 * for it), and its shorter path would put it on the wire first, where every peer handles it
 * before the message. Once they have left, such a state still waits for an idle moment (at most
 * AFTER_SENDS_IDLE_MS): signed, published and drawn in the task that stores the message, it took
 * ~1 ms of the sender's CPU while the message was still on its way to peers on the same cores.
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
  for (const state of states) {
    const group = groups.get(state.link)
    if (group === undefined) groups.set(state.link, [state])
    else group.push(state)
  }
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
  /** Other tabs' typing marks that a verified message from their user ended (see spoke). */
  #ended: EndedTyping = NO_ENDED_TYPING
  /** Redraws the view when the first ended mark expires. */
  #endedTimer: ReturnType<typeof setTimeout> | null = null
  #since = Number.POSITIVE_INFINITY
  /** Who this tab shows itself as; null before join() and after leave(). */
  #user: PresenceUser | null = null
  /** The user id this tab joined as last, kept after it left: the profile's, for its siblings' goodbyes. */
  #userKey: string | null = null
  /**
   * Raised with every state this tab asks for, signed or not (by two: the state's counter and its
   * goodbye's just above it); only the newest is published.
   */
  #counter = 0
  /** The signed goodbye of the state published last, kept private until the tab leaves (see sayGoodbye). */
  #goodbye: MemberMeta | null = null
  /** This tab's signed word that it answers rumors of its loss (see refutesRumors), for the key that signed it. */
  #refutes: { signer: Signer; userId: string; proof: Promise<string | undefined> } | null = null
  /** The shown state after the last change, split by claim, for notices. */
  #before: StateByClaim
  /** Every user this tab has shown, so a return after a drop is announced. */
  #seen = new Set<string>()
  #listeners = new Set<PresenceListener>()
  /** Told of each new goodbye before the state it belongs to is published (see onGoodbye). */
  #goodbyeListeners = new Set<() => void>()
  #stop: () => void
  #topic: string
  #verdicts = new VerdictCache(() => this.#settled())
  /** Tabs that proved their claim, with their newest verified state (see proven-tabs.ts). */
  #proven: ProvenTabs = new Map()
  /** Signed states of other tabs, held until their signatures are checked (see held-states.ts). */
  #held: HeldStates = new Map()
  /** Held states whose signature failed, dropped: a peer forged them. */
  #forgedStates = 0
  /** Signature checks each link may still make this tab start (see check-budget.ts). */
  readonly #checks = new PresenceCheckBudget()
  /** Signed states dropped unchecked: their link had spent its budget of checks. */
  #checksRefused = 0
  #destroyed = false
  readonly #sendsInFlight: SendsInFlight

  /**
   * `topic` is the room's hashed topic, which presence signatures are bound to; a state is
   * signed and published only once the messages `sendsInFlight` reports have left (none by default).
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
    const state = this.#shown()
    const key = this.#presence.key
    const now = Date.now()
    const ended = this.#ended
    const typingOf: TypingOf = (meta) => typingShown(meta, ended, now)
    return { members: membersOf(state, key, this.#verdictOf, typingOf), typingLine: typingLineOf(state, key, this.#verdictOf, typingOf) }
  }

  /**
   * Whether an awareness update from another peer, come over `link` (an object that is the same
   * for every update of one link), may reach this tab's awareness as it is: none may remove,
   * empty, replace or play back over a proven tab (see proven-tabs.ts), and no signed state
   * reaches awareness before it verified, nor an unverified entry's clock keeps one out (see
   * held-states.ts). An update with a signed state to check, or a clock to hold back, is refused
   * as it is: its signed states are held until they are checked, and its other entries applied
   * here, with the clocks allowed. A signed state whose check would start past its link's budget
   * (check-budget.ts) is dropped unchecked and counted (`checksRefused`): a renewal brings it back.
   * The transport asks before y-webrtc applies the update.
   */
  readonly screenAwareness = (entries: readonly AwarenessUpdateEntry[], link: ScreenedLink = UNNAMED_LINK): boolean => {
    const meta = this.#awareness.meta
    const now = Date.now()
    const own = this.#awareness.clientID
    const decisions = entries.map((entry): EntryDecision => {
      const tab = this.#proven.get(entry.client)
      // This tab's own state is y-protocols' business: it re-asserts it over anything newer.
      if (entry.client === own && tab === undefined) return { kind: 'pass' }
      // Known verdicts only: which checks to start is decided below, within the link's budget.
      return screenEntry(entry, meta.get(entry.client), tab, this.#knownVerdictOf, now)
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
        const { state } = decision
        const { held, added } = holdState(this.#held, state, link)
        if (!added) continue
        if (knownPresenceVerdict(this.#verdicts, this.#topic, state.key, state.meta) === undefined && !this.#checks.take(link, now)) {
          this.#checksRefused++
          continue
        }
        this.#held = held
        heldFirst ||= !this.#proven.has(entry.client)
      } else admitted.push(decision.kind === 'apply' ? { ...entry, clock: decision.clock } : entry)
    }
    if (admitted.length > 0) this.#applyFrom(link, admitted)
    this.#applyHeld()
    // A first state being checked is shown as such (see #shown), as awareness would have it.
    if (heldFirst) this.#emit()
    return false
  }

  /**
   * Whether a tab would answer a rumor of its loss by renewing its state, as liveness asks before
   * it drops a tab it has no link to on a rumor (transport/liveness-tracker.ts): a tab not proven
   * here is no safer than before (any peer can remove it), and a proven one must have signed that
   * it answers (`MemberMeta.refutes`), as an older tab cannot and a lie would take it out. False
   * while the proof is being checked; the check starts on the first question.
   */
  readonly refutesRumors = (client: number): boolean => {
    const tab = this.#proven.get(client)
    if (tab === undefined) return true
    const { publicKey, refutes } = tab.meta
    if (publicKey === undefined || refutes === undefined) return false
    return refutesVerdict(this.#verdicts, this.#topic, client, tab.key, publicKey, refutes) === 'verified'
  }

  /**
   * The other tabs in awareness tracked as the user of tab `client` (none if its state names no
   * user): one browser profile's tabs reach the room over each other's BroadcastChannel, so a
   * peer linked only to one of them may hear the others only through it. Liveness asks when a
   * link dies silent or its far end closes it (transport/liveness-tracker.ts). None for this
   * tab's own user: it hears its own siblings over the BroadcastChannel, whatever becomes of a link.
   */
  readonly siblingsOf = (client: number): number[] => {
    const states = this.#awareness.getStates()
    const tab = readAwarenessEntry(states.get(client) ?? null, parseMemberMeta)
    if (tab.kind !== 'tracked' || tab.key === this.#userKey) return []
    const siblings: number[] = []
    for (const [other, state] of states) {
      const entry = other === client ? null : readAwarenessEntry(state, parseMemberMeta)
      if (entry?.kind === 'tracked' && entry.key === tab.key) siblings.push(other)
    }
    return siblings
  }

  /** Held newer states of proven tabs that a peer forged, dropped (diagnostics). */
  get forgedStates(): number {
    return this.#forgedStates
  }

  /** Signed states from other peers dropped unchecked, past their link's budget of checks (diagnostics). */
  get checksRefused(): number {
    return this.#checksRefused
  }

  /** Shows this tab in the room as `user` (again, with a new name, if already shown). */
  async join(user: PresenceUser, now = Date.now()): Promise<void> {
    if (this.#user === null) this.#since = now
    this.#user = user
    this.#userKey = user.userId
    await this.#publish()
  }

  /**
   * The user id this tab joined as (the profile's), from join() on and still once it left; null
   * before it ever joined. Known while the tab's first state is still being signed, unlike its goodbye.
   */
  get userKey(): string | null {
    return this.#userKey
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

  /** The user sent (`send`) or left the composer (`blur`). */
  stopTyping(why: 'send' | 'blur'): void {
    this.#apply(why === 'send' ? typingOnSend(this.#typing) : typingOnBlur(this.#typing))
  }

  /**
   * A message by user `authorId`, claimed sent at `sentAt`, whose signature VERIFIED as theirs:
   * their tabs shown typing are shown as not typing from now, until their next state (at most
   * TYPING_ENDED_MAX_MS), so the receiver never shows "Alice is typing…" beside her message
   * while her own stopped-typing state is still on its way. Only for a verified message (a
   * forgery under her id, or one still being checked, must not touch her mark: a forged flood
   * would redraw the typing line per forgery), not for this tab's own user (its tab publishes
   * its own state) or history (typing-ended.ts). The caller checks the signature.
   */
  spoke(authorId: string, sentAt: number, now = Date.now()): void {
    if (this.#destroyed || authorId === this.#presence.key) return
    const raw = this.#presence.state.get(authorId)
    if (raw === undefined || !raw.metas.some((meta) => meta.typing)) return
    const ended = endTyping(this.#ended, this.#shown(), authorId, sentAt, now)
    if (ended === this.#ended) return
    this.#ended = ended
    this.#scheduleEndedExpiry()
    this.#emit()
  }

  /** Listens for presence changes; returns an unsubscribe function. */
  onChange(listener: PresenceListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Calls `listener` with each new goodbye (read `goodbye`), before the state it belongs to is
   * published: what the listener posts goes out ahead of that state, so a sibling that carries
   * the goodbye (room/sibling-goodbyes.ts) never holds one below the state peers heard from it.
   * Returns an unsubscribe function.
   */
  onGoodbye(listener: () => void): () => void {
    this.#goodbyeListeners.add(listener)
    return () => this.#goodbyeListeners.delete(listener)
  }

  /** Stops timers and listeners, and leaves. */
  destroy(): void {
    this.#destroyed = true
    this.#user = null
    if (this.#typingTimer !== null) clearTimeout(this.#typingTimer)
    if (this.#settleTimer !== null) clearTimeout(this.#settleTimer)
    if (this.#endedTimer !== null) clearTimeout(this.#endedTimer)
    this.#listeners.clear()
    this.#goodbyeListeners.clear()
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
    this.#counter += 2
    const goodbyeCounter = this.#counter
    const counter = goodbyeCounter - 1
    const fields = { name: user.name, typing: this.#typing.typing, since: this.#since }
    let meta: MemberMeta = fields
    let goodbye: MemberMeta | null = null
    const superseded = (): boolean => goodbyeCounter !== this.#counter || this.#user !== user || this.#destroyed
    if (user.signer !== null) {
      const { signer } = user
      const { publicKey } = signer
      const sends = this.#sendsInFlight()
      if (sends !== null) {
        await sends
        if (superseded()) return // a newer state is being signed: this one would not be published
        // Then an idle moment: the message's store write and the page's frame come first, and
        // peers end the sender's typing mark on its verified message meanwhile (spoke).
        await new Promise<void>((resolve) => whenIdle(() => resolve(), AFTER_SENDS_IDLE_MS))
        if (superseded()) return
      }
      const sign = (signed: SignedPresenceFields) =>
        signer.sign(presenceBytes(this.#topic, this.#presence.clientID, user.userId, publicKey, signed))
      if (this.#refutes?.signer !== signer || this.#refutes.userId !== user.userId) {
        // Without it the tab is only left to awareness's timeout where it crashed unlinked: no reason to hold its state up.
        const proof = signer.sign(refutesBytes(this.#topic, this.#presence.clientID, user.userId, publicKey)).catch(() => undefined)
        this.#refutes = { signer, userId: user.userId, proof }
      }
      const [signature, goodbyeSignature, refutes] = await Promise.all([
        sign({ ...fields, counter }),
        sign({ ...fields, counter: goodbyeCounter, left: true }),
        this.#refutes.proof,
      ])
      const state = { ...fields, publicKey, signature, counter }
      meta = refutes === undefined ? state : { ...state, refutes }
      const signedGoodbye = { ...fields, publicKey, signature: goodbyeSignature, counter: goodbyeCounter, left: true as const }
      goodbye = signedGoodbye
      if (superseded()) return
      // Signed here, so good: shown as verified at once, with no check of this tab's own signature
      // (a verify, then a second view and redraw of the members, right after a send's message left).
      vouchPresence(this.#verdicts, this.#topic, this.#presence.clientID, user.userId, state)
      vouchPresence(this.#verdicts, this.#topic, this.#presence.clientID, user.userId, signedGoodbye)
    }
    if (superseded()) return
    this.#goodbye = goodbye
    for (const listener of this.#goodbyeListeners) listener()
    this.#presence.track(user.userId, meta)
  }

  readonly #verdictOf: MetaVerdict = (key, meta) => presenceVerdict(this.#verdicts, this.#topic, key, meta)

  /** A verdict as far as known, starting no check: one not started yet reads as pending. */
  readonly #knownVerdictOf: MetaVerdict = (key, meta) => knownPresenceVerdict(this.#verdicts, this.#topic, key, meta) ?? 'pending'

  /** Redraws the view when the first ended mark expires (its state shows typing again). */
  #scheduleEndedExpiry(): void {
    if (this.#endedTimer !== null) clearTimeout(this.#endedTimer)
    this.#endedTimer = null
    const expiry = nextExpiry(this.#ended)
    if (expiry === undefined) return
    this.#endedTimer = setTimeout(
      () => {
        this.#endedTimer = null
        this.#emit()
        this.#scheduleEndedExpiry()
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
    if (own.kind === 'tracked' && own.meta.left === true) {
      this.#publish().catch((error: unknown) => {
        console.error('Parley: could not sign a presence change', error)
      })
    }
  }

  /**
   * Tells listeners the view after a change: a presence sync, a settled check, a proven tab
   * removed. Notices name only checked claims: a tab is announced once its claim settled.
   */
  #emit(): void {
    const shown = this.#shown()
    this.#ended = stillEnded(this.#ended, shown, Date.now())
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
    const view = this.view
    for (const listener of this.#listeners) listener(view, notices)
  }

  #apply(step: TypingStep): void {
    this.#typing = step.state
    if (step.changed && this.#user !== null) {
      this.#publish().catch((error: unknown) => {
        // The key could not sign: the previous state stays up. Worth seeing, as a bug.
        console.error('Parley: could not sign a presence change', error)
      })
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
