// A Room's edits, deletions, reactions and replies in Node: written as annotations (the message
// records untouched), read back by target, counted when invalid, and put back when deleted.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { annotate, annotationsOf, messagesOf } from '../../src/history/index.js'
import { generateSigningKeys, signerFor } from '../../src/identity/index.js'
import { Room, type Author } from '../../src/room/index.js'

const rooms: Room[] = []
let nextRoom = 0

afterEach(() => {
  for (const room of rooms.splice(0)) room.close()
})

/** A room that talks to nobody, and its document. */
function openRoom(): { room: Room; doc: Y.Doc } {
  const doc = new Y.Doc()
  const room = new Room({ name: `annotations-test-${process.pid}-${nextRoom++}`, signalingUrls: [], persist: false, doc })
  rooms.push(room)
  return { room, doc }
}

async function signedAuthor(name: string): Promise<Author> {
  const signer = await signerFor(await generateSigningKeys())
  return { name, userId: signer.userId, signer }
}

describe('Room annotations', () => {
  it('edits, deletes, reacts and replies with signed annotations, leaving message records as written', async () => {
    const { room, doc } = openRoom()
    const alice = await signedAuthor('Alice')
    const bob = await signedAuthor('Bob')
    const hello = await room.send(alice, 'hello')
    const before = JSON.stringify(messagesOf(doc).toArray())
    const versions: number[] = []
    room.onAnnotations(() => versions.push(room.annotationsVersion))

    await room.edit(alice, hello.id, 'hello, edited', hello.sentAt + 1)
    await room.react(bob, hello.id, '🎉', true, hello.sentAt + 2)
    const reply = await room.reply(bob, hello.id, 'hi Alice', hello.sentAt + 3)
    await room.remove(alice, hello.id, hello.sentAt + 4)

    expect(JSON.stringify(messagesOf(doc).toArray().slice(0, 1))).toBe(before)
    expect(room.messages.map((m) => m.text)).toEqual(['hello', 'hi Alice'])
    expect(room.annotationsOf(hello.id).map((a) => a.kind)).toEqual(['edit', 'reaction', 'delete'])
    expect(room.annotationsOf(reply.id).map((a) => [a.kind, a.content])).toEqual([['reply', hello.id]])
    expect(room.indexOf(reply.id)).toBe(1)
    expect(versions).toEqual([1, 2, 3, 4])
    expect(
      annotationsOf(doc)
        .toArray()
        .every((a) => typeof (a as { signature?: unknown }).signature === 'string'),
    ).toBe(true)
    const folded = annotate(hello, 'verified', room.annotationsOf(hello.id), () => 'verified')
    expect(folded).toMatchObject({ deleted: true, text: '', reactions: [{ emoji: '🎉', reactors: [{ authorName: 'Bob' }] }] })
  })

  it('refuses to write a reaction outside the set, or an empty edit', async () => {
    const { room } = openRoom()
    const alice = await signedAuthor('Alice')
    await expect(room.react(alice, 'm1', '<script>', true)).rejects.toThrow()
    await expect(room.edit(alice, 'm1', '   ')).rejects.toThrow()
  })

  it('counts invalid annotations as skipped, and puts deleted ones back', async () => {
    const { room, doc } = openRoom()
    const alice = await signedAuthor('Alice')
    annotationsOf(doc).push([{ kind: 'edit' }, 'x', null])
    expect(room.stats().skippedAnnotations).toBe(3)
    const hello = await room.send(alice, 'hello')
    await room.react(alice, hello.id, '👍', true)
    const reactionAt = annotationsOf(doc).length - 1
    annotationsOf(doc).delete(reactionAt, 1)
    expect(room.stats().restoredAnnotations).toBe(1)
    await vi.waitFor(() => expect(room.annotationsOf(hello.id).map((a) => a.content)).toEqual(['👍']))
    expect(annotationsOf(doc).length).toBe(reactionAt + 1)
  })
})
