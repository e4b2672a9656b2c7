// Every private member of y-webrtc that Parley's adaptations rely on, with the kind each must
// have, and the check that a live provider still has them: an upgrade that changes one fails at once.
import * as yWebrtc from 'y-webrtc'
import type { WebrtcProvider } from 'y-webrtc'

/** The y-webrtc version these members were read from (package.json pins it; a test compares). */
export const Y_WEBRTC_VERSION = '10.3.0'

/** What a member must be, as the error message says it and as `matches` tests it. */
interface Kind {
  expected: string
  matches(value: unknown): boolean
}

const KINDS = {
  function: { expected: 'a function', matches: (value) => typeof value === 'function' },
  string: { expected: 'a string', matches: (value) => typeof value === 'string' },
  boolean: { expected: 'a boolean', matches: (value) => typeof value === 'boolean' },
  number: { expected: 'a number', matches: (value) => typeof value === 'number' },
  object: { expected: 'an object', matches: (value) => typeof value === 'object' && value !== null },
  objectOrNull: { expected: 'an object or null', matches: (value) => typeof value === 'object' },
  numberOrUndefined: { expected: 'a number or undefined', matches: (value) => value === undefined || typeof value === 'number' },
  array: { expected: 'an array', matches: (value) => Array.isArray(value) },
  map: { expected: 'a Map', matches: (value) => value instanceof Map },
  set: { expected: 'a Set', matches: (value) => value instanceof Set },
  promise: {
    expected: 'a Promise',
    matches: (value) => typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function',
  },
  listenerMap: {
    expected: "a Map whose 'message' entry is a Set of listeners",
    matches: (value) => value instanceof Map && value.get('message') instanceof Set,
  },
  webrtcConnClass: {
    expected: 'a class taking (signalingConn, initiator, remotePeerId, room)',
    matches: (value) => typeof value === 'function' && value.length === 4,
  },
} satisfies Record<string, Kind>

/**
 * Where a member lives: the module's exports, the provider, each of its signaling connections,
 * its room (once open), each link (WebrtcConn) of the room, and each link's simple-peer.
 */
export type InternalOwner = 'y-webrtc' | 'provider' | 'signalingConn' | 'room' | 'link' | 'link.peer'

/** One private member of y-webrtc that Parley uses. */
export interface YWebrtcInternal {
  owner: InternalOwner
  member: string
  kind: keyof typeof KINDS
  /** The adaptations that rely on it. */
  usedBy: string
}

/**
 * Every private member of y-webrtc 10.3 that src/transport reads, writes or calls (public API,
 * such as the constructor's options, `on`/`off` and `provider.awareness`, is not listed).
 * Not a member, but relied on too: the data channel's message format (y-webrtc-messages.ts), the
 * encrypted signaling payload format (decryptPayload in signal-screen.ts) and BroadcastChannel
 * message format (sibling-sync-after-load.ts), lib0's
 * broadcastchannel module being the one y-webrtc posts through, and the signal fields `type`, `from`, `to`, `token` (signal-glare.ts).
 */
