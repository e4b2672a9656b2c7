// The screen in front of y-webrtc 10.3's reading of signaling frames: glare resolution, stray
// signals dropped, private payloads decrypted in order. Private members: see y-webrtc-internals.ts.
import * as buffer from 'lib0/buffer'
import * as decoding from 'lib0/decoding'
import type { WebrtcConn, Room as WebrtcRoom, SignalingConn } from 'y-webrtc'
import { isBanned } from './banned-peers.js'
import { LINKS_FIELD, LONELY_FIELD, LONELY_VALUE, TAKE_FIELD, TAKE_VALUE, takesInvitation, takesPastCap } from './cap-rule.js'
import { acceptsBridge, BRIDGE_FIELD, BRIDGE_VALUE, CLIENT_FIELD, noteBridgeHeard, noteHeard } from './island-rule.js'
import { heldTakes, joinStateOf, sendInvitation, sendTakeInvitation } from './join-state.js'
import { decideAnnounce, isMarked, isMarkedAnnounce, offersTo, PARLEY_MARK_FIELD, PARLEY_MARK_VALUE } from './offer-rule.js'
import { decideSignal } from './signal-glare.js'
import { noteGlareWon, offerAnew, offerTo, retireLink, wonGlare } from './stuck-links.js'

type SignalingListener = (message: unknown) => void

/** A room whose signals pass the screen. */
interface ScreenedRoom {
  room: WebrtcRoom
  /** The token of the last offer or answer let through from each peer. */
  lastTokens: Map<string, unknown>
  /** Set while y-webrtc lets go of a room being destroyed: its signals are dropped. */
  closed: boolean
}

/**
 * Screened rooms by name (the hashed topic). A signaling connection is shared by every
 * provider of the realm with the same URL, so its screen finds the room by the frame's topic.
 */
const screenedRooms = new Map<string, ScreenedRoom>()
const screenedConns = new WeakSet<SignalingConn>()
/** Offering links whose answer was let through to y-webrtc. */
const answeredLinks = new WeakSet<WebrtcConn>()
/** Offers made anew because the stock peer they go to announced again (offer-rule.ts, `reoffer`). */
const remadeLinks = new WeakSet<WebrtcConn>()

/**
 * Screens the signals of `room` before y-webrtc reads them: of two offers that cross (glare)
 * the one with the higher token wins and the other side's link is restarted to answer it,
 * answers nobody asked for are dropped (y-webrtc throws on them), and a private room's
 * payloads are decrypted here, in arrival order, so undecryptable ones are dropped too. The
 * decisions are signal-glare.ts's. Returns what stops it; call it before the provider's
 * `destroy()`. Wraps y-webrtc's 'message' listeners of the signaling connections
 * (`signalingConn._observers`), once per connection.
 */
export function screenSignals(room: WebrtcRoom): () => void {
  const screened: ScreenedRoom = { room, lastTokens: new Map(), closed: false }
  screenedRooms.set(room.name, screened)
  for (const conn of room.provider.signalingConns as SignalingConn[]) screenConnection(conn)
  return () => {
    // y-webrtc reads this room's signals until destroy() lets go of it, a tick later: drop
    // them meanwhile (its links are gone, and a late answer would throw in its handler).
    screened.closed = true
    void room.provider.key.then(() =>
      setTimeout(() => {
        if (screenedRooms.get(room.name) === screened) screenedRooms.delete(room.name)
      }, 0),
    )
  }
}

/** Puts the screen in front of y-webrtc's listener of one signaling connection (once), and marks its announcements. */
function screenConnection(conn: SignalingConn): void {
  if (screenedConns.has(conn)) return
  screenedConns.add(conn)
  markAnnouncements(conn)
  const listeners = [...(conn._observers.get('message') ?? [])] as SignalingListener[]
  let queue: Promise<void> = Promise.resolve()
  for (const listener of listeners) {
    conn.off('message', listener)
    conn.on('message', (message: unknown) => {
      const screened = publishedRoom(message)
      if (screened === null) return listener(message)
      const data = (message as { data: unknown }).data
      const key = screened.room.key
      if (key === null) {
        if (screenSignal(screened, data)) listener(message)
        return
      }
      // A private room's payloads are encrypted: read them in arrival order, as y-webrtc does.
      queue = queue.then(async () => {
        const plain = typeof data === 'string' ? await decryptPayload(data, key).catch(() => undefined) : undefined
        // Undecryptable (another key, or garbage): y-webrtc would fail on it unhandled.
        if (plain !== undefined && screenSignal(screened, plain)) listener(message)
      })
    })
  }
}

