// The room's key directory: a key is found under its own fingerprint only, no entry another peer
// writes can displace it, and a deleted key stays known and is put back in the document.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { keyDirectoryOf } from '../../src/history/author-keys.js'
import { appendMessage, readMessages } from '../../src/history/messages.js'
import { keysOf, type MessageRecord } from '../../src/history/schema.js'
import { fromBase64url, generateSigningKeys, messageBytes, signerFor, type Signer } from '../../src/identity/index.js'

const TOPIC = 'parley-v1-keys-test'
const newSigner = async () => signerFor(await generateSigningKeys())

async function signedBy(signer: Signer, text = 'hello'): Promise<MessageRecord> {
  const body = { id: `m-${text}`, authorId: signer.userId, authorName: 'Alice', text, sentAt: 1000, publicKey: signer.publicKey }
  return { ...body, signature: await signer.sign(messageBytes(TOPIC, body)) }
}

/** Peers that exchange every update. */
function mesh(count: number): Y.Doc[] {
  const docs = Array.from({ length: count }, () => new Y.Doc())
  for (const doc of docs) {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      for (const other of docs) if (other !== doc && origin !== other) Y.applyUpdate(other, update, doc)
    })
  }
  return docs
}

/** Lets queued microtasks (the directory's restores) run. */
const microtasks = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('the key directory', () => {
  it('finds a key under its fingerprint, and ignores entries that are not raw keys', async () => {
    const alice = await newSigner()
    const doc = new Y.Doc()
    keysOf(doc).push([fromBase64url(alice.publicKey), new Uint8Array(31), 'a key?', { k: alice.publicKey }, 42])
    const directory = keyDirectoryOf(doc)
    expect(directory.keyOf(alice.userId)).toBe(alice.publicKey)
    expect(directory.keyOf('someone-else')).toBeUndefined()
  })

  it("cannot be displaced: keys written before or after, by anyone, leave the author's in place", async () => {
    const alice = await newSigner()
    const mallory = await newSigner()
    const [aliceDoc, malloryDoc] = mesh(2) as [Y.Doc, Y.Doc]
    keysOf(malloryDoc).push([fromBase64url(mallory.publicKey)]) // before Alice's
    appendMessage(aliceDoc, await signedBy(alice))
    keysOf(malloryDoc).insert(0, [fromBase64url(mallory.publicKey), crypto.getRandomValues(new Uint8Array(32))])
    for (const doc of [aliceDoc, malloryDoc]) {
      expect(keyDirectoryOf(doc).keyOf(alice.userId)).toBe(alice.publicKey)
      expect(readMessages(doc).messages[0]?.publicKey).toBe(alice.publicKey)
    }
  })

  it('keeps a deleted key, and puts it back for peers that join later', async () => {
    const alice = await newSigner()
    const [aliceDoc, bobDoc, malloryDoc] = mesh(3) as [Y.Doc, Y.Doc, Y.Doc]
    appendMessage(aliceDoc, await signedBy(alice))
    keyDirectoryOf(bobDoc)
    keysOf(malloryDoc).delete(0, keysOf(malloryDoc).length)
    // Bob read the key before it was deleted: he still finds it.
    expect(keyDirectoryOf(bobDoc).keyOf(alice.userId)).toBe(alice.publicKey)
    await microtasks()
    const late = new Y.Doc()
    Y.applyUpdate(late, Y.encodeStateAsUpdate(malloryDoc))
    expect(readMessages(late).messages[0]?.publicKey).toBe(alice.publicKey)
  })

  it('re-adds its key with the next message when the document lost it', async () => {
    const alice = await newSigner()
    const doc = new Y.Doc()
    appendMessage(doc, await signedBy(alice, 'one'))
    // A peer whose directory never saw the key (made after the deletion) still writes it back.
    const other = new Y.Doc()
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    other.transact(() => keysOf(other).delete(0, 1))
    appendMessage(other, await signedBy(alice, 'two'))
    expect(keysOf(other).toArray()).toEqual([fromBase64url(alice.publicKey)])
  })
})
