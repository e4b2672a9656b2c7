// A chat room: one Yjs document shared with the room's peers, with the messages kept as a parsed
// list. The composition root of the layers below; the UI reaches it only through a controller.
import * as Y from 'yjs'
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import type { FetchOptions, RtcImplementation, SignalingState, TransportStats } from '../transport/index.js'
import {
  AUTHOR_BUDGET,
  AuthorBudgets,
  DeferredUpdates,
  MAX_FILE_BYTES,
  cleanFileName,
  cleanFileType,
  encodeFileMeta,
  appendAnnotation,
  appendMessage,
  isReactionEmoji,
  draftProblem,
  lostRecords,
  messagesOf,
  newMessages,
  observeMessages,
  persistRoom,
  readMessages,
  restoreRecords,
  withoutCopies,
  type AnnotationKind,
  type AnnotationRecord,
  type FileMeta,
  type HiddenCounts,
  type MessageRecord,
  type MessagesChange,
  type RoomStore,
} from '../history/index.js'
import { RoomPresence, messageVerdictKey } from '../membership/index.js'
import { base64url, topicFor } from '../address/index.js'
import { annotationBytes, messageBytes, type Signer } from '../identity/index.js'
import { RoomAnnotations } from './room-annotations.js'
import { BudgetSignatures, MESSAGE_SIGNING } from './budget-signatures.js'
import { openTransportLazily, type LazyTransport } from './lazy-transport.js'
import { RefusedLanes, namesRefusedWriter, withRefused } from './refused-lanes.js'
import { SiblingGoodbyes } from './sibling-goodbyes.js'
import { AfterHistory } from './after-history.js'
import { AppendOnlyView, type ReadonlyList } from './append-only-view.js'

/** Who is writing in this room: a signer where the page can sign, else a bare user id. */
export interface Author {
  name: string
  userId: string
  signer: Signer | null
}

/** Origin of the transactions that put deleted messages back. */
const RESTORE_ORIGIN = 'parley-restore'

/** Bytes of randomness in a message id. */
const MESSAGE_ID_BYTES = 16
/** Messages this tab signed that it remembers as such until asked (signedHere); older ones are checked like anyone's. */
const SIGNED_HERE_KEPT = 256

/** How to open a room. */
export interface RoomOptions {
  /** The room's name as users see it (the URL fragment). */
  name: string
  /** A private room's secret (it encrypts signaling); null or absent for a public room. */
  secret?: string | null
  /** Signaling servers speaking the y-webrtc protocol. */
  signalingUrls: string[]
  /** STUN/TURN servers; undefined keeps the WebRTC library's defaults, [] means host candidates only. */
  iceServers?: RTCIceServer[]
  /**
   * Most links this tab offers (y-webrtc's `maxConns`; it still answers offers past it); undefined
   * keeps y-webrtc's default (20 to 34). Below the room's size the mesh is partial, and the relay
   * carries what a missing link would have (ARCHITECTURE.md, "Relaying without echoes").
   */
  maxConns?: number
  /** Extra simple-peer options. */
  peerOptions?: Record<string, unknown>
  /** WebRTC classes to use instead of the browser's (in Node: `@roamhq/wrtc`). */
  wrtc?: RtcImplementation
  /** Keep the room in this browser's IndexedDB (default true; ignored where there is none). */
  persist?: boolean
  /**
   * The document to open the room over, for tests and tools that write records the way another
   * peer would (a seeded history, malformed records); the room owns it from then on and
   * `close()` destroys it. Default: a new, empty document.
   */
  doc?: Y.Doc
}

/** What a room reaches now (Room.connection). */
export interface RoomConnection {
  signaling: SignalingState
  /** WebRTC links open now, to other browsers or other tabs. */
  links: number
  /** This browser's other tabs in the room, reached over BroadcastChannel (no network needed). */
  siblingTabs: number
}

