// Awareness as an honest room holds it: tabs that each signed their state with a key of their own
// (RoomPresence, as a page does), for tests and benchmarks of what an awareness message weighs.
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { generateSigningKeys, MAX_NAME_CHARS, signerFor } from '../../src/identity/index.js'
import { RoomPresence } from '../../src/membership/room-presence.js'

/** y-webrtc's message type of awareness updates (lib0 varUint). */
const MESSAGE_AWARENESS = 1
/** How often a tab's signed typing state is looked for while it is signed, in ms. */
const SIGNED_POLL_MS = 2

/**
 * A y-protocols awareness update with `tabs` tabs of a room on `topic`, each a user of its own
 * with a name of MAX_NAME_CHARS characters, typing: the largest state an honest tab signs, and
 * its claim that it answers rumors. Returns the update and the tabs' client ids.
 */
export async function signedTabsUpdate(tabs: number, topic: string): Promise<{ update: Uint8Array; clients: number[] }> {
  const room = new Awareness(new Y.Doc())
  const clients: number[] = []
  try {
    for (let i = 0; i < tabs; i++) {
      const signer = await signerFor(await generateSigningKeys())
      const awareness = new Awareness(new Y.Doc())
      const presence = new RoomPresence(awareness, topic)
      try {
        await presence.join({ userId: signer.userId, name: `${i} `.padEnd(MAX_NAME_CHARS, 'n'), signer })
        presence.input()
        while ((awareness.getLocalState() as { presence?: { meta?: { typing?: boolean } } } | null)?.presence?.meta?.typing !== true)
          await new Promise((resolve) => setTimeout(resolve, SIGNED_POLL_MS))
        applyAwarenessUpdate(room, encodeAwarenessUpdate(awareness, [awareness.clientID]), 'tab')
        clients.push(awareness.clientID)
      } finally {
        presence.destroy()
        awareness.destroy()
      }
    }
    return { update: encodeAwarenessUpdate(room, clients), clients }
  } finally {
    room.destroy()
  }
}

/** An awareness update as y-webrtc sends it: a message of type 1 carrying `update`. */
export function awarenessMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

/**
 * An awareness update of one made-up client whose state is a JSON string of about `bytes`
 * characters: what a hostile peer sends to make others parse and hold it.
 */
export function junkAwarenessUpdate(bytes: number, client = 4242): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1) // one entry
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, 1) // its clock
  encoding.writeVarString(encoder, JSON.stringify({ junk: 'x'.repeat(bytes) }))
  return encoding.toUint8Array(encoder)
}
