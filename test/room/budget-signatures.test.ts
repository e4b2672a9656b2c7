// What the room's budgets know of signatures: bad without a check where no crypto is needed,
// outcomes of checks remembered per record, and a signature copied onto other fields never
// counted as good.
import { describe, expect, it } from 'vitest'
import type { MessageRecord } from '../../src/history/index.js'
import { generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import { BudgetSignatures, MESSAGE_SIGNING } from '../../src/room/budget-signatures.js'

const TOPIC = 'budget-signatures-test'

async function signedBy(keys: Awaited<ReturnType<typeof signerFor>>, text: string, claim = keys): Promise<MessageRecord> {
  const unsigned = { id: `id-${text}`, authorId: claim.userId, authorName: 'Alice', text, sentAt: 1000, publicKey: claim.publicKey }
  return { ...unsigned, signature: await keys.sign(messageBytes(TOPIC, unsigned)) }
}

describe('BudgetSignatures', () => {
  it('calls unsigned records and keys that are not the claimed id’s bad at once', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const mallory = await signerFor(await generateSigningKeys())
    const signatures = new BudgetSignatures(TOPIC, MESSAGE_SIGNING)
    const real = await signedBy(alice, 'hello')
    expect(signatures.stateOf({ ...real, signature: undefined })).toBe('bad')
    expect(signatures.stateOf({ ...real, publicKey: mallory.publicKey })).toBe('bad')
    expect(signatures.stateOf(real)).toBe('unchecked')
  })

  it('remembers what a check found, and tells a signature copied onto other fields', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const mallory = await signerFor(await generateSigningKeys())
    const signatures = new BudgetSignatures(TOPIC, MESSAGE_SIGNING)
    const real = await signedBy(alice, 'hello')
    const forged = await signedBy(mallory, 'forged', alice)
    expect(await signatures.check([real, forged])).toEqual([true, false])
    expect(signatures.suspect(alice.userId)).toBe(true)
    expect(signatures.stateOf(real)).toBe('good')
    expect(signatures.stateOf(forged)).toBe('bad')
    expect(signatures.stateOf({ ...real })).toBe('good')
    // Alice's signature on another text: bad without a check.
    expect(signatures.stateOf({ ...real, text: 'pay Mallory' })).toBe('bad')
    // A failed signature on other fields: not known, so checked again.
    expect(signatures.stateOf({ ...forged, text: 'forged again' })).toBe('unchecked')
    expect(await signatures.check([real])).toEqual([true])
  })
})
