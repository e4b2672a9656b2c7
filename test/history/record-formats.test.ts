// The three record formats a room holds: the full (v1) records of the oldest builds, the compact
// (v2) ones of the builds after them and the binary (v3) ones this build writes stand for the
// same message; tampering with any stored field of a v2 or v3 record, its key reference
// included, is detected; and hostile binary records are skipped, never read past their end.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { appendMessage, readMessages } from '../../src/history/messages.js'
import {
  encodeMessageRecord,
  keysOf,
  messagesOf,
  parseMessageRecord,
  type BinaryRecord,
  type CompactRecord,
  type MessageRecord,
} from '../../src/history/schema.js'
import { encodeRecordBytes, fieldSpans, readRecordBytes, type RecordFields } from '../../src/history/record-bytes.js'
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

/** A record's fields as a binary record packs them (its ids and signature canonical base64url). */
function fieldsOf(record: MessageRecord): RecordFields {
  const { id, authorId, authorName, sentAt, signature } = record
  const fields = { id: fromBase64url(id), authorId: fromBase64url(authorId), authorName, sentAt }
  return signature === undefined ? fields : { ...fields, signature: fromBase64url(signature) }
}

/** A record in the given format, whatever its fields say (as a peer could write it). */
function storedAs(format: 'v2' | 'v3', record: MessageRecord): CompactRecord | BinaryRecord {
  if (format === 'v3') return { r: encodeRecordBytes(fieldsOf(record)), text: record.text }
  const { id, authorId, authorName, text, sentAt, signature } = record
  const compact: CompactRecord = { k: 'm', i: fromBase64url(id), a: fromBase64url(authorId), n: authorName, text, s: sentAt }
  return signature === undefined ? compact : { ...compact, g: fromBase64url(signature) }
}

const formatOf = (stored: unknown) => ('r' in (stored as object) ? 'v3' : 'k' in (stored as object) ? 'v2' : 'v1')
const LIMITS = { binaryBytes: 96, nameBytes: 192 }

describe('the binary format', () => {
  it('packs every field but the text into one byte array, and leaves the key out', async () => {
    const record = await signedBy(await newSigner())
    const stored = encodeMessageRecord(record) as BinaryRecord
    expect(Object.keys(stored).sort()).toEqual(['r', 'text'])
    expect(stored.text).toBe('hello')
    const spans = fieldSpans()
    expect(readRecordBytes(stored.r, LIMITS, spans)).toBe(true)
    const { r } = stored
    expect(r.slice(spans.idStart, spans.idEnd)).toEqual(fromBase64url(record.id))
    expect(r.slice(spans.authorIdStart, spans.authorIdEnd)).toEqual(fromBase64url(record.authorId))
    expect(spans.sentAt).toBe(record.sentAt)
    expect(r.slice(spans.nameStart, spans.nameEnd)).toEqual(new TextEncoder().encode('Alice'))
    expect(r.slice(spans.signatureStart, spans.signatureEnd)).toEqual(fromBase64url(record.signature ?? ''))
    expect(spans.signatureEnd).toBe(r.length)
  })

  it('round-trips signed, unsigned and non-ASCII records through a document, key found in the room', async () => {
    const signer = await newSigner()
    const records: MessageRecord[] = [
      await signedBy(signer),
      await signedBy(signer, { authorName: 'Zoë 👩‍💻', text: 'ça va? 🎉 \u0000 done', sentAt: 1.5 }),
      { id: base64url(new Uint8Array(16).fill(7)), authorId: signer.userId, authorName: 'Bob', text: 'hi', sentAt: 5 },
    ]
    for (const record of records) {
      const doc = new Y.Doc()
      appendMessage(doc, record)
      expect(formatOf(messagesOf(doc).get(0))).toBe('v3')
      // A second document, as a peer that got the update, parses the same record.
      const peer = new Y.Doc()
      Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
      const parsed = onlyMessage(peer)
      expect(parsed).toEqual(record)
      if (record.signature !== undefined) expect(await settledVerdict(parsed)).toBe('verified')
    }
  })

  it('writes the compact format where an id is not raw bytes, the full one for a key that is not the author’s', async () => {
    const unsigned: MessageRecord = { id: 'm1', authorId: 'not-base64url!', authorName: 'Bob', text: 'hi', sentAt: 5 }
    expect(encodeMessageRecord(unsigned)).toEqual({ k: 'm', i: 'm1', a: 'not-base64url!', n: 'Bob', text: 'hi', s: 5 })
    const alice = await newSigner()
    const forged = await signedBy(await newSigner(), { authorId: alice.userId })
    expect(encodeMessageRecord(forged)).toEqual(forged)
    for (const record of [unsigned, forged]) {
      const doc = new Y.Doc()
      appendMessage(doc, record)
      expect(onlyMessage(doc)).toEqual(record)
    }
    expect(await settledVerdict(forged)).toBe('unverified')
  })

  it('keeps the full and compact formats readable, and all three formats of one message verify alike', async () => {
    const record = await signedBy(await newSigner())
    const doc = new Y.Doc()
    messagesOf(doc).push([{ ...record }]) // as the oldest builds wrote it
    appendMessage(doc, record)
    messagesOf(doc).push([storedAs('v2', record)]) // as the builds before this one wrote it
    expect(messagesOf(doc).toArray().map(formatOf)).toEqual(['v1', 'v3', 'v2'])
    const { messages } = readMessages(doc)
    expect(messages).toEqual([record, record, record])
    for (const message of messages) expect(await settledVerdict(message)).toBe('verified')
  })

  it('leaves a signed record whose key the room lacks without a key: unverified, never verified', async () => {
    const record = await signedBy(await newSigner())
    const parsed = parseMessageRecord(encodeMessageRecord(record))
    expect(parsed).toEqual({ ...record, publicKey: undefined })
    expect(await settledVerdict(parsed as MessageRecord)).toBe('unverified')
  })
})

