// Tabs of one browser sync over BroadcastChannel too (y-webrtc's `bc`), and a page whose room
// connects while its stored history loads a part a task (history/persistence.ts) asks its sibling
// tabs with the state vector it has then: a fraction of the history, or none before the first
// part. A sibling answers with the rest, nearly the whole document, and y-webrtc applied that in
// one task (1.2 s in a profile of a 100,000-message room: BENCHMARKS.md, "Sixteenth session").
// y-webrtc posts that request through lib0's channel, out of Parley's reach, so this side sets the
// siblings' answers aside instead: while the history loads, every sync step 2 arriving over
// BroadcastChannel is dropped unapplied, and once loaded one request naming the whole document
// goes to the siblings, which answer with what the page lacks. Their changes (sync updates) that
// come meanwhile wait for the load too: one naming a record not loaded yet would wait in Yjs's
// pending structs, tried again with every part the load applies (one bench reload that passed them
// on received 21 MB besides the answer and had not loaded after 4 minutes; not traced); once
// loaded they go to y-webrtc, before anything that came later. A sibling busy encoding its answer
// may post it after the load: from then on, a step 2 whose first writer's records start below what
// the document holds of that writer repeats what the page has (an answer to the mid-load request,
// or a new tab's whole state as it connects), and is dropped too, and the siblings asked again, so
// that a wrong guess costs a round trip, not records; at most MAX_ASKS requests in all, and for
// WATCH_AFTER_ASK_MS after the last, then everything goes to y-webrtc as before (unwatched, a
// sibling message is not read twice, nor decrypted twice in a private room). Everything else (awareness, a sibling's own request)
// reaches y-webrtc as before, in the order it came.
import * as bc from 'lib0/broadcastchannel'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { messageYjsSyncStep2, messageYjsUpdate } from 'y-protocols/sync'
import * as Y from 'yjs'
import { readSyncPayload, syncKind, syncRequestOf } from './y-webrtc-messages.js'

/** Requests this side posts to the siblings: the one once loaded, and those after answers it dropped later. */
export const MAX_ASKS = 4
/**
 * How long after a request a late answer to an earlier one is still looked for, in ms: a sibling
 * encodes a 100,000-message answer in a few seconds (BENCHMARKS.md, "Sixteenth session"), more on a
 * busy machine.
 */
export const WATCH_AFTER_ASK_MS = 30_000

/** The members of y-webrtc's Room this relies on (y-webrtc-internals.ts lists them). */
export interface SiblingRoom {
  readonly name: string
  /** A private room's key; y-webrtc encrypts what it posts to siblings with it. */
  readonly key: CryptoKey | null
  readonly doc: Y.Doc
  readonly bcconnected: boolean
  /** What y-webrtc subscribes to lib0's channel as the room connects, and unsubscribes as it disconnects. */
  _bcSubscriber: (data: ArrayBuffer | Uint8Array, origin?: unknown) => unknown
}

/** What was set aside and asked for. */
export interface SiblingSyncStats {
  /** Siblings' sync answers (steps 2) dropped unapplied: all that came while the stored history loaded, and repeats of it later. */
  answersSetAside: number
  /** Their bytes, as they arrived (encrypted in a private room). */
  bytesSetAside: number
  /** Requests posted to the siblings from the load's end on. */
  requestsAfterLoad: number
}

/** Sets aside the sibling tabs' sync answers while the stored history loads, and asks the siblings once it is loaded. */
export class SiblingSyncAfterLoad {
  readonly stats: SiblingSyncStats = { answersSetAside: 0, bytesSetAside: 0, requestsAfterLoad: 0 }
  #loading: boolean
  #room: SiblingRoom | null = null
  /** Siblings' changes that came while loading, for y-webrtc once loaded, in order. */
  #held: Array<() => void> = []
  #flushLater = (): void => {}
  #destroyed = false
  readonly #watchMs: number
  /** When the last request after the load was posted (Date.now()). */
  #askedAt = Number.NEGATIVE_INFINITY

