import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { parseMessageRecord, type MessageRecord } from '../../src/history/index.js'
import {
  generateSigningKeys,
  messageBytes,
  presenceBytes,
  shortFingerprint,
  signerFor,
  userIdOf,
  verifySigned,
} from '../../src/identity/signing.js'
import { VerdictCache, messageVerdict, type Verdict } from '../../src/membership/index.js'

const TOPIC = 'parley-v1-test'

async function signedMessage(overrides: Partial<MessageRecord> = {}) {
  const signer = await signerFor(await generateSigningKeys())
  const body = {
    id: 'm1',
    authorId: signer.userId,
    authorName: 'Alice',
    text: 'hello',
    sentAt: 1000,
    publicKey: signer.publicKey,
    ...overrides,
  }
  return { signer, message: { ...body, signature: await signer.sign(messageBytes(TOPIC, body)) } }
}

const verify = (m: MessageRecord & { publicKey: string; signature: string }, topic = TOPIC) =>
  verifySigned(m.authorId, m.publicKey, m.signature, messageBytes(topic, m))

describe('message signatures', () => {
  it('verify for the author, in the room they were made for', async () => {
    const { message } = await signedMessage()
    expect(await verify(message)).toBe(true)
    expect(await verify(message, 'parley-v1-other-room')).toBe(false)
  })

  it('fail when any signed field changes', async () => {
    const { message } = await signedMessage()
    for (const tampered of [{ text: 'hello!' }, { authorName: 'Mallory' }, { sentAt: 1001 }, { id: 'm2' }]) {
      expect(await verify({ ...message, ...tampered })).toBe(false)
    }
  })

  it("fail when a message claims another user's id, even with a valid signature of its own", async () => {
    const alice = await signedMessage()
    const mallory = await signedMessage({ authorId: alice.signer.userId })
    expect(await verify(mallory.message)).toBe(false)
  })

  it('verify the same signature over the same bytes once, however often asked, and a copy onto other bytes on its own', async () => {
    // The room's budgets and the log's verdict both check a new message in the task of its arrival.
    const verifies = vi.spyOn(crypto.subtle, 'verify')
    onTestFinished(() => verifies.mockRestore())
    const { message } = await signedMessage({ id: 'once' })
    const [first, second] = await Promise.all([verify(message), verify(message)])
    expect([first, second, await verify(message)]).toEqual([true, true, true])
    expect(verifies).toHaveBeenCalledTimes(1)
    // The signature copied onto other fields: checked, and failed, whatever came before or after.
    expect(await verify({ ...message, text: 'copied' })).toBe(false)
    expect(await verify(message)).toBe(true)
    expect(await verify({ ...message, text: 'copied' })).toBe(false)
    expect(verifies).toHaveBeenCalledTimes(4)
  })

  it('never throw on malformed keys or signatures', async () => {
    const { message } = await signedMessage()
    expect(await verify({ ...message, signature: '!!!not base64' })).toBe(false)
    expect(await verify({ ...message, signature: 'AAAA' })).toBe(false)
    expect(await verifySigned(userIdOf('AAAA'), 'AAAA', message.signature, messageBytes(TOPIC, message))).toBe(false)
  })

  it('bind presence to a client, a key, a counter and every field it shows', async () => {
    const signer = await signerFor(await generateSigningKeys())
    const fields = { counter: 3, name: 'Alice', typing: true, since: 1000 }
    const bytes = (clientID: number, changed: Partial<typeof fields> = {}) =>
      presenceBytes(TOPIC, clientID, signer.userId, signer.publicKey, { ...fields, ...changed })
    const signature = await signer.sign(bytes(7))
    const verifies = (clientID: number, changed: Partial<typeof fields> = {}) =>
      verifySigned(signer.userId, signer.publicKey, signature, bytes(clientID, changed))
    expect(await verifies(7)).toBe(true)
    expect(await verifies(8)).toBe(false)
    // Played back under another name, another typing state, another start or counter.
    for (const changed of [{ name: 'Mallory' }, { typing: false }, { since: 999 }, { counter: 4 }]) {
      expect(await verifies(7, changed)).toBe(false)
    }
    expect(
      await verifySigned(
        signer.userId,
        signer.publicKey,
        signature,
        presenceBytes('parley-v1-other-room', 7, signer.userId, signer.publicKey, fields),
      ),
    ).toBe(false)
  })

  it('sign a goodbye apart from any state, and ordinary states as before', async () => {
    const signer = await signerFor(await generateSigningKeys())
    const fields = { counter: 4, name: 'Alice', typing: false, since: 1000 }
    const state = presenceBytes(TOPIC, 7, signer.userId, signer.publicKey, fields)
    const goodbye = presenceBytes(TOPIC, 7, signer.userId, signer.publicKey, { ...fields, left: true })
    // The bytes of an ordinary state are v2's, unchanged, so older tabs verify them still.
    expect(new TextDecoder().decode(state)).toBe(
      JSON.stringify(['parley/presence/v2', TOPIC, 7, signer.userId, signer.publicKey, 4, 'Alice', false, 1000]),
    )
    expect(presenceBytes(TOPIC, 7, signer.userId, signer.publicKey, { ...fields, left: false })).toEqual(state)
    // A state's signature cannot be passed off as a goodbye, nor a goodbye's as a state.
    const stateSignature = await signer.sign(state)
    const goodbyeSignature = await signer.sign(goodbye)
    expect(await verifySigned(signer.userId, signer.publicKey, goodbyeSignature, goodbye)).toBe(true)
    expect(await verifySigned(signer.userId, signer.publicKey, stateSignature, goodbye)).toBe(false)
    expect(await verifySigned(signer.userId, signer.publicKey, goodbyeSignature, state)).toBe(false)
  })

  it('give every key a stable user id and a short fingerprint', async () => {
    const signer = await signerFor(await generateSigningKeys())
    expect(userIdOf(signer.publicKey)).toBe(signer.userId)
    expect(shortFingerprint(signer.userId)).toMatch(/^[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}$/)
  })
})