/** What a room counted since it opened: its history, and its transport's counters. */
export interface RoomStats extends TransportStats {
  /** Records other peers wrote that failed validation, so were not shown. */
  skippedRecords: number
  /** Messages some peer deleted that this one put back (Parley never deletes messages). */
  restoredRecords: number
  /** Valid messages not shown because their author wrote faster than AUTHOR_BUDGET allows. */
  hiddenRecords: number
  /** Records (messages, annotations, keys) that updates refused by the peer guards brought and the document still lacks. */
  refusedRecords: number
  /** Of those, the messages (what the log's "hidden" lines count of them). */
  refusedMessages: number
  /**
   * Message signatures the room checked for its budgets (history/author-budget.ts): those of lanes
   * that hid a record, of suspect ids, and the newest shown; not the ones the log checks to draw.
   */
  budgetChecks: number
  /** Annotations (edits, deletions, reactions, reply links) that failed validation. */
  skippedAnnotations: number
  /** Annotations not applied because their author wrote faster than AUTHOR_BUDGET allows. */
  hiddenAnnotations: number
  /** Annotations some peer deleted that this one put back. */
  restoredAnnotations: number
  /** Newer presence states of verified tabs that failed their check: some peer forged them. */
  forgedPresence: number
  /** Signed presence states dropped unchecked: the link they came over had spent its budget of checks. */
  presenceChecksRefused: number
  /**
   * Batches of changes encoded for the peers and the store, and parts of other peers' changes no
   * one wanted (a joiner's history, stored as received, that no link lacks: history/deferred-updates.ts).
   */
  changeBatches: { encoded: number; partsSkipped: number }
}

/**
 * Listener for message changes; `messages` is the full current list, the same view that
 * `Room.messages` returns until the next change.
 */
export type MessagesListener = (change: MessagesChange, messages: ReadonlyList<MessageRecord>) => void
/** Listener for each message new to this peer: sent here, received, or loaded from storage. */
export type MessageListener = (message: MessageRecord) => void

/** An open room. Call `close()` to leave it; it cannot be reopened. */
export class Room {
  readonly name: string
  /** The hashed topic: what the signaling server sees, and what signatures are bound to. */
  readonly topic: string
  /** Who is here, on how many tabs, and who is typing. */
  readonly presence: RoomPresence
  readonly #doc: Y.Doc
  /** Who is here: the awareness states presence is built on. */
  readonly #awareness: Awareness
  /** The room's copy in IndexedDB; null where there is none (Node) or `persist` is false. */
  readonly #store: RoomStore | null
  /** Records other peers wrote that failed validation, so were not shown. */
  #skippedRecords = 0
  /** Messages some peer deleted that this one put back. */
  #restoredRecords = 0
  /**
   * The shown messages; appends grow it in place, anything else replaces it (so a view of it,
   * handed out as `messages`, stays as it was made).
   */
  #messages: MessageRecord[] = []
  /** A view of `#messages` handed out until the next change; null once a change made it stale. */
  #view: AppendOnlyView<MessageRecord> | null = null
  /** The valid records by id, to drop identical copies. */
  #kept = new Map<string, MessageRecord[]>()
  /** What each author may still show; records past it are counted, not shown. */
  #budgets = new AuthorBudgets()
  /** Every valid record without copies, in document order: what the budgets admit from. */
  #valid: MessageRecord[] = []
  /** What the budgets know of signatures, and the checks of the records they doubt. */
  readonly #signatures: BudgetSignatures<MessageRecord>
  #listeners = new Set<MessagesListener>()
  /** Told when what the peer guards refused changed (`hidden`). */
  #refusedListeners = new Set<() => void>()
  /** The authors refused records claim, for their lines in `hidden`. */
  readonly #refusedLanes = new RefusedLanes()
  #messageListeners = new Set<MessageListener>()
  #stopObserving: () => void
  /** Edits, deletions, reactions and reply links, by the message they target. */
  readonly #annotations: RoomAnnotations
  /** Raised on every change of the annotations. */
  #annotationsVersion = 0
  #annotationListeners = new Set<() => void>()
  /** Index of each shown message by id (the first, if a forgery reused an id); rebuilt after a reset. */
  #indexById = new Map<string, number>()
  /** The y-webrtc connection to the room's peers; its code loads after the room opens (lazy-transport.ts). */
  #transport: LazyTransport
  /** The document's changes, relayed and stored after the page draws them. */
  #changes: DeferredUpdates
  #closed = false
  /**
   * Whether the stored history is loaded (or there is none): it is applied a step a task
   * (history/persistence.ts), and a record appended before its end would land within it.
   */
  #loaded = false
  /** Whether a change of the list was not told while the stored history loaded (see #emit). */
  #heldBack = false
  /** Messages being signed; each settles once its message has left (or failed to). */
  #signing = new Set<Promise<void>>()
  /** Messages this tab signed, not in #signedHereKeys yet: their keys are made when asked (see signedHere). */
  #signedHere: MessageRecord[] = []
  /** The verdict keys of the messages this tab signed and nobody asked about yet (membership's messageVerdictKey). */
  readonly #signedHereKeys = new Set<string>()
  /** The goodbyes this tab and its siblings (the profile's other tabs here) carry for each other. */
  readonly #siblings: SiblingGoodbyes
  /**
   * The next message's id, made before the user sends it (at the room's start, then once each
   * send has left): its random bytes and their encoding came before the signature, on the
   * message's way out (BENCHMARKS.md, "Send", "Fifteenth session"). Null once taken.
   */
  #nextId: string | null = newMessageId()

