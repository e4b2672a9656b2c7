// RoomPresence and the room's messages in flight: a state signed while a message is being signed
// (the typing state a send ends) is published only after the message has left.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { generateSigningKeys, signerFor, type Signer } from '../../src/identity/index.js'
import type { MemberMeta } from '../../src/membership/members.js'
import { RoomPresence } from '../../src/membership/room-presence.js'

/** The typing flag this tab publishes in its awareness state, if any. */
function publishedTyping(awareness: Awareness): boolean | undefined {
  const state = awareness.getLocalState() as { presence?: { meta: MemberMeta } | null } | null
  return state?.presence?.meta.typing
}

describe('RoomPresence with messages in flight', () => {
  it('holds a state signed while messages are in flight until they have left, then publishes it', async () => {
    const awareness = new Awareness(new Y.Doc())
    const real = await signerFor(await generateSigningKeys())
    let signatures = 0
    const signer: Signer = {
      ...real,
      sign: async (bytes) => {
        const signature = await real.sign(bytes)
        signatures++
        return signature
      },
    }
    let inFlight: Promise<void> | null = null
    const presence = new RoomPresence(awareness, 'topic', () => inFlight)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      presence.input()
      await expect.poll(() => publishedTyping(awareness)).toBe(true)

      let left = (): void => {}
      inFlight = new Promise<void>((resolve) => {
        left = resolve
      })
      const before = signatures
      presence.stopTyping('send')
      await expect.poll(() => signatures).toBe(before + 2) // the state and its goodbye
      // Signed, and everything those signatures set going has run: still held behind the message.
      await new Promise((resolve) => setImmediate(resolve))
      expect(publishedTyping(awareness)).toBe(true)

      inFlight = null
      left()
      await expect.poll(() => publishedTyping(awareness)).toBe(false)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })

  it('publishes at once when no message is in flight', async () => {
    const awareness = new Awareness(new Y.Doc())
    const signer = await signerFor(await generateSigningKeys())
    const presence = new RoomPresence(awareness, 'topic', () => null)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      presence.input()
      await expect.poll(() => publishedTyping(awareness)).toBe(true)
      presence.stopTyping('send')
      await expect.poll(() => publishedTyping(awareness)).toBe(false)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})
