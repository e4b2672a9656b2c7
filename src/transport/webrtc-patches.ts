// The places where Parley changes how y-webrtc 10.3 behaves, kept in one module because they
// touch its internals (`provider.room`, its links, its signaling listeners): review them when
// upgrading y-webrtc.
import * as buffer from 'lib0/buffer'
import * as decoding from 'lib0/decoding'
import { WebrtcConn, type Room as WebrtcRoom, type SignalingConn, type WebrtcProvider } from 'y-webrtc'
import { decideSignal } from './signal-glare.js'

/** Where a room's document changes come from, batched (the room defers them past the next frame). */
export interface DocumentChanges {
  /** Calls `listener` with each batch of changes, encoded as a Yjs update; returns what removes it. */
  on(listener: (update: Uint8Array) => void): () => void
}

type AwarenessHandler = (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void
type SignalingListener = (message: unknown) => void

/** How long a link may stay unconnected before it is closed and the peer asked again, in ms. */
export const PENDING_LINK_TIMEOUT_MS = 10_000
/**
 * How long a link whose offer won a glare waits for the answer, in ms. A Parley peer answers
 * at once; stock y-webrtc breaks its own link instead, and answers only a later offer.
 */
export const GLARE_ANSWER_TIMEOUT_MS = 3000
/** Fresh offers to a peer whose links keep failing before it counts as gone (until it announces again). */
const MAX_REOFFERS = 3
/** How often links are checked for these timeouts, in ms. */
const PENDING_CHECK_INTERVAL_MS = 1000

/** The y-webrtc rooms of adapted providers, by topic, as the signaling screen finds them. */
const screenedRooms = new Map<string, WebrtcRoom>()
/** Per room: the token of the last offer or answer let through from each peer. */
const lastTokens = new WeakMap<WebrtcRoom, Map<string, unknown>>()
const screenedConns = new WeakSet<SignalingConn>()
/** Rooms whose provider is being destroyed. */
const closedRooms = new WeakSet<WebrtcRoom>()
/** Per room: fresh offers made to each peer since its last link connected. */
const reoffers = new WeakMap<WebrtcRoom, Map<string, number>>()
/** Links whose offer won a glare, with when the losing offer was dropped. */
const glareWonAt = new WeakMap<WebrtcConn, number>()
/** Per room: peers ignored for the rest of the session (they flooded a link). */
const bannedPeers = new WeakMap<WebrtcRoom, Set<string>>()

/**
 * Drops the link to the peer on the other end of `pc`, and ignores that peer's signals (its
 * announcements, offers, answers) for as long as the provider lives. Returns the peer's id, or
 * null when no link of the room uses `pc`.
 */
export function banPeerOf(provider: WebrtcProvider, pc: RTCPeerConnection): string | null {
  const room = provider.room
  if (room === null) return null
  const conn = [...room.webrtcConns.values()].find((each) => (each.peer as unknown as { _pc?: unknown })._pc === pc)
  if (conn === undefined) return null
  const banned = bannedPeers.get(room) ?? new Set<string>()
  bannedPeers.set(room, banned)
  banned.add(conn.remotePeerId)
  conn.peer.destroy()
  return conn.remotePeerId
}

/**
 * Adapts a provider right after it is made; returns what undoes it (call before `destroy`).
 * - Awareness changes made with `localOrigin` are not broadcast. A peer that lost its own
 *   link to X must not tell the others X left: they may still hear X fine.
 * - Document changes reach peers through `changes`, after the page has drawn them.
 * - y-webrtc's `beforeunload` hook is removed: it also fires when a leave dialog is
 *   cancelled, so the room leaves on `pagehide` instead (see Room).
 * - Signals are screened before y-webrtc reads them (see signal-glare.ts), and a link that
 *   has not connected in PENDING_LINK_TIMEOUT_MS is offered anew: two peers offering at
 *   once no longer stay stuck in "connecting".
 */
export function adaptProvider(provider: WebrtcProvider, localOrigin: unknown, changes: DocumentChanges): () => void {
  for (const conn of provider.signalingConns) screenSignaling(conn)
  let timer: ReturnType<typeof setInterval> | null = null
  let stopRelaying = (): void => {}
  let undone = false
  void provider.key.then(() => {
    const room = provider.room
    if (room === null || undone) return
    const awareness = room.awareness
    const broadcast: AwarenessHandler = room._awarenessUpdateHandler
    const filtered: AwarenessHandler = (awarenessChanges, origin) => {
      if (origin !== localOrigin) broadcast(awarenessChanges, origin)
    }
    awareness.off('update', broadcast)
    room._awarenessUpdateHandler = filtered
    if (provider.connected) awareness.on('update', filtered)
    if (typeof window !== 'undefined') window.removeEventListener('beforeunload', room._beforeUnloadHandler)
    // Relayed after the page drew them (see deferred-updates.ts), not as each transaction ends.
    provider.doc.off('update', room._docUpdateHandler)
    stopRelaying = changes.on((update) => room._docUpdateHandler(update, null))
    screenedRooms.set(room.name, room)
    lastTokens.set(room, new Map())
    reoffers.set(room, new Map())
    const pendingSince = new WeakMap<WebrtcConn, number>()
    timer = setInterval(() => closeStuckLinks(room, pendingSince, Date.now()), PENDING_CHECK_INTERVAL_MS)
  })
  return () => {
    undone = true
    stopRelaying()
    if (timer !== null) clearInterval(timer)
    const room = provider.room
    if (room === null) return
    // y-webrtc reads this room's signals until destroy() lets go of it, a tick later: drop
    // them meanwhile (its links are gone, and a late answer would throw in its handler).
    closedRooms.add(room)
    void provider.key.then(() =>
      setTimeout(() => {
        if (screenedRooms.get(room.name) === room) screenedRooms.delete(room.name)
      }, 0),
    )
  }
}

/** Replaces links that never connected with a fresh offer of ours (see `reoffer`). */
function closeStuckLinks(room: WebrtcRoom, pendingSince: WeakMap<WebrtcConn, number>, now: number): void {
  for (const conn of [...room.webrtcConns.values()]) {
    if (conn.connected) {
      reoffers.get(room)?.delete(conn.remotePeerId)
      continue
    }
    const since = pendingSince.get(conn)
    const wonAt = glareWonAt.get(conn)
    if (since === undefined) pendingSince.set(conn, now)
    if ((since !== undefined && now - since >= PENDING_LINK_TIMEOUT_MS) || (wonAt !== undefined && now - wonAt >= GLARE_ANSWER_TIMEOUT_MS))
      reoffer(room, conn)
  }
}

/**
 * Gives up a link and offers a new one, up to MAX_REOFFERS times. An offer, unlike an
 * announcement, also reaches a peer whose own link to us is stuck: y-webrtc hands it to that
 * link, which then answers.
 */
function reoffer(room: WebrtcRoom, conn: WebrtcConn): void {
  const peerId = conn.remotePeerId
  retireLink(room, conn)
  const counts = reoffers.get(room)
  const count = (counts?.get(peerId) ?? 0) + 1
  counts?.set(peerId, count)
  if (count > MAX_REOFFERS) return // gone, most likely; its next announcement starts over
  const signaling = room.provider.signalingConns.find((candidate) => candidate.connected)
  if (signaling === undefined || !room.provider.connected) return
  room.webrtcConns.set(peerId, new WebrtcConn(signaling, true, peerId, room))
}

/** Puts the screen in front of y-webrtc's listener of one signaling connection (once). */
function screenSignaling(conn: SignalingConn): void {
  if (screenedConns.has(conn)) return
  screenedConns.add(conn)
  const listeners = [...(conn._observers.get('message') ?? [])] as SignalingListener[]
  let queue: Promise<void> = Promise.resolve()
  for (const listener of listeners) {
    conn.off('message', listener)
    conn.on('message', (message: unknown) => {
      const room = publishedRoom(message)
      if (room === null) return listener(message)
      const data = (message as { data: unknown }).data
      if (room.key === null) {
        if (screenSignal(room, data)) listener(message)
        return
      }
      // A private room's payloads are encrypted: read them in arrival order, as y-webrtc does.
      const key = room.key
      queue = queue.then(async () => {
        const plain = typeof data === 'string' ? await decryptPayload(data, key).catch(() => undefined) : undefined
        // Undecryptable (another key, or garbage): y-webrtc would fail on it unhandled.
        if (plain !== undefined && screenSignal(room, plain)) listener(message)
      })
    })
  }
}

/** The adapted room a signaling frame publishes to, if any. */
function publishedRoom(message: unknown): WebrtcRoom | null {
  if (typeof message !== 'object' || message === null) return null
  const { type, topic } = message as { type?: unknown; topic?: unknown }
  if (type !== 'publish' || typeof topic !== 'string') return null
  return screenedRooms.get(topic) ?? null
}

/** Whether y-webrtc may read a room's signaling payload; acts on glare first. */
function screenSignal(room: WebrtcRoom, data: unknown): boolean {
  if (closedRooms.has(room)) return false
  if (typeof data !== 'object' || data === null) return false
  const { type, from, to, token, signal } = data as { type?: unknown; from?: unknown; to?: unknown; token?: unknown; signal?: unknown }
  if (typeof from !== 'string' || (type !== 'announce' && type !== 'signal')) return false
  if (bannedPeers.get(room)?.has(from) === true) return false
  if (type === 'announce' || to !== room.peerId) return true // y-webrtc's own checks suffice
  if (typeof signal !== 'object' || signal === null) return false
  const kind = (signal as { type?: unknown }).type
  if (typeof kind !== 'string') return false
  const conn = room.webrtcConns.get(from)
  const link =
    conn === undefined ? undefined : { initiator: conn.peer.initiator === true, connected: conn.connected, token: conn.glareToken }
  const tokens = lastTokens.get(room)
  const decision = decideSignal(link, { kind, token }, tokens?.get(from))
  if (decision === 'drop') {
    if (kind === 'offer' && conn !== undefined && link?.initiator === true && !conn.connected) glareWonAt.set(conn, Date.now())
    return false
  }
  if (decision === 'restart' && conn !== undefined) retireLink(room, conn)
  if (kind === 'offer' || kind === 'answer') tokens?.set(from, token)
  return true
}

/**
 * Closes a link that a new one from or to the same peer replaces, quietly: y-webrtc's close
 * handler would remove the replacement (it looks links up by peer id) and announce this peer
 * again, which starts yet another offer from the other side.
 */
function retireLink(room: WebrtcRoom, conn: WebrtcConn): void {
  if (room.webrtcConns.get(conn.remotePeerId) === conn) room.webrtcConns.delete(conn.remotePeerId)
  conn.closed = true
  // Silenced: its offer may still be on the way out of simple-peer, and must not reach the
  // peer; its close and errors have nobody left to tell.
  conn.peer.emit = () => false
  conn.peer.destroy()
}

/** Reads an encrypted signaling payload as y-webrtc writes it (AES-GCM, lib0 encoding). */
async function decryptPayload(base64: string, key: CryptoKey): Promise<unknown> {
  const decoder = decoding.createDecoder(buffer.fromBase64(base64))
  if (decoding.readVarString(decoder) !== 'AES-GCM') throw new Error('unknown encryption')
  const iv = decoding.readVarUint8Array(decoder)
  const cipher = decoding.readVarUint8Array(decoder)
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher)
  return decoding.readAny(decoding.createDecoder(new Uint8Array(plain)))
}