describe('a hostile binary record', () => {
  const fields: RecordFields = {
    id: new Uint8Array(16).fill(1),
    authorId: new Uint8Array(16).fill(2),
    sentAt: 1,
    authorName: 'Alice',
    signature: new Uint8Array(64).fill(3),
  }
  const bytesOf = (changes: Partial<RecordFields>) => encodeRecordBytes({ ...fields, ...changes })
  const valid = (): BinaryRecord => ({ r: bytesOf({}), text: 'hi' })
  /** The valid record with byte `index` of its bytes set to `value`. */
  const withByte = (index: number, value: number): BinaryRecord => {
    const r = bytesOf({})
    r[index] = value
    return { r, text: 'hi' }
  }
  const unsignedBytes = encodeRecordBytes({ ...fields, signature: undefined })

  it.each<[string, unknown]>([
    ['another kind', withByte(0, 2)],
    ['an unknown flag', withByte(1, 3)],
    ['the signed flag without a signature', { r: Uint8Array.from(unsignedBytes, (b, i) => (i === 1 ? 1 : b)), text: 'hi' }],
    ['a byte after its last field', { r: Uint8Array.of(...bytesOf({}), 0), text: 'hi' }],
    ['no bytes', { r: new Uint8Array(0), text: 'hi' }],
    ['a length of three bytes', { r: Uint8Array.of(1, 0, 0x90, 0x80, 0x00, ...bytesOf({}).subarray(3)), text: 'hi' }],
    ['an id of no bytes', { r: bytesOf({ id: new Uint8Array(0) }), text: 'hi' }],
    ['an author id of no bytes', { r: bytesOf({ authorId: new Uint8Array(0) }), text: 'hi' }],
    ['a signature of no bytes', { r: bytesOf({ signature: new Uint8Array(0) }), text: 'hi' }],
    ['a name of no bytes', { r: bytesOf({ authorName: '' }), text: 'hi' }],
    ['an oversized id', { r: bytesOf({ id: new Uint8Array(97) }), text: 'hi' }],
    ['an oversized author id', { r: bytesOf({ authorId: new Uint8Array(97) }), text: 'hi' }],
    ['an oversized signature', { r: bytesOf({ signature: new Uint8Array(97) }), text: 'hi' }],
    ['a name over the cap', { r: bytesOf({ authorName: 'x'.repeat(65) }), text: 'hi' }],
    ['a name of too many bytes', { r: bytesOf({ authorName: '😀'.repeat(49) }), text: 'hi' }],
    ['a NaN time', { r: bytesOf({ sentAt: Number.NaN }), text: 'hi' }],
    ['a negative time', { r: bytesOf({ sentAt: -1 }), text: 'hi' }],
    ['a time past what a Date holds', { r: bytesOf({ sentAt: 8.64e15 + 1 }), text: 'hi' }],
    ['a string for its bytes', { r: 'AQAQ', text: 'hi' }],
    ['an array of numbers for its bytes', { r: [...bytesOf({})], text: 'hi' }],
    ['no text', { r: bytesOf({}) }],
    ['a numeric text', { r: bytesOf({}), text: 7 }],
    ['a text over the cap', { r: bytesOf({}), text: 'x'.repeat(4001) }],
  ])('is skipped: %s', (_label, hostile) => {
    expect(parseMessageRecord(valid())).not.toBeNull()
    expect(parseMessageRecord(hostile)).toBeNull()
  })

  it('is skipped when its bytes are over what any record needs', () => {
    const oversized = new Uint8Array(1_000_000)
    oversized.set(bytesOf({}))
    expect(parseMessageRecord({ r: oversized, text: 'hi' })).toBeNull()
  })

  it('is skipped when cut short anywhere', () => {
    const whole = bytesOf({})
    for (let length = 0; length < whole.length; length++) expect(parseMessageRecord({ r: whole.slice(0, length), text: 'hi' })).toBeNull()
  })

  it('is skipped when a length runs past its end, into the bytes after it in the same buffer', () => {
    // Yjs hands out binaries as views into the whole update: the name's length claims three
    // more bytes than the record has, and the buffer has them. Reading them would take another
    // record's bytes for this one's name.
    const buffer = Uint8Array.of(...unsignedBytes, 0x78, 0x79, 0x7a)
    const nameLengthAt = unsignedBytes.length - 'Alice'.length - 1
    buffer[nameLengthAt] = 'Alice'.length + 3
    expect(parseMessageRecord({ r: buffer.subarray(0, unsignedBytes.length), text: 'hi' })).toBeNull()
    expect(parseMessageRecord({ r: buffer, text: 'hi' })).toMatchObject({ authorName: 'Alicexyz' })
  })

  it('is counted and skipped in a document, and loses nothing around it', () => {
    const doc = new Y.Doc()
    messagesOf(doc).push([valid(), withByte(0, 9), { r: bytesOf({}).subarray(0, 20), text: 'hi' }, valid()])
    const { messages, skipped } = readMessages(doc)
    expect(skipped).toBe(2)
    expect(messages).toHaveLength(2)
  })
})

