// Both record formats a room holds: the full (v1) records of older builds and the compact (v2)
// ones this build writes stand for the same message, and tampering with any stored field of a
// compact record, its key reference included, is detected.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { appendMessage, readMessages } from '../../src/history/messages.js'
import { encodeMessageRecord, keysOf, messagesOf, parseMessageRecord, type MessageRecord } from '../../src/history/schema.js'
import { base64url } from '../../src/address/index.js'
import { fromBase64url, generateSigningKeys, messageBytes, signerFor, type Signer } from '../../src/identity/index.js'
import { VerdictCache, messageVerdict, type Verdict } from '../../src/membership/index.js'

const TOPIC = 'parley-v1-formats-test'

async function signedBy(signer: Signer, overrides: Partial<MessageRecord> = {}): Promise<MessageRecord> {
  const body = {
    id: base64url(crypto.getRandomValues(new Uint8Array(16))),
    authorId: signer.userId,
    authorName: 'Alice',
    text: 'hello',
    sentAt: 1_700_000_000_000,
    publicKey: signer.publicKey,
    ...overrides,
  }
  return { ...body, signature: await signer.sign(messageBytes(TOPIC, body)) }
}

const newSigner = async () => signerFor(await generateSigningKeys())

/** The settled verdict on a record, as the room controller would show it. */
async function settledVerdict(record: MessageRecord, topic = TOPIC): Promise<Verdict> {
  let settled!: () => void
  const done = new Promise<void>((resolve) => {
    settled = resolve
  })
  const cache = new VerdictCache(() => settled())
  const first = messageVerdict(cache, topic, record)
  if (first !== 'pending') return first
  await done
  return messageVerdict(cache, topic, record)
}

/** The one record a document holds, as a reader parses it. */
function onlyMessage(doc: Y.Doc): MessageRecord {
  const { messages, skipped } = readMessages(doc)
  expect(skipped).toBe(0)
  expect(messages).toHaveLength(1)
  return messages[0] as MessageRecord
}

describe('the compact format', () => {
  it('stores ids and the signature as raw bytes, no key, the text under its own name', async () => {
    const record = await signedBy(await newSigner())
    const stored = encodeMessageRecord(record)
    expect(stored).toEqual({
      k: 'm',
      i: fromBase64url(record.id),
      a: fromBase64url(record.authorId),
      n: 'Alice',
      text: 'hello',
      s: record.sentAt,
      g: fromBase64url(record.signature ?? ''),
    })
  })

  it('round-trips signed and unsigned records through a document, key found in the room', async () => {
    const signer = await newSigner()
    const signed = await signedBy(signer)
    const unsigned: MessageRecord = { id: 'm1', authorId: 'not-base64url!', authorName: 'Bob', text: 'hi', sentAt: 5 }
    for (const record of [signed, unsigned]) {
      const doc = new Y.Doc()
      appendMessage(doc, record)
      expect('k' in (messagesOf(doc).get(0) as object)).toBe(true)
      // A second document, as a peer that got the update, parses the same record.
      const peer = new Y.Doc()
      Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
      expect(onlyMessage(peer)).toEqual(record)
    }
  })

  it('keeps the full format readable, and both formats of one message verify alike', async () => {
    const record = await signedBy(await newSigner())
    const doc = new Y.Doc()
    messagesOf(doc).push([{ ...record }]) // as an older build wrote it
    appendMessage(doc, record)
    const { messages } = readMessages(doc)
    expect(messages).toEqual([record, record])
    expect(await settledVerdict(messages[1] as MessageRecord)).toBe('verified')
  })

  it("writes a record carrying a key that is not its author's in the full format, as it came", async () => {
    const alice = await newSigner()
    const mallory = await newSigner()
    const forged = await signedBy(mallory, { authorId: alice.userId })
    expect(encodeMessageRecord(forged)).toEqual(forged)
    const doc = new Y.Doc()
    appendMessage(doc, forged)
    expect(onlyMessage(doc)).toEqual(forged)
    expect(await settledVerdict(forged)).toBe('unverified')
  })

  it.each([
    ['an unknown kind', { k: 'x' }],
    ['an id of no bytes', { i: new Uint8Array(0) }],
    ['an oversized binary id', { i: new Uint8Array(97) }],
    ['a numeric author id', { a: 7 }],
    ['an author id of no bytes', { a: new Uint8Array(0) }],
    ['an oversized binary author id', { a: new Uint8Array(97) }],
    ['a signature of no bytes', { g: new Uint8Array(0) }],
    ['a missing name', { n: undefined }],
    ['a text over the cap', { text: 'x'.repeat(4001) }],
    ['a NaN time', { s: Number.NaN }],
    ['a numeric signature', { g: 64 }],
    ['an oversized signature', { g: new Uint8Array(97) }],
  ])('rejects %s', (_label, change) => {
    const valid = { k: 'm', i: new Uint8Array(16), a: new Uint8Array(16), n: 'Alice', text: 'hi', s: 1 }
    expect(parseMessageRecord(valid)).not.toBeNull()
    expect(parseMessageRecord({ ...valid, ...change })).toBeNull()
  })

  it('leaves a signed record whose key the room lacks without a key: unverified, never verified', async () => {
    const record = await signedBy(await newSigner())
    const parsed = parseMessageRecord(encodeMessageRecord(record))
    expect(parsed).toEqual({ ...record, publicKey: undefined })
    expect(await settledVerdict(parsed as MessageRecord)).toBe('unverified')
  })
})

