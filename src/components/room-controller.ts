// Connects a Lit element to a room: opens it while the element is connected, re-renders
// the host on every change, and closes it on disconnect. Components reach rooms only here.
import type { ReactiveController, ReactiveControllerHost } from 'lit'
import {
  VerdictCache,
  acquireRoom,
  annotate,
  annotationVerdict,
  messageVerdict,
  messageVerdictKey,
  unannotated,
  type AnnotatedMessage,
  type Author,
  type FetchOptions,
  type FileMeta,
  type Member,
  type MessageListener,
  type MessageRecord,
  type PresenceUser,
  type ReadonlyList,
  type Room,
  type RoomLease,
  type RoomOptions,
  type Verdict,
} from '../room/index.js'
import { beforeNextPaint } from '../tasks/index.js'
import type { LogNotice } from './parley-message-list.js'
import { connectionStatus, type ConnectionStatus } from './connection-status.js'

/** Most presence lines kept in the log; older ones scroll away. */
const MAX_NOTICES = 200
/** Most new messages kept for the log between two renders (a history that arrives whole is not news). */
const MAX_ARRIVALS = 1_000
/** A frame at 60 Hz, in ms: redraws for new messages come at most this often. */
const FRAME_MS = 16
/**
 * How often the connection's status is read again, in ms: lib0's WebSocket client emits nothing
 * when an attempt to reach the signaling server fails, so the status is looked at (a cheap read).
 */
const CONNECTION_CHECK_MS = 1_000

/**
 * What the host does when only its log's inputs changed (`messages`, `arrivals`, `notices`,
 * `verdictOf`, `annotationOf`): true when it handed them on itself, false to be updated whole.
 */
export type LogChanged = () => boolean

