// The signed goodbyes that a profile's tabs in one room carry for each other, so that a tab
// known to peers only through a sibling's relay still leaves their lists when a window closes.
//
// A tab that some peers have no link to reaches them only through others: its siblings
// (y-webrtc's BroadcastChannel) and their links, or peers that relay it. Its goodbye
// (membership/proven-tabs.ts) goes out the same way; but closing a window unloads every tab at
// once, and the sibling may be gone before the goodbye reaches it. So such a tab hands its
// goodbye to its siblings in advance, and a sibling that leaves publishes it along with its own
// (the same signed state twice, where the tab's own copy arrives too: peers keep one). A goodbye
// is signed by the tab itself: carrying one changes nothing a peer could forge; and a tab still
// open that sees its goodbye published says a new state (room-presence.ts). Siblings share the
// profile's key; nothing leaves it.
//
// A tab that crashes says no goodbye, and BroadcastChannel does not tell its siblings it is
// gone. Web Locks do: each tab holds the lock `parley-tab/<topic>/<client>` while it lives, says
// so once it holds it, and waits for the lock of each sibling that said so; the browser grants a
// sibling's lock once that tab is gone, closed or crashed. A tab then publishes the goodbye it
// holds for that sibling, if the sibling's state is still up as it was (a tab that closed said
// its own goodbye and removed its state).
//
// Wire format, on BroadcastChannel `parley-goodbyes/<topic>` (this origin's tabs only):
//   {"client": number, "key": string | null, "meta": MemberMeta | null, "lock"?: true}
//   meta: the tab's goodbye while some tab in the room has no link to it, else null. A tab sends
//   its message again when it hears from a sibling it did not know, which may have opened after
//   it; a tab that is leaving sends nothing more, so what its siblings hold stays with them.
//   lock: present once the tab holds its lock (builds before it hold none, and are not waited for).
import { applyAwarenessUpdate, type Awareness } from 'y-protocols/awareness'
import { isPlainObject, isPresenceKey, readAwarenessEntry, PRESENCE_FIELD } from '../presence/index.js'
import { CARRIED_GOODBYE_FIELD, encodeAwarenessEntries, parseMemberMeta, type MemberMeta } from '../membership/index.js'

/** Origin of the awareness changes that publish a sibling's goodbye (broadcast like any other). */
export const SIBLING_GOODBYE_ORIGIN = 'parley-sibling-goodbye'

/** How often a tab tells its siblings again whether they must carry its goodbye (links and tabs change meanwhile), in ms. */
const SHARE_INTERVAL_MS = 1_000

/** A tab's goodbye as it hands it to its siblings. */
export interface HeldGoodbye {
  key: string
  meta: MemberMeta
}

/** The held goodbye in a message from a sibling, null for a withdrawal, undefined when malformed. */
function parseShared(data: unknown): { client: number; goodbye: HeldGoodbye | null; lock: boolean } | undefined {
  if (!isPlainObject(data)) return undefined
  const { client, key, meta } = data
  const lock = data.lock === true
  if (typeof client !== 'number' || !Number.isSafeInteger(client) || client < 0) return undefined
  if (meta === null) return { client, goodbye: null, lock }
  if (!isPresenceKey(key)) return undefined
  const parsed = parseMemberMeta(meta)
  if (parsed?.left !== true) return undefined
  return { client, goodbye: { key, meta: parsed }, lock }
}

/**
 * Whether some tab in the room (awareness `states`) might not hear tab `self` of user `key`
 * directly, so that its siblings must carry its goodbye: one that is neither `self`, nor `linked`
 * to it, nor a tab of the same user (a sibling: only this profile holds the key, and its tabs
 * hear each other over the BroadcastChannel), nor gone (its own goodbye is its state).
 */
export function someTabUnlinked(states: ReadonlyMap<number, unknown>, self: number, key: string, linked: ReadonlySet<number>): boolean {
  for (const [client, state] of states) {
    if (client === self || linked.has(client)) continue
    const entry = readAwarenessEntry(state, parseMemberMeta)
    if (entry.kind === 'tracked' && (entry.key === key || entry.meta.left === true)) continue
    return true
  }
  return false
}