  constructor(options: RoomOptions) {
    this.name = options.name
    this.#doc = options.doc ?? new Y.Doc()
    this.#awareness = new Awareness(this.#doc)
    const secret = options.secret ?? null
    this.topic = topicFor({ name: options.name, secret })
    // A presence change signed while a message is (the typing state a send ends) goes out after it.
    this.presence = new RoomPresence(this.#awareness, this.topic, () => (this.#signing.size === 0 ? null : Promise.all(this.#signing)))
    this.#signatures = new BudgetSignatures(this.topic, MESSAGE_SIGNING, this.#afterSlices)
    // Stored under the hashed topic: a private room's database name gives nothing away.
    this.#changes = new DeferredUpdates(this.#doc)
    this.#store = options.persist === false ? null : persistRoom(this.topic, this.#doc, this.#changes)
    if (this.#store === null) this.#loaded = true
    else
      void this.#store.whenLoaded.then(() => {
        this.#loaded = true
        // What the load's steps changed, told once: the log draws the newest of the whole history.
        if (!this.#closed && this.#heldBack)
          this.#emit({ kind: 'reset', batch: { messages: this.#valid, skipped: this.#skippedRecords } }, [])
      })
    this.#transport = openTransportLazily({
      topic: this.topic,
      secret,
      doc: this.#doc,
      awareness: this.#awareness,
      changes: this.#changes,
      signalingUrls: options.signalingUrls,
      iceServers: options.iceServers,
      maxConns: options.maxConns,
      historyOrder: messagesOf(this.#doc),
      peerOptions: options.peerOptions,
      wrtc: options.wrtc,
      // Presence's word on awareness from peers: nobody replaces or removes a proven tab.
      screenAwareness: this.presence.screenAwareness,
      refutesRumors: this.presence.refutesRumors,
      // A link that died silent may have carried its user's other tabs: liveness rumors them lost.
      siblingsOf: this.presence.siblingsOf,
      onRefusedWriting: () => {
        for (const listener of this.#refusedListeners) listener()
      },
      // A refused writer is named by a message it wrote: its first refused values may be a key or reactions.
      namesRefusedWriter,
      // A history is stored whole as it arrives, not in the parts that relay it (persistence.ts).
      onHistory: (update, added) => this.#store?.keepHistory(update, added),
      // Links ask peers for what the document lacks once it holds what is stored, not mid-load.
      storedHistoryLoaded: this.#store?.whenLoaded,
    })
    // Peers with no link to this tab know it only through others: its siblings carry its goodbye.
    this.#siblings = new SiblingGoodbyes(
      this.topic,
      this.#awareness,
      () => this.presence.goodbye,
      () => this.#transport.linkedClients(),
    )
    // A new goodbye goes to the siblings before its state: both leave on BroadcastChannels, which
    // deliver in the order posted, so no sibling hears the state first.
    this.presence.onGoodbye(() => this.#siblings.refresh())
    this.presence.onChange(() => this.#siblings.refresh())
    globalThis.addEventListener?.('pagehide', this.#onPageHide)
    this.#reset()
    this.#stopObserving = observeMessages(this.#doc, (change) => this.#onChange(change))
    // After every observer of a transaction: the last part of a history releases the checks.
    this.#doc.on('afterAllTransactions', this.#releaseAfterHistory)
    this.#annotations = new RoomAnnotations(
      this.#doc,
      this.topic,
      () => {
        this.#annotationsVersion++
        for (const listener of this.#annotationListeners) listener()
      },
      this.#afterSlices,
    )
  }

  /**
   * Runs `callback` once the stored history is loaded, no large update is being applied in
   * slices (transport/update-slices.ts), and no late joiner's history is still coming in parts
   * (after-history.ts): each step's, slice's or part's records would be the newest for a moment,
   * and all of a history checked.
   */
  #afterSlices = (callback: () => void): void => {
    this.#afterHistory.run(() => {
      if (this.#loaded || this.#store === null) this.#transport.afterSlices(callback)
      else void this.#store.whenLoaded.then(() => this.#transport.afterSlices(callback))
    })
  }

  /** What waits for a late joiner's history to be all here (after-history.ts); released after each transaction. */
  readonly #afterHistory = new AfterHistory(() => this.#transport.historyArriving())
  #releaseAfterHistory = (): void => this.#afterHistory.release()

  /** A number raised whenever the annotations change: a new value means redraw. */
  get annotationsVersion(): number {
    return this.#annotationsVersion
  }

  /** The admitted annotations targeting message `id`, in document order (unverified: see membership's annotationVerdict). */
  annotationsOf(id: string): readonly AnnotationRecord[] {
    return this.#annotations.of(id)
  }

  /** Index in `messages` of the message with this id, or -1. */
  indexOf(id: string): number {
    if (this.#indexById.size === 0 && this.#messages.length > 0)
      this.#messages.forEach((message, index) => {
        this.#indexOnce(message.id, index)
      })
    return this.#indexById.get(id) ?? -1
  }

