// What the chat says about its connection: only what the page knows (whether the browser is
// online, whether a signaling server answers, whether peers are linked), as the header's line and the members' heading.
import type { RoomConnection } from '../room/index.js'

/**
 * `online`: a signaling server answers (alone in the room or not); `linked`: it does not, but
 * peers already linked still chat; `connecting`: the first attempt is under way; `unreachable`:
 * attempts fail and go on; `offline`: the browser says it has no network, and no peer is linked;
 * `tabs` and `offline-tabs`: as `unreachable` and `offline`, but this browser's other tabs in the
 * room still reach this one (over BroadcastChannel, no network needed);
 * `cannot-connect`: the connection code never loaded (the header says so already).
 */
export type ConnectionStatus = 'online' | 'linked' | 'connecting' | 'unreachable' | 'offline' | 'tabs' | 'offline-tabs' | 'cannot-connect'

/** What decides the status: the room's connection, the browser's `navigator.onLine`, a failed load. */
export interface ConnectionFacts {
  connection: RoomConnection
  browserOnline: boolean
  cannotConnect: boolean
}

export function connectionStatus({ connection, browserOnline, cannotConnect }: ConnectionFacts): ConnectionStatus {
  if (cannotConnect) return 'cannot-connect'
  // Linked peers are reached without the server (and a loopback link without a network).
  if (connection.links > 0) return connection.signaling === 'connected' ? 'online' : 'linked'
  const tabs = connection.siblingTabs > 0
  if (!browserOnline) return tabs ? 'offline-tabs' : 'offline'
  if (connection.signaling === 'connected') return 'online'
  if (connection.signaling === 'unreachable' && tabs) return 'tabs'
  return connection.signaling
}

/** The header's line for a status; empty when all is well, or another line says it (`cannot-connect`). */
export const CONNECTION_NOTES: Record<ConnectionStatus, string> = {
  online: '',
  'cannot-connect': '',
  connecting: 'Connecting…',
  unreachable: "Can't reach the signaling server, retrying. Your messages wait on this device.",
  offline: 'You are offline. Your messages wait on this device.',
  tabs: "Can't reach the signaling server, retrying. Your other tabs here still get your messages; nobody else can.",
  'offline-tabs': 'You are offline. Your other tabs here still get your messages; nobody else can.',
  linked: "Can't reach the signaling server, retrying. Those already linked still get your messages; nobody new can join.",
}

/** The members panel's heading word: "Online" only while another browser can reach this tab. */
export function membersHeading(status: ConnectionStatus): string {
  if (status === 'online' || status === 'linked') return 'Online'
  if (status === 'tabs' || status === 'offline-tabs') return 'This browser'
  if (status === 'connecting') return 'Connecting'
  return 'Not connected'
}