describe('tampering with a compact record', () => {
  it.each([
    ['its id', (r: Record<string, unknown>) => ({ ...r, i: crypto.getRandomValues(new Uint8Array(16)) })],
    ['its name', (r: Record<string, unknown>) => ({ ...r, n: 'Mallory' })],
    ['its text', (r: Record<string, unknown>) => ({ ...r, text: 'I owe Mallory 1000' })],
    ['its time', (r: Record<string, unknown>) => ({ ...r, s: (r.s as number) + 1 })],
    ['its signature', (r: Record<string, unknown>) => ({ ...r, g: (r.g as Uint8Array).map((byte, i) => (i === 0 ? byte ^ 1 : byte)) })],
  ])('is detected: %s', async (_label, tamper) => {
    const signer = await newSigner()
    const doc = new Y.Doc()
    appendMessage(doc, await signedBy(signer))
    expect(await settledVerdict(onlyMessage(doc))).toBe('verified')
    const stored = messagesOf(doc).get(0) as Record<string, unknown>
    doc.transact(() => {
      messagesOf(doc).delete(0, 1)
      messagesOf(doc).push([tamper(stored)])
    })
    expect(await settledVerdict(onlyMessage(doc))).toBe('unverified')
  })

  it('is detected: its key reference (the author id) moved to another author whose key the room holds', async () => {
    const alice = await newSigner()
    const mallory = await newSigner()
    const doc = new Y.Doc()
    appendMessage(doc, await signedBy(mallory, { authorName: 'Mallory' }))
    appendMessage(doc, await signedBy(alice))
    const malloryRecord = messagesOf(doc).get(0) as Record<string, unknown>
    // Mallory's signed record, claimed for Alice: Alice's key is found, and does not verify it.
    messagesOf(doc).push([{ ...malloryRecord, a: fromBase64url(alice.userId), n: 'Alice' }])
    const claimed = readMessages(doc).messages[2] as MessageRecord
    expect(claimed.authorId).toBe(alice.userId)
    expect(claimed.publicKey).toBe(alice.publicKey)
    expect(await settledVerdict(claimed)).toBe('unverified')
  })

  it('is detected when replayed into another room', async () => {
    const doc = new Y.Doc()
    appendMessage(doc, await signedBy(await newSigner()))
    expect(await settledVerdict(onlyMessage(doc), 'parley-v1-another-room')).toBe('unverified')
  })
})

describe('the keys array', () => {
  it("gets each author's key once, in the transaction of its first record", async () => {
    const alice = await newSigner()
    const doc = new Y.Doc()
    const updates: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => updates.push(update))
    for (let n = 0; n < 3; n++) appendMessage(doc, await signedBy(alice, { text: `message ${n}` }))
    expect(keysOf(doc).toArray()).toEqual([fromBase64url(alice.publicKey)])
    // The first update alone brings the key and the record: a peer verifies it with nothing else.
    const peer = new Y.Doc()
    Y.applyUpdate(peer, updates[0] as Uint8Array)
    expect(await settledVerdict(onlyMessage(peer))).toBe('verified')
  })
})
