// RoomPresence in Chromium: the typing state a send ends waits, once the message has left, for
// an idle moment of the page (Node has none: whenIdle runs at once there).
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

/** A task posted now: it runs before any idle moment the page has next. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(null)
  })
}

describe('RoomPresence after a send, in a browser', () => {
  it('signs the typing state a send ends in an idle moment after the message left, not in the task it left in', async () => {
    const real = await signerFor(await generateSigningKeys())
    let signatures = 0
    const signer: Signer = {
      ...real,
      sign: async (bytes) => {
        signatures++
        return real.sign(bytes)
      },
    }
    let inFlight: Promise<void> | null = null
    let left = (): void => {}
    const awareness = new Awareness(new Y.Doc())
    const presence = new RoomPresence(awareness, 'topic', () => inFlight)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      presence.input()
      await expect.poll(() => publishedTyping(awareness)).toBe(true)

      inFlight = new Promise<void>((resolve) => {
        left = resolve
      })
      const before = signatures
      presence.stopTyping('send')
      inFlight = null
      left()
      // The room's store write of the message is such a task: the typing state is not signed
      // (nor published, nor drawn) in it, nor in the microtasks of the message's leaving.
      await nextTask()
      expect(signatures).toBe(before)
      expect(publishedTyping(awareness)).toBe(true)

      await expect.poll(() => publishedTyping(awareness)).toBe(false)
      expect(signatures).toBe(before + 2) // the state and its goodbye
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})
