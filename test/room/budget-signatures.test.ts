// What the room's budgets know of signatures: bad (or unsigned) without a check where no crypto
// is needed, outcomes of checks remembered per record, a signature copied onto other fields never
// counted as good, and the page's own records good without a check.
import { describe, expect, it, vi } from 'vitest'
import { AuthorBudgets, type MessageRecord } from '../../src/history/index.js'
import { generateSigningKeys, messageBytes, signerFor, verifySigned } from '../../src/identity/index.js'
import { BudgetSignatures, MESSAGE_SIGNING } from '../../src/room/budget-signatures.js'

const TOPIC = 'budget-signatures-test'

async function signedBy(keys: Awaited<ReturnType<typeof signerFor>>, text: string, claim = keys): Promise<MessageRecord> {
  const unsigned = { id: `id-${text}`, authorId: claim.userId, authorName: 'Alice', text, sentAt: 1000, publicKey: claim.publicKey }
  return { ...unsigned, signature: await keys.sign(messageBytes(TOPIC, unsigned)) }
}

describe('BudgetSignatures', () => {
  it('calls keys that are not the claimed id’s bad, and records without a signature or key unsigned, at once', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const mallory = await signerFor(await generateSigningKeys())
    const signatures = new BudgetSignatures(TOPIC, MESSAGE_SIGNING)
    const real = await signedBy(alice, 'hello')
    expect(signatures.stateOf({ ...real, signature: undefined })).toBe('unsigned')
    expect(signatures.stateOf({ ...real, publicKey: undefined })).toBe('unsigned')
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
  it('takes records this page signed as good, under its own key only', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const mallory = await signerFor(await generateSigningKeys())
    const signatures = new BudgetSignatures(TOPIC, MESSAGE_SIGNING)
    const own = await signedBy(alice, 'mine')
    signatures.vouch(own)
    expect(signatures.stateOf(own)).toBe('good')
    // The same signature on other words is a copy, not this page's record.
    expect(signatures.stateOf({ ...own, text: 'not mine' })).toBe('bad')
    // A record claiming an id its key is not: vouching for it changes nothing.
    const claimed = await signedBy(mallory, 'claimed', alice)
    signatures.vouch({ ...claimed, publicKey: mallory.publicKey })
    expect(signatures.stateOf({ ...claimed, publicKey: mallory.publicKey })).toBe('bad')
  })

  it('checks in a task after the caller’s: the bytes of a new message’s check are not made in its arrival’s task', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const events: string[] = []
    const signatures = new BudgetSignatures(TOPIC, {
      ...MESSAGE_SIGNING,
      bytes: (topic, record) => {
        events.push('bytes made')
        return MESSAGE_SIGNING.bytes(topic, record)
      },
    })
    const real = await signedBy(alice, 'hello')
    const outcome = signatures.check([real])
    // The caller's own microtasks (Lit draws the message in them) come first too.
    for (let i = 0; i < 10; i++) await Promise.resolve()
    events.push('caller done')
    expect(await outcome).toEqual([true])
    expect(events).toEqual(['caller done', 'bytes made'])
  })

  it('asks for one posted task with the log’s check of the same new message, not one more of its own, and verifies once', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const signatures = new BudgetSignatures(TOPIC, MESSAGE_SIGNING)
    const real = await signedBy(alice, 'hello')
    const publicKey = real.publicKey as string
    const signature = real.signature as string
    const Channel = globalThis.MessageChannel
    let channels = 0
    globalThis.MessageChannel = class extends Channel {
      constructor() {
        super()
        channels++
      }
    }
    const verify = vi.spyOn(crypto.subtle, 'verify')
    try {
      // In the arrival's task: the room's budgets doubt the new message, the log draws it.
      const budgets = signatures.check([real])
      const log = verifySigned(real.authorId, publicKey, signature, messageBytes(TOPIC, real as MessageRecord & { publicKey: string }))
      expect(channels).toBe(1)
      expect([await budgets, await log]).toEqual([[true], true])
      expect(verify).toHaveBeenCalledTimes(1)
    } finally {
      globalThis.MessageChannel = Channel
      verify.mockRestore()
    }
  })

  it('checks what the budgets doubt only once the large updates under way are applied, and calls meanwhile come to one check', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const pendingSlices: Array<() => void> = []
    const signatures = new BudgetSignatures(TOPIC, MESSAGE_SIGNING, (callback) => pendingSlices.push(callback))
    const budgets = new AuthorBudgets(undefined, signatures.stateOf, signatures.suspect)
    const real = await signedBy(alice, 'hello')
    budgets.admit([real])
    let reads = 0
    const read = (): AuthorBudgets => {
      reads++
      return budgets
    }
    for (let i = 0; i < 3; i++) signatures.checkDoubted(read, () => {})
    // Waiting for the slices: nothing read, nothing checked, one wait for all three calls.
    expect([reads, signatures.checks, pendingSlices.length]).toEqual([0, 0, 1])
    pendingSlices[0]()
    await vi.waitFor(() => expect(signatures.stateOf(real)).toBe('good'), { timeout: 10_000 })
    expect(reads).toBeGreaterThanOrEqual(1)
    expect(signatures.checks).toBe(1)
  })
})