  /**
   * `loaded`: settles once the document holds the stored history (undefined: nothing to wait for).
   * `watchMs`: how long after a request late answers are looked for (WATCH_AFTER_ASK_MS).
   */
  constructor(loaded: Promise<unknown> | undefined, { watchMs = WATCH_AFTER_ASK_MS }: { watchMs?: number } = {}) {
    this.#watchMs = watchMs
    this.#loading = loaded !== undefined
    if (loaded !== undefined) void loaded.then(this.#release, this.#release)
  }

  /**
   * Puts itself between lib0's channel and y-webrtc's subscriber of `room`, which y-webrtc has just
   * connected; nothing happens if the history was loaded already (the room's request named all of it).
   */
  attach(room: SiblingRoom): void {
    if (!this.#loading || this.#destroyed) return
    this.#room = room
    const deliver = room._bcSubscriber
    /** Messages as they came: each is read (decrypted in a private room) to see what it is before y-webrtc gets it. */
    let queue: Promise<void> = Promise.resolve()
    let queued = 0
    const subscriber = (data: ArrayBuffer | Uint8Array, origin?: unknown): void => {
      if (queued === 0 && !this.#watching()) {
        this.#flush()
        deliver(data, origin)
        return
      }
      queued++
      queue = queue
        .then(async () => {
          // Undecryptable: y-webrtc's own decryption fails on it, as before.
          const plain = this.#watching() ? await readAsYWebrtc(data, room.key).catch(() => null) : null
          const kind = plain === null ? null : syncKind(plain)
          if (this.#loading && kind === messageYjsUpdate) {
            this.#held.push(() => deliver(data, origin))
            return
          }
          const repeat = kind === messageYjsSyncStep2 && (this.#loading || repeatsHeld(readSyncPayload(plain as Uint8Array), room.doc))
          this.#flush()
          if (!repeat) {
            deliver(data, origin)
            return
          }
          this.stats.answersSetAside++
          this.stats.bytesSetAside += data.byteLength
          if (!this.#loading) this.#ask()
        })
        .catch(() => {
          // y-webrtc's subscriber threw, as it would have without this
        })
        .finally(() => {
          queued--
        })
    }
    this.#flushLater = () => {
      queue = queue.then(() => this.#flush())
    }
    // y-webrtc subscribes and unsubscribes `_bcSubscriber` as the room connects and disconnects.
    room._bcSubscriber = subscriber
    if (room.bcconnected) {
      // Subscribed first: lib0 closes a channel that has no subscriber left, and what is on its way is lost.
      bc.subscribe(room.name, subscriber)
      bc.unsubscribe(room.name, deliver)
    }
  }

  /** Stops setting answers aside and asks nothing more. */
  destroy(): void {
    this.#destroyed = true
    this.#loading = false
    this.#held = []
  }

  /** Whether sibling messages are looked at: while loading, and after it while requests are left and the last is recent. */
  #watching(): boolean {
    if (this.#destroyed) return false
    return this.#loading || (this.stats.requestsAfterLoad < MAX_ASKS && Date.now() - this.#askedAt < this.#watchMs)
  }

  #release = (): void => {
    if (!this.#loading) return
    this.#loading = false
    this.#flushLater()
    this.#ask()
  }

  /** Hands y-webrtc the siblings' changes held while loading, once loaded. */
  #flush(): void {
    if (this.#loading) return
    for (const deliver of this.#held.splice(0)) {
      try {
        deliver()
      } catch {
        // y-webrtc's subscriber threw, as it would have without this
      }
    }
  }

  /** Posts the siblings a request naming the whole document, as y-webrtc posts (encrypted in a private room). */
  #ask(): void {
    const room = this.#room
    if (room === null || this.#destroyed || !room.bcconnected || room.doc.isDestroyed) return
    if (this.stats.requestsAfterLoad >= MAX_ASKS) return
    this.stats.requestsAfterLoad++
    this.#askedAt = Date.now()
    void encryptAsYWebrtc(syncRequestOf(room.doc), room.key).then((data) => {
      // lib0 hands it to this tab's own subscriber too, which answers it (with nothing), as it does y-webrtc's.
      if (!this.#destroyed && room.bcconnected) bc.publish(room.name, data)
    })
  }
}

/** `data` as y-webrtc posts it to siblings, decrypted with `key` in a private room. */
async function readAsYWebrtc(data: ArrayBuffer | Uint8Array, key: CryptoKey | null): Promise<Uint8Array> {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
  return key === null ? bytes : await decryptAsYWebrtc(bytes, key)
}

/**
 * Whether `update` (format v1) starts with records `doc` holds: its first writer's run begins below
 * that writer's clock in `doc`. An answer starts each writer where the request's state vector
 * ended, so one to an older request starts below; read from the header, not the records.
 */
function repeatsHeld(update: Uint8Array, doc: Y.Doc): boolean {
  const decoder = decoding.createDecoder(update)
  if (decoding.readVarUint(decoder) === 0) return false // deletions only
  decoding.readVarUint(decoder) // the writer's structs
  const client = decoding.readVarUint(decoder)
  const clock = decoding.readVarUint(decoder)
  return clock < Y.getState(doc.store, client)
}

// y-webrtc's crypto.js format (AES-GCM: the algorithm's name, the 12-byte iv, the cipher text),
// which y-webrtc does not export; signal-screen.ts reads the signaling payloads' the same way.
async function decryptAsYWebrtc(data: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const decoder = decoding.createDecoder(data)
  if (decoding.readVarString(decoder) !== 'AES-GCM') throw new Error('unknown encryption')
  const iv = decoding.readVarUint8Array(decoder) as Uint8Array<ArrayBuffer>
  const cipher = decoding.readVarUint8Array(decoder) as Uint8Array<ArrayBuffer>
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher))
}

/** `data` as y-webrtc posts it to siblings: encrypted with `key` in a private room. */
export async function encryptAsYWebrtc(data: Uint8Array<ArrayBuffer>, key: CryptoKey | null): Promise<Uint8Array> {
  if (key === null) return data
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, data)
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, 'AES-GCM')
  encoding.writeVarUint8Array(encoder, iv)
  encoding.writeVarUint8Array(encoder, new Uint8Array(cipher))
  return encoding.toUint8Array(encoder)
}