/**
 * Marks this peer's announcements and signals in screened public rooms as Parley's (offer-rule.ts),
 * as they leave: y-webrtc writes them, and stock peers ignore the extra field. Wraps `send` (lib0's
 * WebsocketClient method) of the signaling connection, which also drops frames while it reconnects.
 * Private rooms' payloads are encrypted already and stay unmarked, so there every peer offers
 * as stock y-webrtc does.
 */
function markAnnouncements(conn: SignalingConn): void {
  const rawSend = conn.send.bind(conn) as (message: unknown) => void
  const send = (message: unknown): void => {
    // Reconnecting: lib0 keeps the new socket while it connects, and sending on it throws from
    // inside simple-peer's event handler, which ends a Node process (stock's too). y-webrtc
    // subscribes and announces again once connected; a lost signal is what stuck-links.ts repairs.
    if (!conn.connected) return
    rawSend(message)
  }
  conn.send = (message: unknown) => {
    const screened = publishedRoom(message)
    const data = (message as { data?: unknown }).data
    if (screened !== null && !screened.closed && typeof data === 'object' && data !== null) {
      const { type, from } = data as { type?: unknown; from?: unknown }
      if (type === 'announce' && from === screened.room.peerId) {
        const links = screened.room.webrtcConns.size // cap-rule.ts: peers at their cap take a lonely announcer
        const client = screened.room.awareness.clientID // island-rule.ts: whose awareness state says we are in a piece
        return send({
          ...(message as object),
          data: { ...data, [PARLEY_MARK_FIELD]: PARLEY_MARK_VALUE, [LINKS_FIELD]: links, [CLIENT_FIELD]: client },
        })
      }
      // An offer may be the first the peer hears of us (we announced before it subscribed).
      if (type === 'signal' && from === screened.room.peerId) {
        return send({ ...(message as object), data: { ...data, [PARLEY_MARK_FIELD]: PARLEY_MARK_VALUE } })
      }
    }
    send(message)
  }
}

/** The screened room a signaling frame publishes to, if any. */
function publishedRoom(message: unknown): ScreenedRoom | null {
  if (typeof message !== 'object' || message === null) return null
  const { type, topic } = message as { type?: unknown; topic?: unknown }
  if (type !== 'publish' || typeof topic !== 'string') return null
  return screenedRooms.get(topic) ?? null
}

/** Whether y-webrtc may read a room's signaling payload; acts on glare first. */
function screenSignal({ room, lastTokens, closed }: ScreenedRoom, data: unknown): boolean {
  if (closed) return false
  if (typeof data !== 'object' || data === null) return false
  const { type, from, to, token, signal } = data as { type?: unknown; from?: unknown; to?: unknown; token?: unknown; signal?: unknown }
  if (typeof from !== 'string' || (type !== 'announce' && type !== 'signal')) return false
  if (isBanned(room, from)) return false // it flooded a link: no new one
  if (type === 'announce') return screenAnnounce(room, data as { from: string; to?: unknown })
  if (to !== room.peerId) return true // y-webrtc's own checks suffice
  if (typeof signal !== 'object' || signal === null) return false
  // A Parley peer that offered before we heard it announce: its own rules pair us (stuck-links.ts).
  if (isMarked(data as Record<string, unknown>)) joinStateOf(room).parleyPeers.add(from)
  const kind = (signal as { type?: unknown }).type
  if (typeof kind !== 'string') return false
  const conn: WebrtcConn | undefined = room.webrtcConns.get(from)
  const link =
    conn === undefined ? undefined : { initiator: conn.peer.initiator === true, connected: conn.connected, token: conn.glareToken }
  const decision = decideSignal(link, { kind, token }, lastTokens.get(from))
  if (decision === 'drop') {
    if (kind === 'offer' && conn !== undefined && link?.initiator === true && !conn.connected) noteGlareWon(conn, Date.now())
    return false
  }
  if (decision === 'restart' && conn !== undefined) retireLink(room, conn)
  if (kind === 'offer' || kind === 'answer') lastTokens.set(from, token)
  if (kind === 'answer' && conn !== undefined) answeredLinks.add(conn)
  joinStateOf(room).lastSignalAt.set(from, Date.now()) // progress of the link to `from` (stuck-links.ts)
  return true
}

