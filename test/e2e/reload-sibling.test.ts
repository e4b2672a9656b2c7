// A tab that opens a large stored room while another tab of the same browser holds it does not
// apply that sibling's answer to a request made mid-load. y-webrtc asks its sibling tabs over
// BroadcastChannel as its room connects, with the state vector the page has then (the stored
// history loads a part a task): the sibling answered with nearly the whole history, and y-webrtc
// applied it in one task (seconds at 100,000 messages: bench/reload.ts --sibling). Real Chromium,
// two tabs of one browser context (one profile: one IndexedDB, one BroadcastChannel scope), the
// real signaling server; a public and a private room (y-webrtc encrypts what tabs post there).
import { describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { newPrivateRoom, roomFragment } from '../../src/address/index.js'
import { composer, sendMessage, uniqueRoom, useChatStack } from './harness.js'
import { rememberName, seedParleyRoom, storedRooms } from './history-harness.js'

/** Messages in the room: stored as about 16 parts, so the second tab's room connects while they load. */
const HISTORY_MESSAGES = 30_000
/** Time for a history to arrive, be stored and merged, or load from the disk, in ms (speed is the benchmark's). */
const STEP_BOUND_MS = 120_000
/** Bytes a stored update may have once storage's merge cut the history into parts (persistence.ts COMPACT_ABOVE_BYTES). */
const MERGED_PART_BYTES = 1024 * 1024
/** The largest stored room update's bytes (the merge cuts a history stored as received into parts); a room stored empty counts as unmerged. */
async function largestStoredBytes(page: Page): Promise<number> {
  const stored = await storedRooms(page)
  return stored.emptyRooms > 0 ? Number.POSITIVE_INFINITY : stored.largestBytes
}

/** Of the history's bytes, the least a sibling's answer to a mid-load request holds (a fraction of a part is what the load had applied). */
const ANSWER_SHARE_AT_LEAST = 0.25

const stack = useChatStack(1)

/**
 * Counts, in the page, the messages that arrive on y-webrtc's BroadcastChannels (Parley's own is
 * named `parley-goodbyes/…`), and the largest one's bytes, in `window.siblingProbe`.
 */
const SIBLING_PROBE = `(() => {
  const probe = { messages: 0, largestBytes: 0 }
  window.siblingProbe = probe
  const Base = window.BroadcastChannel
  window.BroadcastChannel = class extends Base {
    constructor (name) {
      super(name)
      if (String(name).startsWith('parley-goodbyes/')) return
      this.addEventListener('message', (event) => {
        const data = event.data
        const bytes = data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? data.byteLength : 0
        probe.messages++
        probe.largestBytes = Math.max(probe.largestBytes, bytes)
      })
    }
  }
})()`

interface SiblingProbe {
  messages: number
  largestBytes: number
}

const probe = (page: Page): Promise<SiblingProbe> =>
  page.evaluate(() => ({ ...(window as unknown as { siblingProbe: SiblingProbe }).siblingProbe }))

/** How many messages the page's chat holds. */
const heldCount = (page: Page): Promise<number> =>
  page.evaluate(() => (document.querySelector('parley-chat') as { messages?: unknown[] } | null)?.messages?.length ?? -1)

interface SiblingStats {
  answersSetAside: number
  bytesSetAside: number
  requestsAfterLoad: number
}

/** What the page's transport set aside from its sibling tabs (undefined where the transport counts no such thing). */
const siblingStats = (page: Page): Promise<SiblingStats | undefined> =>
  page.evaluate(
    () => (document.querySelector('parley-chat') as unknown as { stats(): { siblings?: SiblingStats } | null }).stats()?.siblings,
  )

describe('a tab opening a stored room beside a sibling tab', () => {
  it.each([
    ['public', false],
    ['private', true],
  ] as const)(
    'in a %s room, sets aside the sibling’s answer to its mid-load request, and the tabs still sync',
    { timeout: 480_000 },
    async (_kind, isPrivate) => {
      const { name: room, secret } = isPrivate ? newPrivateRoom() : { name: uniqueRoom('reload-sibling'), secret: null }
      const url = `${stack.site.url}?signaling=${encodeURIComponent(stack.signaling.url)}&ice=${roomFragment({ name: room, secret })}`
      const seeder = await seedParleyRoom({ room, signalingUrl: stack.signaling.url, count: HISTORY_MESSAGES, secret })
      let context: BrowserContext | null = null
      try {
        context = await stack.browsers[0].newContext()
        await rememberName(context, 'Alice')
        await context.addInitScript(SIBLING_PROBE)
        const first = await context.newPage()
        await first.goto(url)
        await composer(first).waitFor({ state: 'visible' })
        await expect.poll(() => heldCount(first), { timeout: STEP_BOUND_MS, interval: 250 }).toBe(HISTORY_MESSAGES)
        // Stored and merged into parts, as a room opened before is: the next tab loads it a part a task.
        await expect.poll(() => largestStoredBytes(first), { timeout: STEP_BOUND_MS, interval: 500 }).toBeLessThanOrEqual(MERGED_PART_BYTES)
        seeder.close()
        // Only the first tab holds the room now; a second tab of the same profile opens it from the disk.
        const second = await context.newPage()
        await second.goto(url)
        await expect.poll(() => heldCount(second), { timeout: STEP_BOUND_MS, interval: 250 }).toBe(HISTORY_MESSAGES)
        // The sibling answered the request the second tab's room made as it connected, with much of the history.
        await expect
          .poll(async () => (await probe(second)).largestBytes, { timeout: STEP_BOUND_MS, interval: 250 })
          .toBeGreaterThan(seeder.docBytes * ANSWER_SHARE_AT_LEAST)
        // That answer was not applied: set aside whole, and asked for again once loaded.
        const stats = await siblingStats(second)
        expect(stats?.answersSetAside).toBeGreaterThan(0)
        expect(stats?.bytesSetAside).toBeGreaterThanOrEqual((await probe(second)).largestBytes)
        expect(stats?.requestsAfterLoad).toBeGreaterThan(0)
        // The tabs still sync with each other, both ways.
        await sendMessage(first, 'from the first tab')
        await sendMessage(second, 'from the second tab')
        for (const page of [first, second])
          await expect.poll(() => heldCount(page), { timeout: STEP_BOUND_MS, interval: 250 }).toBe(HISTORY_MESSAGES + 2)
      } finally {
        seeder.close()
        await context?.close()
      }
    },
  )
})
