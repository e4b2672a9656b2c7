// What the flood tests share: two people in a room with a stock y-webrtc flooder linked to both,
// and what their pages hold. Uses vitest (expect.poll), so it stays out of flood-harness.ts.
import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import type { MessageRecord } from '../../src/history/index.js'
import { FLOODER_NAME, FlooderProcess } from './flood-harness.js'
import { type ChatStack, expectMessages, joinRoom, logNotices, roomUrl, sendMessage, uniqueRoom } from './harness.js'

/** The messages the room of `page`'s chat shows (drawn or not), as the element hands them out. */
export async function roomMessages(page: Page): Promise<MessageRecord[]> {
  return page.evaluate(() => [...(document.querySelector('parley-chat') as unknown as { messages: MessageRecord[] }).messages])
}

/** Every valid record `page`'s room holds, shown or hidden by the budgets. */
export async function heldRecords(page: Page): Promise<number> {
  return page.evaluate(() => {
    const chat = document.querySelector('parley-chat') as unknown as { messages: unknown[]; stats(): { hiddenRecords: number } | null }
    return chat.messages.length + (chat.stats()?.hiddenRecords ?? Number.NaN)
  })
}

/** Records `page`'s guards refused that its room still lacks (its stats' `refusedRecords`). */
export async function refusedRecords(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      (document.querySelector('parley-chat') as unknown as { stats(): { refusedRecords?: number } | null }).stats()?.refusedRecords ?? 0,
  )
}

/** Of those, the messages (its stats' `refusedMessages`): what the log's line counts. */
export async function refusedMessages(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      (document.querySelector('parley-chat') as unknown as { stats(): { refusedMessages?: number } | null }).stats()?.refusedMessages ??
      Number.NaN,
  )
}

/**
 * Expects the log of each of `pages` whose guards refused messages of the flooder that no page
 * holds (on one of them at least) to say how many, from the room's count: "N messages from ⚠
 * Flooder (unverified) hidden" (a refused record is never checked; its keys and annotations are
 * not messages).
 */
export async function expectRefusedLines(pages: readonly Page[]): Promise<void> {
  expect((await Promise.all(pages.map(refusedMessages))).some((messages) => messages > 0)).toBe(true)
  // The count is the room's at once; its line is placed at the log's next redraw (and a refused
  // update read in a later task may still move both): polled until the two agree. Read from the
  // log's lines, not the DOM: records that land after the line (a batch the guard let through,
  // applied in slices, or relayed by the other page) may push it above the entries the log draws.
  for (const page of pages) {
    await expect
      .poll(
        async () => {
          const records = await refusedMessages(page)
          const lines = (await logNotices(page)).filter((notice) => notice.includes(`from ⚠ ${FLOODER_NAME} (unverified) hidden`))
          const expected =
            records === 0
              ? []
              : [`${records.toLocaleString('en')} ${records === 1 ? 'message' : 'messages'} from ⚠ ${FLOODER_NAME} (unverified) hidden`]
          return JSON.stringify(lines) === JSON.stringify(expected) ? 'agree' : JSON.stringify({ records, lines })
        },
        { timeout: 10_000, interval: 200 },
      )
      .toBe('agree')
  }
}

/**
 * Alice and Bob in a new room of `stack`, having said hello, and a flooder linked to both and holding the
 * room's one message (its process at niceness `nice`); page errors are collected. The caller
 * closes the flooder and the pages.
 */
export async function roomWithFlooder(
  stack: ChatStack,
  label: string,
  nice = 0,
): Promise<{ alice: Page; bob: Page; pageErrors: string[]; flooder: FlooderProcess }> {
  const room = uniqueRoom(label)
  const url = roomUrl(stack.site.url, stack.signaling.url, room)
  const alice = await joinRoom(stack.browsers[0], url, 'Alice')
  const bob = await joinRoom(stack.browsers[1], url, 'Bob')
  const pageErrors: string[] = []
  for (const page of [alice, bob]) page.on('pageerror', (error) => pageErrors.push(error.message))
  await sendMessage(alice, 'hello')
  await expectMessages(bob, ['Alice: hello'])
  // In a process of its own: Node's WebRTC may crash it when the pages drop its links. On
  // node-datachannel: @roamhq/wrtc died of SIGSEGV in renew() (its provider destroyed), 1 run in 5.
  const flooder = await FlooderProcess.start({ room, signalingUrl: stack.signaling.url, rtc: 'node-datachannel' }, nice)
  try {
    await expect.poll(() => flooder.connectedLinks(), { timeout: 30_000 }).toBe(2)
    await expect.poll(() => flooder.messages(), { timeout: 15_000 }).toBe(1)
  } catch (error) {
    await flooder.close()
    throw error
  }
  return { alice, bob, pageErrors, flooder }
}