/** This origin's Web Locks; undefined where there are none (Node, older browsers). */
function lockManager(): LockManager | undefined {
  return (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
}

/** The lock a tab (awareness client `client`) holds while it lives in room `topic`. */
function tabLock(topic: string, client: number): string {
  return `parley-tab/${topic}/${client}`
}

/** Lets a Node timer or channel not hold the process open (browsers have no such method). */
function unref(handle: unknown): void {
  ;(handle as { unref?: () => void }).unref?.()
}

/** One tab's side of the goodbyes its siblings in one room carry for each other. */
export class SiblingGoodbyes {
  readonly #awareness: Awareness
  readonly #channel: BroadcastChannel | null
  readonly #goodbye: () => HeldGoodbye | null
  readonly #linkedClients: () => readonly number[]
  readonly #timer: ReturnType<typeof setInterval>
  /** Goodbyes siblings handed over, by their awareness client. */
  readonly #held = new Map<number, HeldGoodbye>()
  /** Siblings this tab has heard from, by their awareness client. */
  readonly #siblings = new Set<number>()
  /** What this tab last handed over, as sent (to say nothing twice); null before anything. */
  #shared: string | null = null
  /** Set once this tab is leaving: what its siblings hold for it stays with them. */
  #kept = false
  readonly #topic: string
  readonly #locks = lockManager()
  /** Cancels the waits for siblings' locks when the room closes. */
  readonly #stopWatching = new AbortController()
  /** Releases this tab's own lock; set once it is held. */
  #releaseLock = (): void => {}
  /** Whether this tab holds its lock (and says so). */
  #locked = false
  /** Siblings whose lock this tab waits for. */
  readonly #watched = new Set<number>()

  /**
   * `goodbye` is this tab's signed goodbye as it is now (null when it has none), and
   * `linkedClients` the awareness clients with a live link to it; siblings carry the goodbye
   * while some tab in the room has no link to this one (someTabUnlinked). Both are asked on
   * `refresh()` and every SHARE_INTERVAL_MS.
   */
  constructor(topic: string, awareness: Awareness, goodbye: () => HeldGoodbye | null, linkedClients: () => readonly number[]) {
    this.#awareness = awareness
    this.#goodbye = goodbye
    this.#linkedClients = linkedClients
    this.#topic = topic
    // Held while this tab lives: siblings waiting for it are granted it once the tab is gone.
    this.#locks
      ?.request(tabLock(topic, awareness.clientID), { signal: this.#stopWatching.signal }, async () => {
        await new Promise<void>((resolve) => {
          this.#releaseLock = resolve
          this.#locked = true
          this.#resend()
        })
      })
      .catch(() => undefined) // aborted: the room closed before the lock was granted
    this.#channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`parley-goodbyes/${topic}`)
    if (this.#channel !== null) {
      this.#channel.onmessage = (event: MessageEvent<unknown>) => this.#receive(event.data)
      unref(this.#channel)
    }
    this.#timer = setInterval(() => this.refresh(), SHARE_INTERVAL_MS)
    unref(this.#timer)
  }

  /** Tells siblings what to carry for this tab now (after a new goodbye, or a change of links). */
  refresh(): void {
    if (!this.#kept) this.#share(this.#toCarry())
  }

  /**
   * Leaves the goodbye siblings hold for this tab with them from now on, and tells them nothing
   * more: the tab is leaving, and its own goodbye may not reach every peer before it is gone
   * (closing a window unloads its tabs in any order). Call before the tab says its goodbye,
   * whose change would otherwise withdraw their copy.
   */
  keep(): void {
    this.#kept = true
  }

  /** What siblings must carry for this tab now: its goodbye while some tab may not hear it directly. */
  #toCarry(): HeldGoodbye | null {
    const goodbye = this.#goodbye()
    if (goodbye === null) return null
    const { clientID } = this.#awareness
    const linked = new Set(this.#linkedClients())
    return someTabUnlinked(this.#awareness.getStates(), clientID, goodbye.key, linked) ? goodbye : null
  }

  /** Sends what this tab hands over now, even if it said so before. */
  #resend(): void {
    this.#shared = null
    this.refresh()
  }

  #share(goodbye: HeldGoodbye | null): void {
    const message = {
      client: this.#awareness.clientID,
      key: goodbye?.key ?? null,
      meta: goodbye?.meta ?? null,
      ...(this.#locked ? { lock: true } : {}),
    }
    const text = JSON.stringify(message)
    if (text === this.#shared || this.#channel === null) return
    this.#shared = text
    this.#channel.postMessage(message)
  }

  /**
   * Publishes, as their awareness states, the goodbyes held for siblings of user `key` that are
   * still in the room: this tab is leaving, and they may be known to peers only through it.
   */
  publish(key: string): void {
    // Marked as carried: the tab may still be open (see membership/held-states.ts).
    for (const client of this.#held.keys()) this.#publishFor(client, true, (goodbyeKey) => goodbyeKey === key)
  }

  /**
   * Publishes the goodbye held for sibling `client` as its awareness state, marked as `carried`
   * or not, if awareness still has a state of it and `admits` the goodbye's key (given the
   * state's own key, if tracked, and whether that state is a goodbye).
   */
  #publishFor(
    client: number,
    carried: boolean,
    admits: (goodbyeKey: string, stateKey: string | undefined, left: boolean) => boolean,
  ): void {
    const goodbye = this.#held.get(client)
    const state = this.#awareness.getStates().get(client)
    const clock = this.#awareness.meta.get(client)?.clock
    if (goodbye === undefined || state === undefined || clock === undefined) return
    const entry = readAwarenessEntry(state, parseMemberMeta)
    const tracked = entry.kind === 'tracked'
    if (!admits(goodbye.key, tracked ? entry.key : undefined, tracked && entry.meta.left === true)) return
    const version = tracked ? entry.version + 1 : 0
    const field = { key: goodbye.key, meta: goodbye.meta, version, ...(carried ? { [CARRIED_GOODBYE_FIELD]: true } : {}) }
    const update = encodeAwarenessEntries([{ client, clock: clock + 1, state: { ...state, [PRESENCE_FIELD]: field } }])
    applyAwarenessUpdate(this.#awareness, update, SIBLING_GOODBYE_ORIGIN)
  }

  /**
   * Waits for sibling `client` to be gone (its lock granted here), then publishes the goodbye held
   * for it if its state is still up as it was (it crashed: a tab that closes says its own).
   */
  #watch(client: number): void {
    const locks = this.#locks
    if (locks === undefined) return
    locks
      .request(tabLock(this.#topic, client), { signal: this.#stopWatching.signal }, () => {
        if (this.#kept) return
        // Not marked as carried: the tab is gone for sure, so peers need not wait for a newer state.
        this.#publishFor(client, false, (goodbyeKey, stateKey, left) => goodbyeKey === stateKey && !left)
        this.#held.delete(client)
      })
      .catch(() => undefined) // aborted: this room closed first
  }

  /** Stops listening. What siblings hold for this tab stays with them (see keep). */
  close(): void {
    this.#kept = true
    this.#stopWatching.abort()
    this.#releaseLock()
    clearInterval(this.#timer)
    this.#channel?.close()
    this.#held.clear()
  }

  #receive(data: unknown): void {
    const shared = parseShared(data)
    if (shared === undefined || shared.client === this.#awareness.clientID) return
    if (!this.#siblings.has(shared.client)) {
      // A sibling new to this tab may have opened after this tab last spoke: tell it again.
      this.#siblings.add(shared.client)
      this.#resend()
    }
    if (shared.lock && !this.#watched.has(shared.client)) {
      this.#watched.add(shared.client)
      this.#watch(shared.client)
    }
    if (shared.goodbye === null) this.#held.delete(shared.client)
    else this.#held.set(shared.client, shared.goodbye)
  }
}
