// RoomController in Node, over a room that talks to nobody: what it hands its host as a peer's
// signed message arrives and its check settles. A peer writes to a document linked to the room's,
// as the room tests do (test/room/room.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { RoomController } from '../../src/components/room-controller.js'
import { messagesOf } from '../../src/history/index.js'
import { generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import type { RoomOptions } from '../../src/room/index.js'

const closing: Array<() => void> = []
let nextRoom = 0

afterEach(() => {
  for (const close of closing.splice(0)) close()
})

/** Two linked documents: the controller's room opens one, a peer's room the other. */
function linkedDocs(): [Y.Doc, Y.Doc] {
  const [here, there] = [new Y.Doc(), new Y.Doc()]
  here.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== 'link') Y.applyUpdate(there, update, 'link')
  })
  there.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== 'link') Y.applyUpdate(here, update, 'link')
  })
  return [here, there]
}

/** A controller of a host that only counts its whole updates, connected to a room over `doc`. */
function controllerOver(doc: Y.Doc): RoomController {
  const host = { addController: () => {}, removeController: () => {}, requestUpdate: () => {}, updateComplete: Promise.resolve(true) }
  // The host hands its log the news itself (parley-chat does).
  const controller = new RoomController(host, () => true)
  const options: RoomOptions = { name: `controller-test-${process.pid}-${nextRoom++}`, signalingUrls: [], persist: false, doc }
  controller.setRoom(options)
  controller.hostConnected()
  closing.push(() => controller.hostDisconnected())
  return controller
}

describe('RoomController', () => {
  it("hands out a new verdictOf, not a new annotationOf, when a peer's message without annotations is checked", async () => {
    const [here, there] = linkedDocs()
    const controller = controllerOver(here)
    const topic = controller.room?.topic ?? ''
    const signer = await signerFor(await generateSigningKeys())
    const unsigned = {
      id: 'bo-1',
      authorId: signer.userId,
      authorName: 'Bo',
      text: 'from Bo',
      sentAt: Date.now(),
      publicKey: signer.publicKey,
    }
    messagesOf(there).push([{ ...unsigned, signature: await signer.sign(messageBytes(topic, unsigned)) }])
    await vi.waitFor(() => expect([...controller.messages].map((message) => message.text)).toEqual(['from Bo']))
    const [message] = controller.messages
    const { verdictOf, annotationOf } = controller
    expect(verdictOf(message)).toBe('pending')
    annotationOf(message)
    await vi.waitFor(() => expect(controller.verdictOf(message)).toBe('verified'))
    await vi.waitFor(() => expect(controller.verdictOf).not.toBe(verdictOf))
    // The log then asks again only about the entries drawn from a pending verdict (parley-message-list
    // `checksSettle`); a new annotationOf made it ask about every entry (on main: a new one here).
    expect(controller.annotationOf).toBe(annotationOf)
  })
})
