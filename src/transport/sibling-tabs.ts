// This browser's other tabs in the room, which reach this tab over BroadcastChannel without any
// network: y-webrtc keeps their peer ids in `room.bcConns`, adding a tab once it answered and
// removing one only when its room disconnects. A closing page does not disconnect (the room leaves
// on pagehide, room-handlers.ts), so it posts its leaving itself, as y-webrtc's disconnect does.
import * as bc from 'lib0/broadcastchannel'
import * as encoding from 'lib0/encoding'
import { encryptAsYWebrtc } from './sibling-sync-after-load.js'
import { MESSAGE_BC_PEER_ID } from './y-webrtc-messages.js'

/** The members of y-webrtc's Room this relies on (y-webrtc-internals.ts lists them). */
export interface SiblingTabsRoom {
  readonly name: string
  readonly peerId: string
  /** A private room's key; y-webrtc encrypts what it posts to siblings with it. */
  readonly key: CryptoKey | null
  readonly bcconnected: boolean
  readonly bcConns: ReadonlySet<string>
}

/** How many of this browser's other tabs reach the room's tab now (0 before the room opens). */
export function siblingTabsOf(room: SiblingTabsRoom | null): number {
  return room?.bcconnected ? room.bcConns.size : 0
}

/**
 * Tells the sibling tabs this one is leaving, so they no longer count it. Encrypting takes a
 * moment in a private room: a page that is gone by then leaves its siblings counting it.
 */
export function postLeaving(room: SiblingTabsRoom): void {
  if (!room.bcconnected) return
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_BC_PEER_ID)
  encoding.writeUint8(encoder, 0)
  encoding.writeVarString(encoder, room.peerId)
  void encryptAsYWebrtc(encoding.toUint8Array(encoder), room.key).then((data) => {
    if (room.bcconnected) bc.publish(room.name, data)
  })
}