describe.each(['v2', 'v3'] as const)('tampering with a %s record', (format) => {
  it.each<[string, (record: MessageRecord) => MessageRecord]>([
    ['its id', (r) => ({ ...r, id: base64url(crypto.getRandomValues(new Uint8Array(16))) })],
    ['its name', (r) => ({ ...r, authorName: 'Mallory' })],
    ['its text', (r) => ({ ...r, text: 'I owe Mallory 1000' })],
    ['its time', (r) => ({ ...r, sentAt: r.sentAt + 1 })],
    [
      'its signature',
      (r) => ({ ...r, signature: base64url(fromBase64url(r.signature ?? '').map((byte, i) => (i === 0 ? byte ^ 1 : byte))) }),
    ],
  ])('is detected: %s', async (_label, tamper) => {
    const signer = await newSigner()
    const doc = new Y.Doc()
    const record = await signedBy(signer)
    appendMessage(doc, record)
    expect(await settledVerdict(onlyMessage(doc))).toBe('verified')
    doc.transact(() => {
      messagesOf(doc).delete(0, 1)
      messagesOf(doc).push([storedAs(format, tamper(record))])
    })
    expect(await settledVerdict(onlyMessage(doc))).toBe('unverified')
  })

  it('is detected: its key reference (the author id) moved to another author whose key the room holds', async () => {
    const alice = await newSigner()
    const mallory = await newSigner()
    const doc = new Y.Doc()
    const malloryRecord = await signedBy(mallory, { authorName: 'Mallory' })
    appendMessage(doc, malloryRecord)
    appendMessage(doc, await signedBy(alice))
    // Mallory's signed record, claimed for Alice: Alice's key is found, and does not verify it.
    messagesOf(doc).push([storedAs(format, { ...malloryRecord, authorId: alice.userId, authorName: 'Alice' })])
    const claimed = readMessages(doc).messages[2] as MessageRecord
    expect(claimed.authorId).toBe(alice.userId)
    expect(claimed.publicKey).toBe(alice.publicKey)
    expect(await settledVerdict(claimed)).toBe('unverified')
  })

  it('is detected when replayed into another room', async () => {
    const doc = new Y.Doc()
    messagesOf(doc).push([storedAs(format, await signedBy(await newSigner()))])
    expect(await settledVerdict(onlyMessage(doc), 'parley-v1-another-room')).toBe('unverified')
  })
})

describe('the compact format', () => {
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