/** Keeps a host element in step with one room. */
export class RoomController implements ReactiveController {
  /** The room's valid messages, in converged order: a new list (not a copy) at each change. */
  messages: ReadonlyList<MessageRecord> = []
  /**
   * The messages new to this peer that the last change of `messages` brought (the log watches
   * where they land). Read at render: the room hands out new messages just after the change.
   */
  get arrivals(): readonly MessageRecord[] {
    if (this.#arrivalsOf !== this.messages) {
      this.#arrivalsOf = this.messages
      this.#handed = this.#arrived
      this.#arrived = []
    }
    return this.#handed
  }
  /** Who is in the room. */
  members: readonly Member[] = []
  /** "Bob is typing…", or "". */
  typingLine = ''
  /** "Carol joined" and the like, since this element opened the room. */
  notices: readonly LogNotice[] = []
  /** Whether the room's connection code failed to load: the room then stays on this device. */
  cannotConnect = false
  /** Whether anyone can reach this tab, as far as the page knows (connection-status.ts). */
  connection: ConnectionStatus = 'connecting'
  /**
   * Whether a message's author is who it says; a new function whenever a verdict settles, which
   * differs from the one before only where a check was pending (the log's `checksSettle`).
   */
  verdictOf = (message: MessageRecord): Verdict => this.#verdict(message)
  /**
   * A message as its verified edits, deletion, reactions and reply link leave it; a new
   * function whenever annotations change or verdicts settle. Checks signatures only of the
   * messages it is asked about (the shown ones).
   */
  annotationOf = (message: MessageRecord): AnnotatedMessage => this.#annotation(message)
  /** Index in `messages` of the message with this id, or -1 (to jump to what a reply quotes). */
  indexOf = (id: string): number => this.room?.indexOf(id) ?? -1
  #host: ReactiveControllerHost
  /** See LogChanged; without it the host is updated whole. */
  #logChanged: LogChanged
  #verdicts = new VerdictCache((key, verdict) => {
    if (!this.#checked(key, verdict)) this.#annotationChecksSettled = true
    this.#verdictsSettled = true
    this.#scheduleRedraw()
  })
  /** Messages whose signature check is under way, by verdict key (see #checked). */
  #checking = new Map<string, MessageRecord>()
  /** Messages that verified since the last redraw: their authors' typing marks end with it (see #checked). */
  #spoken: MessageRecord[] = []
  /** Whether this tab just sent: its own message is drawn at the next frame, not in the send's task. */
  #sent = false
  /** What the sends since the last paint left for after their messages are out (see afterSend). */
  #afterSend: (() => void)[] = []
  /** Whether verdicts settled since the last redraw. */
  #verdictsSettled = false
  /** Whether, of those, one may change what `annotationOf` says: an annotation's, or a message's that has annotations. */
  #annotationChecksSettled = false
  #lease: RoomLease | null = null
  #connected = false
  #stopListening: (() => void) | null = null
  #options: RoomOptions | null = null
  #user: PresenceUser | null = null
  #nextNoticeId = 0
  #messageListeners = new Set<MessageListener>()
  /** Whether a redraw for new messages or verdicts is scheduled. */
  #redrawScheduled = false
  /** Drops the redraw a history still coming put off (see #waitsForHistory); null when none waits. */
  #historyWait: (() => void) | null = null
  /** When the last redraw for new messages or verdicts happened (performance.now(), ms). */
  #redrawnAt = Number.NEGATIVE_INFINITY
  /** The room's annotations version at the last redraw. */
  #annotationsVersion = -1
  /** The log line of each author whose messages are hidden, by author id. */
  #hiddenNotices = new Map<string, LogNotice>()
  /** Messages new to this peer not handed out yet as `arrivals`. */
  #arrived: MessageRecord[] = []
  /** The arrivals last handed out, and the `messages` they came with. */
  #handed: readonly MessageRecord[] = []
  #arrivalsOf: ReadonlyList<MessageRecord> | null = null

  /**
   * `logChanged`: called instead of updating the host whole when a redraw for new messages,
   * verdicts, annotations or hidden lines changed only what its log shows (see #redraw).
   */
  constructor(host: ReactiveControllerHost, logChanged: LogChanged = () => false) {
    this.#host = host
    this.#logChanged = logChanged
    host.addController(this)
  }

  /** The open room, if any. */
  get room(): Room | null {
    return this.#lease?.room ?? null
  }

  /** Switches to a room (or to none with null); a no-op when nothing changed. */
  setRoom(options: RoomOptions | null): void {
    if (sameRoom(options, this.#options)) return
    this.#close()
    this.#options = options
    this.#open()
  }

  /** Shows this tab in the room's presence as `user`, or takes it out with null. */
  setUser(user: PresenceUser | null): void {
    if (user?.userId === this.#user?.userId && user?.name === this.#user?.name) return
    this.#user = user
    const presence = this.room?.presence
    if (user !== null) this.#join(user)
    else presence?.leave()
  }

  /** Calls `listener` with each message new to this peer, in whichever room is open; returns an unsubscribe. */
  onMessage(listener: MessageListener): () => void {
    this.#messageListeners.add(listener)
    return () => this.#messageListeners.delete(listener)
  }

  /** Sends a message as `author`; the typing it ends, after the message is out (see afterSend). */
  send(author: Author, text: string): void {
    this.#sent = true
    this.room?.send(author, text).catch((error: unknown) => {
      // The composer refuses bad drafts first; anything else here is a bug worth seeing.
      console.error('Parley: could not send the message', error)
    })
    this.#stopTypingAfterSend()
  }

  /**
   * Runs `work` after the message just sent is out: just before the next paint, or before the
   * next change of the draft (the user typing again), whichever comes first. Chromium settles a
   * message's signature within the task that sends it, and the message leaves in the same task's
   * microtasks, after whatever the task's handlers do first: what the send only tidies up (the
   * typing state, the log's scroll) waits, in the order asked.
   */
  afterSend(work: () => void): void {
    this.#afterSend.push(work)
    if (this.#afterSend.length === 1) beforeNextPaint(() => this.#runAfterSend())
  }

  /** Ends the typing of the room that was sent to, once the message is out (unless the room was left meanwhile). */
  #stopTypingAfterSend(): void {
    const room = this.room
    this.afterSend(() => {
      if (this.room === room) room?.presence.stopTyping('send')
    })
  }

  #runAfterSend(): void {
    const work = this.#afterSend
    this.#afterSend = []
    for (const each of work) each()
  }

  /** The user typed in the composer (`active`), or left it (blur, cleared). */
  draft(active: boolean): void {
    this.#runAfterSend()
    if (active) this.room?.presence.input()
    else this.room?.presence.stopTyping('blur')
  }

  #join(user: PresenceUser): void {
    this.room?.presence.join(user).catch((error: unknown) => {
      console.error("Parley: could not join the room's presence", error)
    })
  }

  /** Edits one of `author`'s messages. */
  edit(author: Author, id: string, text: string): void {
    this.room?.edit(author, id, text).catch(reportFailure('edit the message'))
  }

  /** Deletes one of `author`'s messages. */
  remove(author: Author, id: string): void {
    this.room?.remove(author, id).catch(reportFailure('delete the message'))
  }

  /** Adds or takes back `author`'s reaction. */
  react(author: Author, id: string, emoji: string, on: boolean): void {
    this.room?.react(author, id, emoji, on).catch(reportFailure('react'))
  }

  /** Shares `file` as `author`: its bytes stay in this tab, its signed description goes to the room. */
  sendFile(author: Author, file: File): void {
    file
      .arrayBuffer()
      .then((buffer) => this.room?.sendFile(author, { name: file.name, type: file.type, bytes: new Uint8Array(buffer) }))
      .catch(reportFailure('share the file'))
  }

  /** Fetches the verified bytes of a file a message carries (rejects with reason 'closed' once the room is gone). */
  fetchFile = (file: FileMeta, options: FetchOptions): Promise<Uint8Array<ArrayBuffer>> =>
    this.room?.fetchFile(file, options) ?? Promise.reject(Object.assign(new Error('room closed'), { reason: 'closed' }))

  /** Sends a reply to message `id`. */
  reply(author: Author, id: string, text: string): void {
    this.#sent = true
    this.room?.reply(author, id, text).catch(reportFailure('send the reply'))
    this.#stopTypingAfterSend()
  }

  #annotation(message: MessageRecord): AnnotatedMessage {
    const room = this.room
    if (room === null) return unannotated(message)
    const annotations = room.annotationsOf(message.id)
    if (annotations.length === 0) return unannotated(message)
    return annotate(message, this.#verdict(message), annotations, (annotation) => annotationVerdict(this.#verdicts, room.topic, annotation))
  }

  #verdict(message: MessageRecord): Verdict {
    const room = this.room
    if (room === null) return 'pending'
    // This tab's own message shows verified at once: no check of a signature it made, and no
    // second draw of its entry once that check settled, right after the send.
    const key = messageVerdictKey(room.topic, message)
    if (this.#verdicts.known(key) === undefined && room.signedHere(message)) this.#verdicts.vouch(key)
    const verdict = messageVerdict(this.#verdicts, room.topic, message)
    if (verdict === 'pending') this.#checking.set(key, message)
    return verdict
  }

  /**
   * A check settled: a message that VERIFIED as its author's ends their typing mark (RoomPresence.spoke)
   * at the next redraw, the one that draws its verified author, the typing line and members list
   * first; their own stopped-typing state may come a frame or more later. Not in the check's task:
   * that is the task of the message's arrival (Chromium settles a check within the task that asks
   * for it), whose end is when the page can show the message. A forged or unverified one ends nothing.
   * Returns whether it was the check of a message without annotations (its annotation stays as it was).
   */
  #checked(key: string, verdict: Verdict): boolean {
    const message = this.#checking.get(key)
    if (message === undefined) return false
    this.#checking.delete(key)
    if (verdict === 'verified') this.#spoken.push(message)
    return this.room?.annotationsOf(message.id).length === 0
  }

  hostConnected(): void {
    this.#connected = true
    this.#open()
  }

  hostDisconnected(): void {
    this.#connected = false
    this.#close()
  }

  #open(): void {
    // Lit keeps updating a removed element: a room set meanwhile opens on reconnection.
    if (!this.#connected || this.#options === null || this.#lease !== null) return
    this.#lease = acquireRoom(this.#options)
    const room = this.#lease.room
    this.messages = room.messages
    room.connecting.catch(() => {
      if (this.room !== room) return
      this.cannotConnect = true
      this.#checkConnection()
      this.#host.requestUpdate()
    })
    const checkConnection = () => this.#checkConnection()
    const connectionChecks = setInterval(checkConnection, CONNECTION_CHECK_MS)
    // globalThis, not window: the controller's unit tests run it in Node, which has neither events nor navigator.onLine.
    globalThis.addEventListener?.('online', checkConnection)
    globalThis.addEventListener?.('offline', checkConnection)
    const stopMessages = room.onMessages(() => this.#scheduleRedraw())
    const stopRefused = room.onRefused(() => this.#scheduleRedraw())
    const stopAnnotations = room.onAnnotations(() => this.#scheduleRedraw())
    const stopPresence = room.presence.onChange((view, notices) => {
      this.members = view.members
      this.typingLine = view.typingLine
      if (notices.length > 0) {
        const after = room.messages.length
        this.notices = this.notices
          .concat(notices.map((notice) => ({ id: this.#nextNoticeId++, text: notice.text, after })))
          .slice(-MAX_NOTICES)
      }
      this.#checkConnection()
      this.#host.requestUpdate()
    })
    const stopMessage = room.onMessage((message) => {
      if (this.#arrived.length < MAX_ARRIVALS) this.#arrived.push(message)
      for (const listener of this.#messageListeners) listener(message)
    })
    this.#stopListening = () => {
      clearInterval(connectionChecks)
      globalThis.removeEventListener?.('online', checkConnection)
      globalThis.removeEventListener?.('offline', checkConnection)
      stopMessages()
      stopRefused()
      stopAnnotations()
      stopPresence()
      stopMessage()
    }
    if (this.#user !== null) this.#join(this.#user)
    ;({ members: this.members, typingLine: this.typingLine } = room.presence.view)
    this.#checkConnection()
    this.#host.requestUpdate()
  }

  /** Reads the connection's status again; updates the host when it changed. */
  #checkConnection(): void {
    const room = this.room
    if (room === null) return
    const status = connectionStatus({
      connection: room.connection(),
      browserOnline: globalThis.navigator?.onLine ?? true,
      cannotConnect: this.cannotConnect,
    })
    if (status === this.connection) return
    this.connection = status
    this.#host.requestUpdate()
  }

  /**
   * Redraws for new messages at most about once per frame: a peer that sends a thousand small
   * updates a second costs the page one render per frame, not one per update. The first change
   * after a quiet frame draws at once (Lit still batches it to the end of the task), so a
   * history that arrives in one batch is on screen in the frame that follows it.
   */
  #scheduleRedraw(): void {
    if (this.#redrawScheduled) return
    // This tab's own message waits for the frame: drawn in the send's task, it would take the
    // CPU its data channel needs to get the message out (BENCHMARKS.md, "send → rendered").
    const sent = this.#sent
    this.#sent = false
    if (!sent && this.#waitsForHistory()) return
    if (!sent && performance.now() - this.#redrawnAt >= FRAME_MS) {
      this.#redraw()
      return
    }
    this.#redrawScheduled = true
    // A hidden page draws no frames, yet its title counts unread messages: a task there, and a
    // timer where the page was hidden before the frame it waits for.
    beforeNextPaint(() => {
      this.#redrawScheduled = false
      this.#redraw(sent)
    })
  }

  /**
   * Whether the redraw waits for a history still coming (Room.historyArriving): a late joiner's
   * history comes in parts, each applied as it arrives, and the log drew each part's newest screen
   * in the part's own task, on the way of the next part (the CPU its apply needed), only to draw
   * the next part's over it. So the log draws once the last part is here (its change finds no
   * history arriving), or when the room's wait for it ends (Room.whenHistoryHere: 2 s after the
   * first that waited, for a history that stops coming, or a peer that announced records it never sends).
   */
  #waitsForHistory(): boolean {
    const room = this.room
    if (room?.historyArriving !== true) {
      this.#stopHistoryWait()
      return false
    }
    this.#historyWait ??= room.whenHistoryHere(() => {
      this.#historyWait = null
      this.#redraw(true)
    })
    return true
  }

  #stopHistoryWait(): void {
    this.#historyWait?.()
    this.#historyWait = null
  }

  /** Hands the room's news to the host; `messages` waits for a history still coming unless `now` (see #waitsForHistory). */
  #redraw(now = false): void {
    const room = this.room
    if (room === null) return
    const waiting = !now && this.#waitsForHistory()
    this.#redrawnAt = performance.now()
    const verdicts = this.#verdictsSettled
    this.#verdictsSettled = false
    const annotationChecks = this.#annotationChecksSettled
    this.#annotationChecksSettled = false
    const spoken = this.#spoken
    this.#spoken = []
    for (const message of spoken) room.presence.spoke(message.authorId, message.sentAt)
    if (verdicts) this.verdictOf = (message) => this.#verdict(message)
    const annotated = room.annotationsVersion !== this.#annotationsVersion
    this.#annotationsVersion = room.annotationsVersion
    // A message's check alone leaves its annotation as it was when it has none: the log then draws
    // again only the entries drawn from a pending verdict, not every entry (checksSettle).
    if (annotationChecks || annotated) this.annotationOf = (message) => this.#annotation(message)
    const hidden = this.#noteHidden(room)
    if ((waiting || room.messages === this.messages) && !verdicts && !hidden && !annotated) return
    if (!waiting) this.messages = room.messages
    // An arrival changes the log, not the whole chat: the host hands it on (and counts it unread)
    // without a render of everything else, 0.1–0.15 ms of an arrival's task (BENCHMARKS.md, "Send").
    if (!this.#logChanged()) this.#host.requestUpdate()
  }

  /**
   * Keeps one "N messages from X hidden" line per author in the log (and one per author whose
   * name forgeries claimed: "from ⚠ X (unverified)"), where the room places it: after the lane's
   * newest hidden record, so that it follows a flood down the log (a reader at the bottom sees it;
   * one reading further up keeps their place: the log anchors its view on a message). Returns
   * whether one changed.
   */
  #noteHidden(room: Room): boolean {
    let changed = false
    const hidden = room.hidden
    // A lane the room no longer hides anything of (a forgery found gave the author back its budget).
    for (const [lane, notice] of this.#hiddenNotices) {
      if (hidden.has(lane)) continue
      this.#hiddenNotices.delete(lane)
      this.notices = this.notices.filter((each) => each.id !== notice.id)
      changed = true
    }
    for (const [authorId, { authorName, count, forged, after }] of hidden) {
      const who = forged === true ? `⚠ ${authorName} (unverified)` : authorName
      const text = `${count.toLocaleString('en')} ${count === 1 ? 'message' : 'messages'} from ${who} hidden`
      const notice = this.#hiddenNotices.get(authorId)
      if (notice?.text === text && notice.after === after) continue
      const updated = { id: notice?.id ?? this.#nextNoticeId++, text, after }
      this.#hiddenNotices.set(authorId, updated)
      this.notices = this.notices.filter((each) => each.id !== updated.id).concat(updated)
      changed = true
    }
    return changed
  }

  #close(): void {
    this.#stopListening?.()
    this.#stopHistoryWait()
    this.#hiddenNotices = new Map()
    this.#checking = new Map()
    this.#spoken = []
    this.#stopListening = null
    this.#lease?.release()
    this.#lease = null
    this.messages = []
    this.#arrived = []
    this.#handed = []
    this.members = []
    this.typingLine = ''
    this.notices = []
    this.cannotConnect = false
    this.connection = 'connecting'
  }
}

/** Logs a failed intent: the UI offers only what it can do, so a failure here is a bug worth seeing. */
function reportFailure(what: string): (error: unknown) => void {
  return (error) => console.error(`Parley: could not ${what}`, error)
}

function sameRoom(a: RoomOptions | null, b: RoomOptions | null): boolean {
  if (a === null || b === null) return a === b
  return (
    a.name === b.name &&
    (a.secret ?? null) === (b.secret ?? null) &&
    a.signalingUrls.join(' ') === b.signalingUrls.join(' ') &&
    JSON.stringify(a.iceServers) === JSON.stringify(b.iceServers) &&
    a.maxConns === b.maxConns
  )
}
