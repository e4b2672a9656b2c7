// Every signature check of the page takes its turn in Chromium: the log's checks of what it draws
// and presence checks as well as the room's, at most CHECKS_PER_TASK to a task, never in the task
// that asked (a render, a data channel's message). Counted, not timed.
import { describe, expect, it } from 'vitest'
import { CHECKS_PER_TASK, generateSigningKeys, messageBytes, signerFor, verifySigned } from '../../src/identity/index.js'
import { stepsPerTask } from '../support/task-steps.js'

const TOPIC = 'check-turns-browser-test'
/** Checks asked for at once: several tasks' worth. */
const CHECKS = CHECKS_PER_TASK * 4 + 3

describe('verifySigned in Chromium', () => {
  it('settles checks asked for at once over several tasks, at most CHECKS_PER_TASK in one', async () => {
    const alice = await signerFor(await generateSigningKeys())
    const asked: { bytes: Uint8Array<ArrayBuffer>; signature: string }[] = []
    for (let i = 0; i < CHECKS; i++) {
      const bytes = messageBytes(TOPIC, {
        id: `id-${i}`,
        authorId: alice.userId,
        authorName: 'Alice',
        text: `text ${i}`,
        sentAt: i,
        publicKey: alice.publicKey,
      })
      asked.push({ bytes, signature: await alice.sign(bytes) })
    }
    let settled = 0
    const checks = asked.map(({ bytes, signature }) =>
      verifySigned(alice.userId, alice.publicKey, signature, bytes).then((good) => {
        settled++
        return good
      }),
    )
    const steps = await stepsPerTask(() => settled, CHECKS)
    expect(Math.max(...steps)).toBeLessThanOrEqual(CHECKS_PER_TASK) // on main: all 67 in the asking task
    expect(steps.filter((step) => step > 0).length).toBeGreaterThanOrEqual(Math.ceil(CHECKS / CHECKS_PER_TASK))
    expect(await Promise.all(checks)).toEqual(asked.map(() => true))
  })
})
