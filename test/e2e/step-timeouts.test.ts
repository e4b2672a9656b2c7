// A step that never comes (a click on, or a poll of, a button that is never drawn) fails at the
// harness's step timeout naming its locator, in every page the end-to-end harness makes, instead
// of filling the test's 60 s and failing as "Test timed out", naming nothing.
import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { joinRoom, roomUrl, STEP_TIMEOUT_MS, uniqueRoom, useChatStack } from './harness.js'

const stack = useChatStack(1)

/** A button no page of Parley draws. */
const NEVER_DRAWN = 'Never drawn'

/** What clicking the button that never comes ends with: its error's message. */
function clickNeverDrawn(page: Page): Promise<string> {
  return page
    .getByRole('button', { name: NEVER_DRAWN })
    .click()
    .then(
      () => 'clicked',
      (error: Error) => error.message,
    )
}

it('fails a step that never comes at the step timeout, naming its locator, in every page the harness makes', async () => {
  const joined = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('steps')), 'Alice')
  const otherTab = await joined.context().newPage()
  const bare = await stack.browsers[0].newPage()
  // The poll lets the attempt under way finish, then makes one more: with Playwright's 30 s a
  // wait inside it took the whole 60 s.
  const polled = expect
    .poll(() => joined.getByRole('button', { name: NEVER_DRAWN }).textContent(), { timeout: 1_000 })
    .toBe('never')
    .then(
      () => 'matched',
      (error: Error) => error.message,
    )
  const outcomes = await Promise.all([clickNeverDrawn(joined), clickNeverDrawn(otherTab), clickNeverDrawn(bare), polled])
  for (const outcome of outcomes) {
    expect(outcome).toContain(`Timeout ${STEP_TIMEOUT_MS}ms exceeded`)
    expect(outcome).toContain(`getByRole('button', { name: '${NEVER_DRAWN}' })`)
  }
  await Promise.all([joined.context().close(), bare.close()])
}, 60_000)