export const Y_WEBRTC_INTERNALS: readonly YWebrtcInternal[] = [
  { owner: 'y-webrtc', member: 'WebrtcConn', kind: 'webrtcConnClass', usedBy: 'reofferStuckLinks' },
  { owner: 'provider', member: 'key', kind: 'promise', usedBy: 'openTransport, screenSignals' },
  { owner: 'provider', member: 'room', kind: 'objectOrNull', usedBy: 'openTransport' },
  {
    owner: 'provider',
    member: 'signalingConns',
    kind: 'array',
    usedBy: 'screenSignals, reofferStuckLinks, sendInvitation, publishAnnounce',
  },
  {
    owner: 'provider',
    member: 'connected',
    kind: 'boolean',
    usedBy: 'keepLivenessRemovalsLocal, reofferStuckLinks, sendInvitation, publishAnnounce',
  },
  { owner: 'provider', member: 'maxConns', kind: 'number', usedBy: 'screenSignals, keepJoinsPastCap, reofferStuckLinks, Relay' },
  { owner: 'signalingConn', member: '_observers', kind: 'listenerMap', usedBy: 'screenSignals' },
  {
    owner: 'signalingConn',
    member: 'connected',
    kind: 'boolean',
    usedBy: 'reofferStuckLinks, screenSignals, sendInvitation, publishAnnounce, Transport.signaling',
  },
  // lib0's WebsocketClient count of failed attempts since the last connection: the room's signaling state (signaling-state.ts).
  { owner: 'signalingConn', member: 'unsuccessfulReconnects', kind: 'number', usedBy: 'Transport.signaling' },
  // lib0's WebsocketClient method: screenSignals wraps it to mark announcements and signals (offer-rule.ts).
  { owner: 'signalingConn', member: 'send', kind: 'function', usedBy: 'screenSignals, sendInvitation, publishAnnounce' },
  { owner: 'room', member: 'name', kind: 'string', usedBy: 'screenSignals, sendInvitation, publishAnnounce, postLeaving' },
  {
    owner: 'room',
    member: 'peerId',
    kind: 'string',
    usedBy: 'screenSignals, sendInvitation, reofferStuckLinks, keepJoinsPastCap, postLeaving',
  },
  { owner: 'room', member: 'key', kind: 'objectOrNull', usedBy: 'screenSignals, sendInvitation, publishAnnounce, postLeaving' },
  { owner: 'room', member: 'provider', kind: 'object', usedBy: 'keepLivenessRemovalsLocal, screenSignals, reofferStuckLinks, Relay' },
  { owner: 'room', member: 'doc', kind: 'object', usedBy: 'relayDocumentChangesAfterDraw, Relay, SiblingSyncAfterLoad' },
  { owner: 'room', member: 'awareness', kind: 'object', usedBy: 'keepLivenessRemovalsLocal, Relay, screenSignals, keepJoinsPastCap' },
  {
    owner: 'room',
    member: 'webrtcConns',
    kind: 'map',
    usedBy: 'screenSignals, reofferStuckLinks, retireLink, banPeerOf, Relay, keepJoinsPastCap',
  },
  { owner: 'room', member: '_awarenessUpdateHandler', kind: 'function', usedBy: 'keepLivenessRemovalsLocal, Relay' },
  { owner: 'room', member: '_docUpdateHandler', kind: 'function', usedBy: 'relayDocumentChangesAfterDraw, Relay' },
  { owner: 'room', member: '_beforeUnloadHandler', kind: 'function', usedBy: 'dropBeforeUnloadHook' },
  // What y-webrtc subscribes to lib0's BroadcastChannel for the room (read again as it connects and disconnects).
  { owner: 'room', member: '_bcSubscriber', kind: 'function', usedBy: 'SiblingSyncAfterLoad' },
  { owner: 'room', member: 'bcconnected', kind: 'boolean', usedBy: 'SiblingSyncAfterLoad, Relay, Transport.siblingTabs, postLeaving' },
  // The peer ids of this browser's other tabs in the room, as y-webrtc heard them over BroadcastChannel.
  { owner: 'room', member: 'bcConns', kind: 'set', usedBy: 'Relay, Transport.siblingTabs' },
  { owner: 'link', member: 'remotePeerId', kind: 'string', usedBy: 'screenSignals, reofferStuckLinks, banPeerOf, Relay, keepJoinsPastCap' },
  { owner: 'link', member: 'connected', kind: 'boolean', usedBy: 'screenSignals, reofferStuckLinks, Relay, keepJoinsPastCap' },
  { owner: 'link', member: 'room', kind: 'object', usedBy: 'Relay' },
  { owner: 'link', member: 'closed', kind: 'boolean', usedBy: 'retireLink, keepJoinsPastCap, Relay' },
  { owner: 'link', member: 'glareToken', kind: 'numberOrUndefined', usedBy: 'screenSignals' },
  { owner: 'link', member: 'peer', kind: 'object', usedBy: 'screenSignals, retireLink, reofferStuckLinks, keepJoinsPastCap' },
  { owner: 'link.peer', member: 'initiator', kind: 'boolean', usedBy: 'screenSignals, reofferStuckLinks' },
  // simple-peer's EventEmitter method: reofferStuckLinks and keepJoinsPastCap hear a link's progress through it (reofferStuckLinks its close too), Relay its 'connect'.
  { owner: 'link.peer', member: 'on', kind: 'function', usedBy: 'reofferStuckLinks, Relay, keepJoinsPastCap' },
  { owner: 'link.peer', member: 'emit', kind: 'function', usedBy: 'retireLink' },
  // simple-peer's public send, on y-webrtc's private `peer`: a repair's sync request, or a catch-up part, to one link.
  { owner: 'link.peer', member: 'send', kind: 'function', usedBy: 'Relay' },
  { owner: 'link.peer', member: 'destroy', kind: 'function', usedBy: 'retireLink, banPeerOf, keepJoinsPastCap' },
  // simple-peer's, not y-webrtc's: the RTCPeerConnection of a link (null once destroyed).
  { owner: 'link.peer', member: '_pc', kind: 'objectOrNull', usedBy: 'banPeerOf, Relay, CrossedChannels' },
]