describe('the schema and verdicts', () => {
  it('keeps signature fields, and rejects half-signed or mistyped ones', async () => {
    const { message } = await signedMessage()
    expect(parseMessageRecord(message)).toEqual(message)
    expect(parseMessageRecord({ ...message, signature: undefined })).toBeNull()
    expect(parseMessageRecord({ ...message, publicKey: 42 })).toBeNull()
  })

  it('reports pending, then the settled verdict, checking each message once', async () => {
    const { message } = await signedMessage()
    let settled = 0
    const cache = new VerdictCache(() => {
      settled++
    })
    const first: Verdict = messageVerdict(cache, TOPIC, message)
    expect(first).toBe('pending')
    await expect.poll(() => messageVerdict(cache, TOPIC, message)).toBe('verified')
    expect(messageVerdict(cache, TOPIC, { ...message, text: 'forged' })).toBe('pending')
    await expect.poll(() => messageVerdict(cache, TOPIC, { ...message, text: 'forged' })).toBe('unverified')
    expect(settled).toBe(2)
    const { signature: _omitted, ...unsigned } = message
    expect(messageVerdict(cache, TOPIC, { ...unsigned, publicKey: undefined })).toBe('unverified')
  })

  it('makes a new message’s signed bytes in its check’s turn, not in the task that asks for its verdict, and verifies it once with the budgets’ check', async () => {
    const { message } = await signedMessage({ id: 'drawn', text: 'drawn as it arrives' })
    const encode = vi.spyOn(TextEncoder.prototype, 'encode')
    const verifies = vi.spyOn(crypto.subtle, 'verify')
    onTestFinished(() => {
      encode.mockRestore()
      verifies.mockRestore()
    })
    const cache = new VerdictCache(() => {})
    // The log draws the message in its arrival's task.
    expect(messageVerdict(cache, TOPIC, message)).toBe('pending')
    const inArrival = encode.mock.calls.length
    // The room's budgets check it from a later task, with the bytes made.
    expect(await verify(message)).toBe(true)
    await expect.poll(() => messageVerdict(cache, TOPIC, message)).toBe('verified')
    expect({ inArrival, verifies: verifies.mock.calls.length }).toEqual({ inArrival: 0, verifies: 1 })
  })
})