  #indexOnce(id: string, index: number): void {
    if (!this.#indexById.has(id)) this.#indexById.set(id, index)
  }

  /**
   * Settles once the room's connection code has loaded; rejects when it could not (offline, or
   * the site was updated under the page), and the room then stays on this device alone.
   */
  get connecting(): Promise<void> {
    return this.#transport.loaded
  }

  /**
   * What the room reaches now: a signaling server (to find peers, and be found), and how many
   * peers it is linked to (they keep chatting without the server), and how many of this browser's
   * other tabs (they need no network). Read often: it only looks.
   */
  connection(): RoomConnection {
    return { signaling: this.#transport.signaling(), links: this.#transport.links().length, siblingTabs: this.#transport.siblingTabs() }
  }

  /**
   * Whether a history a link brings is still coming (the room opened empty, and a peer announced
   * records it does not hold yet): its parts are applied as they come, and the log may wait to
   * draw them until the last (components/room-controller.ts).
   */
  get historyArriving(): boolean {
    return this.#transport.historyArriving()
  }

  /**
   * Runs `callback` once no history is arriving (historyArriving): now when none is, else after
   * the transaction that completes it, or HISTORY_WAIT_MS (2 s) after the first callback that
   * waited, and again as long for what waits after (after-history.ts), in the order asked; the
   * budgets' checks wait here too. Returns what drops it, if it has not run.
   */
  whenHistoryHere(callback: () => void): () => void {
    return this.#afterHistory.run(callback)
  }

  /** Calls `listener` after every change of the annotations; returns an unsubscribe. */
  onAnnotations(listener: () => void): () => void {
    this.#annotationListeners.add(listener)
    return () => this.#annotationListeners.delete(listener)
  }

  /** Edits one of the author's messages: a new signed record; the old text stays in the document. */
  async edit(author: Author, id: string, text: string, now = Date.now()): Promise<AnnotationRecord> {
    const problem = draftProblem(text)
    if (problem !== null) throw new Error(`Room.edit: text is ${problem}`)
    return this.#annotate(author, 'edit', id, text, true, now)
  }

  /** Deletes one of the author's messages for everyone's view; its record stays in the document. */
  async remove(author: Author, id: string, now = Date.now()): Promise<AnnotationRecord> {
    return this.#annotate(author, 'delete', id, '', true, now)
  }

  /** Adds (`on`) or takes back the author's reaction `emoji` on message `id`. */
  async react(author: Author, id: string, emoji: string, on: boolean, now = Date.now()): Promise<AnnotationRecord> {
    if (!isReactionEmoji(emoji)) throw new Error('Room.react: not one of REACTION_EMOJI')
    return this.#annotate(author, 'reaction', id, emoji, on, now)
  }

  /**
   * Sends a message that replies to message `id`: the message as `send` makes it, then a signed
   * link from it to `id` (an annotation, so the message record keeps its format).
   */
  async reply(author: Author, id: string, text: string, now = Date.now()): Promise<MessageRecord> {
    const message = await this.send(author, text, now)
    await this.#annotate(author, 'reply', message.id, id, true, now)
    return message
  }

  /**
   * Shares a file: its bytes stay in this tab's memory, served to peers that ask, and the room
   * gets a message naming it with a signed 'file' annotation (name, type, size, hashes). Rejects
   * when the page cannot sign (plain http) or the file is over MAX_FILE_BYTES (the UI checks first).
   */
  async sendFile(
    author: Author,
    file: { name: string; type: string; bytes: Uint8Array<ArrayBuffer> },
    now = Date.now(),
  ): Promise<MessageRecord> {
    if (author.signer === null) throw new Error('Room.sendFile: files need a signing key (https)')
    if (file.bytes.length > MAX_FILE_BYTES) throw new Error('Room.sendFile: file is over MAX_FILE_BYTES')
    const ref = await (await this.#transport.files()).share(file.bytes)
    const meta: FileMeta = { name: cleanFileName(file.name), type: cleanFileType(file.type), ...ref }
    const message = await this.send(author, `📎 ${meta.name}`, now)
    await this.#annotate(author, 'file', message.id, encodeFileMeta(meta), true, now)
    return message
  }

  /**
   * Fetches the bytes of a file a message carries from whichever peer has them (this tab's own
   * copy at once), each chunk and the whole checked against the signed hashes. Rejects with an
   * error whose `reason` is 'unavailable', 'corrupt', 'cancelled' or 'closed'.
   */
  async fetchFile(meta: FileMeta, options: FetchOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
    return (await this.#transport.files()).fetch(meta, options)
  }

  /** Writes a new annotation of `kind` on message `target`, signed when the author can sign. */
  async #annotate(
    author: Author,
    kind: AnnotationKind,
    target: string,
    content: string,
    on: boolean,
    now: number,
  ): Promise<AnnotationRecord> {
    const unsigned: AnnotationRecord = {
      id: newMessageId(),
      kind,
      target,
      authorId: author.signer?.userId ?? author.userId,
      authorName: author.name,
      content,
      on,
      sentAt: now,
    }
    let record = unsigned
    if (author.signer !== null) {
      const withKey = { ...unsigned, publicKey: author.signer.publicKey }
      record = { ...withKey, signature: await author.signer.sign(annotationBytes(this.topic, withKey)) }
    }
    if (!this.#loaded) await this.#store?.whenLoaded
    if (!this.#closed) appendAnnotation(this.#doc, record, this)
    return record
  }

  /**
   * The room's valid messages, in converged order: a fixed view, the same on every read until the
   * messages change (so it is free to read, and a new one means a change). Not a copy: a change
   * costs the same in a room of ten messages or of 100,000 (BENCHMARKS.md, "Twenty-first session:
   * a change without a copy of the room").
   */
  get messages(): ReadonlyList<MessageRecord> {
    this.#view ??= new AppendOnlyView(this.#messages)
    return this.#view
  }

  /** What the room counted since it opened; a copy, taken now. */
  stats(): RoomStats {
    const refused = [...this.#transport.refusedWriting().values()]
    return {
      ...this.#transport.stats(),
      skippedRecords: this.#skippedRecords,
      restoredRecords: this.#restoredRecords,
      hiddenRecords: this.#budgets.hiddenTotal,
      refusedRecords: refused.reduce((sum, writer) => sum + writer.records, 0),
      refusedMessages: refused.reduce((sum, writer) => sum + writer.messages, 0),
      budgetChecks: this.#signatures.checks,
      skippedAnnotations: this.#annotations.skipped,
      hiddenAnnotations: this.#annotations.hidden,
      restoredAnnotations: this.#annotations.restored,
      forgedPresence: this.presence.forgedStates,
      presenceChecksRefused: this.presence.checksRefused,
      changeBatches: { encoded: this.#changes.batchesEncoded, partsSkipped: this.#changes.partsSkipped },
    }
  }

  /**
   * Valid messages not shown, per author: they wrote faster than a person types (AUTHOR_BUDGET,
   * in the time the records claim; every peer hides the same ones), and records the peer guards
   * refused that the document still lacks, in the forgery lane of the id they claim
   * (`refusedLaneOf`; counted by this page alone; messages only). Each lane says where the log
   * places its line (`after`). A live view while nothing was refused; a copy after.
   */
  get hidden(): HiddenCounts {
    return withRefused(this.#budgets.hidden, this.#refusedLanes.lanes(this.#transport.refusedWriting(), this.#messages.length))
  }

  /** Calls `listener` when records refused by the peer guards changed what `hidden` says; returns an unsubscribe. */
  onRefused(listener: () => void): () => void {
    this.#refusedListeners.add(listener)
    return () => this.#refusedListeners.delete(listener)
  }

  /** Subscribes to message changes; returns an unsubscribe function. */
  onMessages(listener: MessagesListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Calls `listener` with each message new to this peer, local or remote; returns an unsubscribe. */
  onMessage(listener: MessageListener): () => void {
    this.#messageListeners.add(listener)
    return () => this.#messageListeners.delete(listener)
  }

  /**
   * Signs and sends a message: it goes to the room's peers at once, and the promise resolves
   * once it is in this browser's IndexedDB too, so a tab killed from then on keeps it. Rejects
   * when the draft is empty or too long (the UI checks first).
   */
  async send(author: Author, text: string, now = Date.now()): Promise<MessageRecord> {
    const problem = draftProblem(text)
    if (problem !== null) throw new Error(`Room.send: message is ${problem}`)
    const unsigned: MessageRecord = {
      id: this.#nextId ?? newMessageId(),
      authorId: author.signer?.userId ?? author.userId,
      authorName: author.name,
      text,
      sentAt: now,
    }
    this.#nextId = null
    let left = (): void => {}
    const leaving = new Promise<void>((resolve) => {
      left = resolve
    })
    this.#signing.add(leaving)
    let record: MessageRecord
    let appended = false
    try {
      record = author.signer === null ? unsigned : await signed(unsigned, author.signer, this.topic)
      // Signed here, so good: even under an id that forgeries claim, it shows without a check.
      if (author.signer !== null) {
        this.#signatures.vouch(record)
        // A page without a log never asks: the last SIGNED_HERE_KEPT are kept (see signedHere).
        if (this.#signedHere.push(record) > SIGNED_HERE_KEPT) this.#signedHere.shift()
      }
      // Not into a history still being loaded: it would go after its last record loaded so far.
      if (!this.#loaded) await this.#store?.whenLoaded
      // A local transaction: the deferred source passes it to the transport as it ends, and to storage once the page has drawn.
      if (!this.#closed) {
        appendMessage(this.#doc, record, this)
        appended = true
      }
    } finally {
      const done = (): void => {
        this.#signing.delete(leaving)
        left()
        this.#nextId ??= newMessageId()
      }
      // The typing state the send ends waits as the store's write does: the CPU right after the
      // send is the message's, on its way over the data channel (BENCHMARKS.md, "send → rendered").
      if (appended) this.#changes.whenPassed().then(done, done)
      else done()
    }
    if (!this.#closed) await this.#store?.whenStored()
    return record
  }

  /**
   * Whether this tab signed `message` (every field it signs, and the signature, as sent): its
   * author's key is this tab's, so it needs no check of its signature. The keys are made here,
   * not in send(): the text's string on a sent message's way out came before the wire. Answered
   * once a message: the asker remembers the verdict (the log's controller), and the key goes.
   */
  signedHere(message: MessageRecord): boolean {
    if (this.#signedHere.length > 0) {
      for (const record of this.#signedHere) this.#signedHereKeys.add(messageVerdictKey(this.topic, record))
      this.#signedHere = []
      for (const key of this.#signedHereKeys) {
        if (this.#signedHereKeys.size <= SIGNED_HERE_KEPT) break
        this.#signedHereKeys.delete(key)
      }
    }
    return this.#signedHereKeys.size > 0 && this.#signedHereKeys.delete(messageVerdictKey(this.topic, message))
  }

  /** Leaves the room: tells peers, closes connections, frees the document. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    globalThis.removeEventListener?.('pagehide', this.#onPageHide)
    this.#flush()
    this.#sayGoodbyes()
    this.#siblings.close()
    this.presence.destroy()
    this.#stopObserving()
    this.#doc.off('afterAllTransactions', this.#releaseAfterHistory)
    this.#afterHistory.close()
    this.#signatures.close()
    this.#annotations.close()
    this.#annotationListeners.clear()
    this.#listeners.clear()
    this.#refusedListeners.clear()
    this.#messageListeners.clear()
    this.#store?.destroy()
    this.#transport.close()
    this.#awareness.destroy()
    this.#changes.destroy()
    this.#doc.destroy()
  }

  /**
   * The tab is going away (closed, reloaded, navigated): say so while the channels are open,
   * with the signed goodbye first (it reaches peers that know this tab only through a relay).
   */
  #onPageHide = (): void => {
    this.#flush()
    this.#sayGoodbyes()
    this.#transport.goodbye()
    removeAwarenessStates(this.#awareness, [this.#awareness.clientID], 'window unload')
  }

  /**
   * Passes on what is pending at once (the tab or the room goes), but not the rest of a history
   * the store holds already: its paced parts were for the peers, who get it by sync.
   */
  #flush(): void {
    const store = this.#store
    this.#changes.flush(store === null ? undefined : (client, from) => store.heldUntil(client, from))
  }

  /**
   * Publishes this tab's signed goodbye, and those it carries for siblings that some peers have no
   * link to: these too when it has none of its own (its first state still being signed).
   */
  #sayGoodbyes(): void {
    const key = this.presence.userKey
    this.#siblings.keep()
    this.presence.sayGoodbye()
    if (key !== null) this.#siblings.publish(key)
  }

  #reset(): void {
    const batch = readMessages(this.#doc)
    this.#kept = new Map()
    this.#admitAll(withoutCopies(batch.messages, this.#kept))
    this.#skippedRecords = batch.skipped
  }

  /** Admits `valid` (every valid record) afresh: new budgets, a new shown list. */
  #admitAll(valid: MessageRecord[]): void {
    this.#valid = valid
    this.#budgets = new AuthorBudgets(AUTHOR_BUDGET, this.#signatures.stateOf, this.#signatures.suspect)
    this.#messages = this.#budgets.admit(valid)
    this.#indexById = new Map()
    this.#view = null
    this.#checkDoubted()
  }

  /**
   * Checks the signatures of the records the budgets doubt (budget-signatures.ts); a record
   * that was charged to the wrong lane has everything admitted again.
   */
  #checkDoubted(): void {
    this.#signatures.checkDoubted(
      () => this.#budgets,
      () => {
        const before = this.#messages
        this.#admitAll(this.#valid)
        const added = this.#messageListeners.size > 0 ? newMessages(before, this.#messages) : []
        this.#emit({ kind: 'reset', batch: { messages: this.#valid, skipped: this.#skippedRecords } }, added)
      },
    )
  }

  #onChange(change: MessagesChange): void {
    const before = this.#messages
    let added: readonly MessageRecord[]
    if (change.kind === 'append') {
      // In place: a new message costs the same in a room of ten messages or of 100,000.
      // Budgets first: what an author wrote past theirs is neither kept in the list, nor
      // verified, nor drawn.
      const valid = withoutCopies(change.batch.messages, this.#kept)
      for (const message of valid) this.#valid.push(message)
      added = this.#budgets.admit(valid)
      this.#checkDoubted()
      for (const message of added) {
        if (this.#indexById.size > 0) this.#indexOnce(message.id, this.#messages.length)
        this.#messages.push(message)
      }
      this.#skippedRecords += change.batch.skipped
    } else {
      // Messages are append-only: whatever vanished was deleted by some peer (Yjs does not
      // say which). Put it back from what this peer showed; every peer does the same.
      const lost = lostRecords(this.#messages, change.batch.messages)
      if (lost.length > 0) {
        this.#restoredRecords += lost.length
        queueMicrotask(() => {
          if (!this.#closed) restoreRecords(this.#doc, lost, RESTORE_ORIGIN)
        })
      }
      this.#kept = new Map()
      this.#admitAll(withoutCopies(change.batch.messages, this.#kept))
      this.#skippedRecords = change.batch.skipped
      added = this.#messageListeners.size > 0 ? newMessages(before, this.#messages) : []
    }
    this.#emit(change, added)
  }

  /**
   * Tells the listeners of a change of the shown list, and of the messages it added. While the
   * stored history is loaded a step a task, the list's listeners are told once, at its end.
   */
  #emit(change: MessagesChange, added: readonly MessageRecord[]): void {
    // One view per change that changed the list, made only if someone reads it.
    if (change.kind === 'reset' || added.length > 0) this.#view = null
    if (!this.#loaded) this.#heldBack = true
    else if (this.#listeners.size > 0) {
      const messages = this.messages
      for (const listener of this.#listeners) listener(change, messages)
    }
    for (const message of added) for (const listener of this.#messageListeners) listener(message)
  }
}

/** A new message id: MESSAGE_ID_BYTES random bytes, base64url. */
function newMessageId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(MESSAGE_ID_BYTES)))
}

async function signed(record: MessageRecord, signer: Signer, topic: string): Promise<MessageRecord> {
  const withKey = { ...record, publicKey: signer.publicKey }
  return { ...withKey, signature: await signer.sign(messageBytes(topic, withKey)) }
}