/** The y-webrtc exports the check looks at (the module itself, unless a test passes a changed copy). */
export type YWebrtcExports = Readonly<Record<string, unknown>>

/**
 * Throws an Error naming the first listed member that `provider` (and what it holds now: its
 * signaling connections, its room once open, the room's links) lacks or has of another kind.
 */
export function checkYWebrtcInternals(provider: WebrtcProvider, exports: YWebrtcExports = yWebrtc): void {
  const owners = ownersOf(provider, exports)
  for (const internal of Y_WEBRTC_INTERNALS) {
    for (const owner of owners[internal.owner]) checkMember(owner, internal)
  }
}

/** The objects of each owner kind that exist now; a room not yet open has no room or links. */
function ownersOf(provider: WebrtcProvider, exports: YWebrtcExports): Record<InternalOwner, object[]> {
  const value = provider as unknown as Record<string, unknown>
  const room = value.room
  const roomRecord = typeof room === 'object' && room !== null ? (room as Record<string, unknown>) : null
  const links = roomRecord?.webrtcConns instanceof Map ? [...roomRecord.webrtcConns.values()].filter(isObject) : []
  return {
    'y-webrtc': [exports],
    provider: [provider],
    signalingConn: Array.isArray(value.signalingConns) ? value.signalingConns.filter(isObject) : [],
    room: roomRecord === null ? [] : [roomRecord],
    link: links,
    'link.peer': links.map((link) => (link as Record<string, unknown>).peer).filter(isObject),
  }
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

function checkMember(owner: object, { owner: ownerName, member, kind }: YWebrtcInternal): void {
  const { expected, matches } = KINDS[kind] as Kind
  const name = `${ownerName}.${member}`
  if (!(member in owner)) throw changed(`${name} is missing (expected ${expected})`)
  const found = (owner as Record<string, unknown>)[member]
  if (!matches(found)) throw changed(`${name} is ${describe(found)} (expected ${expected})`)
}

function changed(what: string): Error {
  return new Error(
    `y-webrtc changed: ${what}; Parley's adaptations rely on it. They were written for y-webrtc ${Y_WEBRTC_VERSION}: ` +
      'review src/transport/y-webrtc-internals.ts against the installed version.',
  )
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'undefined'
  if (value instanceof Map) return 'a Map'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'function') return `a function of ${value.length} parameters`
  return `a ${typeof value}`
}
