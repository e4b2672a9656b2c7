// The signed goodbyes that a profile's tabs in one room carry for each other, so that a tab
// known to peers only through a sibling's relay still leaves their lists when a window closes.
//
// A tab with no link of its own reaches the room only through its siblings (y-webrtc's
// BroadcastChannel). Its goodbye (membership/proven-tabs.ts) goes out through them too; but
// closing a window unloads every tab at once, and the sibling may be gone before the goodbye
// reaches it. So such a tab hands its goodbye to its siblings in advance, and a sibling that
// leaves publishes it along with its own. A goodbye is signed by the tab itself: carrying one
// changes nothing a peer could forge; and a tab still open that sees its goodbye published
// says a new state (room-presence.ts). Siblings share the profile's key; nothing leaves it.
//
// Wire format, on BroadcastChannel `parley-goodbyes/<topic>` (this origin's tabs only):
//   {"client": number, "key": string | null, "meta": MemberMeta | null}
//   meta: the tab's goodbye while it has no link of its own, null once it has (or has left).
import { applyAwarenessUpdate, type Awareness } from 'y-protocols/awareness'
import { isPlainObject, isPresenceKey, readAwarenessEntry, PRESENCE_FIELD } from '../presence/index.js'
import { encodeAwarenessEntries, parseMemberMeta, type MemberMeta } from '../membership/index.js'

/** Origin of the awareness changes that publish a sibling's goodbye (broadcast like any other). */
export const SIBLING_GOODBYE_ORIGIN = 'parley-sibling-goodbye'

/** How often a tab tells its siblings again whether they must carry its goodbye (its links change meanwhile), in ms. */
const SHARE_INTERVAL_MS = 1_000

/** A tab's goodbye as it hands it to its siblings. */
export interface HeldGoodbye {
  key: string
  meta: MemberMeta
}

/** The held goodbye in a message from a sibling, null for a withdrawal, undefined when malformed. */
function parseShared(data: unknown): { client: number; goodbye: HeldGoodbye | null } | undefined {
  if (!isPlainObject(data)) return undefined
  const { client, key, meta } = data
  if (typeof client !== 'number' || !Number.isSafeInteger(client) || client < 0) return undefined
  if (meta === null) return { client, goodbye: null }
  if (!isPresenceKey(key)) return undefined
  const parsed = parseMemberMeta(meta)
  if (parsed?.left !== true) return undefined
  return { client, goodbye: { key, meta: parsed } }
}

/** Lets a Node timer or channel not hold the process open (browsers have no such method). */
function unref(handle: unknown): void {
  ;(handle as { unref?: () => void }).unref?.()
}

/** One tab's side of the goodbyes its siblings in one room carry for each other. */
export class SiblingGoodbyes {
  readonly #awareness: Awareness
  readonly #channel: BroadcastChannel | null
  readonly #toCarry: () => HeldGoodbye | null
  readonly #timer: ReturnType<typeof setInterval>
  /** Goodbyes siblings handed over, by their awareness client. */
  readonly #held = new Map<number, HeldGoodbye>()
  /** What this tab last handed over, as sent (to say nothing twice); null before anything. */
  #shared: string | null = null

  /**
   * `toCarry` says what siblings must carry for this tab now: its goodbye while it has no link
   * of its own, else null. It is asked on `refresh()` and every SHARE_INTERVAL_MS.
   */
  constructor(topic: string, awareness: Awareness, toCarry: () => HeldGoodbye | null) {
    this.#awareness = awareness
    this.#toCarry = toCarry
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
    this.#share(this.#toCarry())
  }

  #share(goodbye: HeldGoodbye | null): void {
    const message = { client: this.#awareness.clientID, key: goodbye?.key ?? null, meta: goodbye?.meta ?? null }
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
    const states = this.#awareness.getStates()
    for (const [client, goodbye] of this.#held) {
      const state = states.get(client)
      const clock = this.#awareness.meta.get(client)?.clock
      if (goodbye.key !== key || state === undefined || clock === undefined) continue
      const entry = readAwarenessEntry(state, parseMemberMeta)
      const version = entry.kind === 'tracked' ? entry.version + 1 : 0
      const field = { key, meta: goodbye.meta, version }
      const update = encodeAwarenessEntries([{ client, clock: clock + 1, state: { ...state, [PRESENCE_FIELD]: field } }])
      applyAwarenessUpdate(this.#awareness, update, SIBLING_GOODBYE_ORIGIN)
    }
  }

  /** Withdraws this tab's goodbye and stops listening. */
  close(): void {
    clearInterval(this.#timer)
    this.#share(null)
    this.#channel?.close()
    this.#held.clear()
  }

  #receive(data: unknown): void {
    const shared = parseShared(data)
    if (shared === undefined || shared.client === this.#awareness.clientID) return
    if (shared.goodbye === null) this.#held.delete(shared.client)
    else this.#held.set(shared.client, shared.goodbye)
  }
}
