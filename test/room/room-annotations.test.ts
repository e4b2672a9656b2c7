// A Room's edits, deletions, reactions and replies in Node: written as annotations (the message
// records untouched), read back by target, counted when invalid, put back when deleted, and
// budgeted so that forgeries under someone's id do not spend that person's budget.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { AUTHOR_BUDGET, annotate, annotationsOf, messagesOf, type AnnotationRecord } from '../../src/history/index.js'
import { annotationBytes, generateSigningKeys, signerFor, type Signer } from '../../src/identity/index.js'
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

async function signedAuthor(name: string): Promise<Author & { signer: Signer }> {
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
    expect([...room.messages].map((m) => m.text)).toEqual(['hello', 'hi Alice'])
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

  it('applies Alice’s real edit and reaction after a flood of forged annotations claiming her', async () => {
    const { room, doc } = openRoom()
    const alice = await signedAuthor('Alice')
    const mallory = await signedAuthor('Mallory')
    const hello = await room.send(alice, 'hello')
    const at = hello.sentAt + 1
    /** A reaction claiming Alice, signed by Mallory, carrying `publicKey` (Mallory's: bad at once; Alice's: bad once checked). */
    const forged = async (index: number, publicKey: string): Promise<AnnotationRecord> => {
      const unsigned = { id: `forged-${index}`, kind: 'reaction' as const, target: hello.id, authorId: alice.userId, authorName: 'Alice' }
      const fields = { ...unsigned, content: '😢', on: true, sentAt: at, publicKey }
      return { ...fields, signature: await mallory.signer.sign(annotationBytes(room.topic, fields)) }
    }
    // Twice Alice's burst of each kind of forgery, all at one claimed time: enough to use up her
    // budget several times over were forgeries charged to her.
    const flood = AUTHOR_BUDGET.messageBurst * 2
    const records: AnnotationRecord[] = []
    for (let index = 0; index < flood; index++) records.push(await forged(index, mallory.signer.publicKey))
    for (let index = flood; index < 2 * flood; index++) records.push(await forged(index, alice.signer.publicKey))
    annotationsOf(doc).push(records)

    const edit = await room.edit(alice, hello.id, 'hello, really', at)
    const reaction = await room.react(alice, hello.id, '👍', true, at)
    await vi.waitFor(() => {
      const ids = room.annotationsOf(hello.id).map((a) => a.id)
      expect(ids).toContain(edit.id)
      expect(ids).toContain(reaction.id)
    })
    const real = new Set([edit.id, reaction.id])
    const folded = annotate(hello, 'verified', room.annotationsOf(hello.id), (a) => (real.has(a.id) ? 'verified' : 'unverified'))
    expect(folded).toMatchObject({
      text: 'hello, really',
      edited: true,
      reactions: [{ emoji: '👍', reactors: [{ authorId: alice.userId }] }],
    })
    // The forgeries were budgeted in a lane of their own: some hidden, none in Alice's.
    expect(room.stats().hiddenAnnotations).toBeGreaterThan(0)
  })
})
