// The room's checks of doubted records in Chromium, which settles a WebCrypto check within the
// task that asks for it: chained checks all ran in one task (a forged flood's doubted records made
// tasks of 110 ms CPU), so they take turns, a few to a task of their own. Counted, not timed.
import { describe, expect, it } from 'vitest'
import type { MessageRecord } from '../../src/history/index.js'
import { CHECKS_PER_TASK, generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import { BudgetSignatures, MESSAGE_SIGNING } from '../../src/room/budget-signatures.js'
import { stepsPerTask } from '../support/task-steps.js'

const TOPIC = 'budget-checks-browser-test'
/** Records checked at once: several tasks' worth. */
const RECORDS = CHECKS_PER_TASK * 5

describe('BudgetSignatures in Chromium', () => {
  it('checks a batch over several tasks, at most CHECKS_PER_TASK in one, none in the task that asked', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const mallory = await signerFor(await generateSigningKeys())
    // Alice's real messages, and forgeries of hers signed by Mallory's key (as a forged flood's).
    const records: MessageRecord[] = []
    for (let i = 0; i < RECORDS; i++) {
      const signer = i % 2 === 0 ? alice : mallory
      const unsigned = {
        id: `id-${i}`,
        authorId: alice.userId,
        authorName: 'Alice',
        text: `text ${i}`,
        sentAt: 1000 + i,
        publicKey: alice.publicKey,
      }
      records.push({ ...unsigned, signature: await signer.sign(messageBytes(TOPIC, unsigned)) })
    }
    const signatures = new BudgetSignatures(TOPIC, MESSAGE_SIGNING)
    const outcomes = signatures.check(records)
    const steps = await stepsPerTask(() => records.filter((record) => signatures.stateOf(record) !== 'unchecked').length, RECORDS)
    // On main: every record in the asking task, one step of 80.
    expect(Math.max(...steps)).toBeLessThanOrEqual(CHECKS_PER_TASK)
    expect(steps.filter((step) => step > 0).length).toBeGreaterThanOrEqual(RECORDS / CHECKS_PER_TASK)
    expect(await outcomes).toEqual(records.map((_, i) => i % 2 === 0))
  })
})
