// Hostile peers in a room of two browsers: one forges messages and presence through its own
// Yjs document; one spews garbage over the data channel, floods awareness and deletes.
// Neither may crash anyone or corrupt what the others see.
import { describe, expect, it } from 'vitest'
import { nodeRtc } from './history-harness.js'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import type { Page } from 'playwright-core'
import { topicFor } from '../../src/address/index.js'
import { Room } from '../../src/room/index.js'
import { encodeMessageRecord, keysOf, messagesOf, type MessageRecord } from '../../src/history/index.js'
import { fromBase64url, generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import { expectMessages, joinRoom, roomUrl, sendMessage, shownMembers, shownMessages, uniqueRoom, useChatStack } from './harness.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const stack = useChatStack(2)
const pageErrors: string[] = []

/** Alice and Bob in a fresh room, Alice having said hello; page errors are collected. */
async function roomOfTwo(label: string): Promise<{ room: string; a: Page; b: Page }> {
  const room = uniqueRoom(label)
  const url = roomUrl(stack.site.url, stack.signaling.url, room)
  const a = await joinRoom(stack.browsers[0], url, 'Alice')
  const b = await joinRoom(stack.browsers[1], url, 'Bob')
  for (const page of [a, b]) page.on('pageerror', (error) => pageErrors.push(error.message))
  await sendMessage(a, 'hello')
  await expectMessages(b, ['Alice: hello'])
  return { room, a, b }
}

/** Waits until `read` returns a value that is not undefined. */
async function until<T>(read: () => T | undefined): Promise<T> {
  await expect.poll(read, { timeout: 15_000, interval: 50 }).not.toBeUndefined()
  return read() as T
}

describe('a forging peer', () => {
  it("cannot pass a message or a presence off as someone else's", async () => {
    const { room, a, b } = await roomOfTwo('forge')
    const malloryDoc = new Y.Doc()
    const mallory = new Room({ name: room, signalingUrls: [stack.signaling.url], iceServers: [], wrtc: nodeRtc, doc: malloryDoc })
    try {
      const genuine = await until(() => [...mallory.messages].find((m) => m.text === 'hello'))
      const aliceId = genuine.authorId
      // 1. Alice's key and signature, on words she never wrote.
      const tampered: MessageRecord = { ...genuine, id: 'forged-1', text: 'I owe Mallory 1000', sentAt: Date.now() }
      // 2. A valid signature, by Mallory's own key, on a message claiming Alice's id.
      const malloryKey = await signerFor(await generateSigningKeys())
      const claim = {
        id: 'forged-2',
        authorId: aliceId,
        authorName: 'Alice',
        text: 'Mallory is right',
        sentAt: Date.now(),
        publicKey: malloryKey.publicKey,
      }
      const misattributed: MessageRecord = { ...claim, signature: await malloryKey.sign(messageBytes(mallory.topic, claim)) }
      messagesOf(malloryDoc).push([tampered, misattributed])
      // 1 and 2 again in the compact format, whose key is looked up by author id: Alice's own key
      // is found for the tampered words, and Mallory's key, added to the room's keys, is filed
      // under Mallory's fingerprint, not Alice's.
      const compactClaim = { ...claim, id: 'forged-4', text: 'Mallory is right, compactly' }
      const compactMisattributed = { ...compactClaim, signature: await malloryKey.sign(messageBytes(mallory.topic, compactClaim)) }
      malloryDoc.transact(() => {
        keysOf(malloryDoc).push([fromBase64url(malloryKey.publicKey)])
        messagesOf(malloryDoc).push([
          encodeMessageRecord({ ...tampered, id: 'forged-3', text: 'I owe Mallory 2000' }),
          encodeMessageRecord({ ...compactMisattributed, publicKey: undefined }),
        ])
      })
      // 3. Alice's presence, with her key but no signature of hers over this tab: a "signer"
      // that replays her message's signature.
      const replayed = { userId: aliceId, publicKey: genuine.publicKey ?? '', sign: async () => genuine.signature ?? '' }
      await mallory.presence.join({ userId: aliceId, name: 'Alice', signer: replayed })

      for (const page of [a, b]) {
        await expectMessages(page, [
          'Alice: hello',
          '⚠ Alice (unverified): I owe Mallory 1000',
          '⚠ Alice (unverified): Mallory is right',
          '⚠ Alice (unverified): I owe Mallory 2000',
          '⚠ Alice (unverified): Mallory is right, compactly',
        ])
      }
      // The forged tab is listed apart, marked; the real Alice stays verified.
      await expect
        .poll(async () => (await shownMembers(b)).sort(), { timeout: 15_000 })
        .toEqual(['Alice', 'Bob (you)', '⚠ Alice (unverified)'].sort())
      // Alice's own messages still show as hers.
      await sendMessage(a, 'that was not me')
      await expect.poll(() => shownMessages(b)).toContain('Alice: that was not me')
    } finally {
      mallory.close()
    }
    await Promise.all([a.close(), b.close()])
  })
})

describe('a garbage-spewing peer', () => {
  it('does not break a room of two browsers', async () => {
    const { room, a, b } = await roomOfTwo('garbage')
    const doc = new Y.Doc()
    const provider = new WebrtcProvider(topicFor({ name: room, secret: null }), doc, {
      signaling: [stack.signaling.url],
      peerOpts: { wrtc: nodeRtc, config: { iceServers: [] } },
    })
    try {
      await expect
        .poll(() => [...(provider.room?.webrtcConns.values() ?? [])].filter((conn) => conn.connected).length, { timeout: 15_000 })
        .toBe(2)
      await expect.poll(() => messagesOf(doc).length, { timeout: 15_000 }).toBe(1)
      const conns = [...(provider.room?.webrtcConns.values() ?? [])]
      // Random bytes on y-webrtc's own channel.
      let seed = 7
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31
        return seed
      }
      for (let i = 0; i < 300; i++) {
        const garbage = Uint8Array.from({ length: 1 + (random() % 200) }, () => random() % 256)
        for (const conn of conns) conn.peer.send(garbage)
      }
      // An awareness flood, malformed records, and a deletion of Alice's message.
      for (let i = 0; i < 500; i++) provider.awareness.setLocalStateField('noise', i)
      messagesOf(doc).push([{ evil: true }, 'x', 42, null, { id: 'e', text: 5 }])
      messagesOf(doc).delete(0, 1)

      await sendMessage(b, 'still here?')
      await sendMessage(a, 'yes, and hello is back')
      for (const page of [a, b]) {
        await expectMessages(page, ['Alice: hello', 'Bob: still here?', 'Alice: yes, and hello is back'])
      }
      // The garbage never reached y-webrtc: no page saw an uncaught error.
      expect(pageErrors).toEqual([])
    } finally {
      provider.disconnect()
      provider.destroy()
      doc.destroy()
    }
    await Promise.all([a.close(), b.close()])
  })
})
