// The room's signature checks in Chromium, which settles a WebCrypto check within the task that
// asks for it: chained checks would all run in one task (a flood's doubted records made tasks of
// 110 ms CPU), so they take turns, a few to a task of their own. Counted, not timed.
import { describe, expect, it } from 'vitest'
import type { MessageRecord } from '../../src/history/index.js'
import { generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import { BudgetSignatures, CHECKS_PER_TASK, MESSAGE_SIGNING } from '../../src/room/budget-signatures.js'

const TOPIC = 'budget-checks-browser-test'
/** Records checked at once: several tasks' worth. */
const RECORDS = CHECKS_PER_TASK * 5

/** Runs `callback` in a task of its own (a posted message: ordered with the checks' own turns). */
function inNextTask(callback: () => void): void {
  const channel = new MessageChannel()
  channel.port1.onmessage = () => {
    channel.port1.close()
    callback()
  }
  channel.port2.postMessage(null)
}

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
    const checkedNow = () => records.filter((record) => signatures.stateOf(record) !== 'unchecked').length
    const outcomes = signatures.check(records)
    // Each later task sees how many are checked by then: the steps between them are what one task checked.
    const seen: number[] = []
    await new Promise<void>((resolve) => {
      const look = (): void => {
        seen.push(checkedNow())
        if (seen[seen.length - 1] === RECORDS) resolve()
        else inNextTask(look)
      }
      queueMicrotask(() => inNextTask(look)) // after the asking task's microtasks
    })
    const steps = seen.map((count, k) => count - (k === 0 ? 0 : seen[k - 1]))
    expect(Math.max(...steps)).toBeLessThanOrEqual(CHECKS_PER_TASK) // on main: every record in the asking task (one step of 80)
    expect(steps.filter((step) => step > 0).length).toBeGreaterThanOrEqual(RECORDS / CHECKS_PER_TASK)
    expect(await outcomes).toEqual(records.map((_, i) => i % 2 === 0))
  })
})