/**
 * Whether y-webrtc may read an announcement (it offers to the sender if it has no link yet):
 * between two Parley peers only the smaller id offers, and the larger one invites it to.
 */
function screenAnnounce(room: WebrtcRoom, data: { from: string; to?: unknown; [field: string]: unknown }): boolean {
  const join = joinStateOf(room)
  const marked = isMarkedAnnounce(data)
  if (marked && data.from !== room.peerId) join.parleyPeers.add(data.from)
  const conn: WebrtcConn | undefined = room.webrtcConns.get(data.from)
  const client = clientOf(data)
  const bridge = marked && data[BRIDGE_FIELD] === BRIDGE_VALUE
  // Another peer's bridge between our piece and one we miss is under way: ours wait (island-rule.ts).
  if (bridge && data.to !== room.peerId && data.from !== room.peerId && join.heard.size > 0) {
    noteBridgeHeard(join.heard, { peerId: data.from, client }, new Set(room.awareness.getStates().keys()), Date.now())
  }
  // Heard: it is in our piece of the room once its awareness state arrives (island-rule.ts).
  if (marked && client !== undefined && data.from !== room.peerId) noteHeard(join.heard, data.from, client, Date.now(), Math.random())
  // A peer at its cap takes us past it (cap-rule.ts): offer while we are lonely, whichever id is smaller.
  if (marked && data.to === room.peerId && data[TAKE_FIELD] === TAKE_VALUE) {
    return takesInvitation(room.webrtcConns.size, conn !== undefined)
  }
  // A peer that misses us asks for a bridge (island-rule.ts): offer past our cap if we miss it too.
  if (bridge && data.to === room.peerId) {
    const held = heldTakes(room, Date.now()) // drops lapsed places first
    const askedByUs = join.takes.has(data.from)
    const ask = {
      linked: conn !== undefined,
      askerPresent: client === undefined || room.awareness.getStates().has(client),
      links: room.webrtcConns.size,
      held: held - (askedByUs ? 1 : 0),
      maxConns: room.provider.maxConns,
      askedByUs,
      smaller: offersTo(room.peerId, data.from),
    }
    if (acceptsBridge(ask) && offerTo(room, data.from) !== null) join.cap.bridged++
    return false
  }
  // At our cap, an announcement or invitation from a lonely peer we have no link to: take it past the cap.
  if (conn === undefined && data.from !== room.peerId && (data.to === undefined || data.to === room.peerId)) {
    const links = data[LINKS_FIELD]
    const now = Date.now()
    const own = { links: room.webrtcConns.size, held: heldTakes(room, now), maxConns: room.provider.maxConns }
    if (
      takesPastCap(own, {
        marked,
        links: typeof links === 'number' ? links : undefined,
        lonely: data[LONELY_FIELD] === LONELY_VALUE,
      })
    ) {
      sendTakeInvitation(room, data.from, now)
      return false
    }
  }
  const decision = decideAnnounce(
    {
      peerId: room.peerId,
      link:
        conn === undefined
          ? undefined
          : {
              connected: conn.connected,
              initiator: conn.peer.initiator === true,
              // y-webrtc sets the token as our first signal (the offer) leaves, and clears it on an answer.
              awaitingAnswer: conn.glareToken !== undefined && !answeredLinks.has(conn),
              glareWon: wonGlare(conn),
              remade: remadeLinks.has(conn),
            },
      roomForMore: room.webrtcConns.size < room.provider.maxConns,
    },
    { from: data.from, to: typeof data.to === 'string' ? data.to : undefined, marked },
  )
  if (decision === 'invite') sendInvitation(room, data.from)
  if (decision === 'reoffer' && conn !== undefined) {
    const fresh = offerAnew(room, conn)
    if (fresh !== null) remadeLinks.add(fresh)
    join.lostOffers++
  }
  return decision === 'pass'
}

/** The awareness client id a marked announcement gives, if it gives a valid one. */
function clientOf(data: Record<string, unknown>): number | undefined {
  const client = data[CLIENT_FIELD]
  return typeof client === 'number' && Number.isSafeInteger(client) && client >= 0 ? client : undefined
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
