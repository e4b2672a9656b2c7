// What a hostile peer can make a page draw, in real Chromium: a stock y-webrtc peer posing as a
// Parley member with a colour that is CSS (covering the chat, fetching the attacker's URL) or
// writing a time no Date can hold, and messages whose signatures are still being checked, which
// must not show as their claimed author.
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeRtc } from './history-harness.js'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import type { Browser, Page } from 'playwright-core'
import type axe from 'axe-core'
import { topicFor } from '../../src/address/index.js'
import { Room } from '../../src/room/index.js'
import { messagesOf, type MessageRecord } from '../../src/history/index.js'
import { colorFor, generateSigningKeys, signerFor } from '../../src/identity/index.js'
import {
  composer,
  expectMessages,
  joinRoom,
  messageLog,
  roomUrl,
  sendMessage,
  shownMembers,
  shownMessages,
  uniqueRoom,
  useChatStack,
} from './harness.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

/** The user key the stock peer claims: shaped like a Parley user id (16 bytes, base64url). */
const MALLORY_KEY = 'MaLLoRyMaLLoRyMaLLoRy0'
/** A "colour" that, pasted into a style attribute, spreads the dot over the whole chat (within 64 characters). */
const COVERING_COLOR = 'red;position:fixed;inset:0;width:auto;height:auto;z-index:9'
/** How long requests to the attacker's server are awaited after the page drew the member. */
const FETCH_GRACE_MS = 500
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
/** Shown for a message or member whose signature is not checked yet. */
const PENDING = 'Checking signature…'

const stack = useChatStack(1)
const browser = (): Browser => stack.browsers[0]

/** An HTTP server on loopback standing for the attacker's: it records each path asked for. */
let attacker: Server
const requested: string[] = []
let attackerUrl = ''

beforeAll(async () => {
  attacker = createServer((request, response) => {
    requested.push(request.url ?? '')
    response.writeHead(204, { 'access-control-allow-origin': '*' }).end()
  })
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
})

afterAll(async () => {
  attacker.closeAllConnections()
  await new Promise((resolve) => attacker.close(resolve))
})

/**
 * A stock y-webrtc peer in `room` (no Parley code) whose awareness state claims to be a Parley
 * member, unsigned, with the given colour: what anyone can send with the stock client.
 */
function stockMember(room: string, color: string): { doc: Y.Doc; close: () => void } {
  const doc = new Y.Doc()
  const provider = new WebrtcProvider(topicFor({ name: room, secret: null }), doc, {
    signaling: [stack.signaling.url],
    peerOpts: { wrtc: nodeRtc, config: { iceServers: [] } },
  })
  provider.awareness.setLocalStateField('presence', {
    key: MALLORY_KEY,
    meta: { name: 'Mallory', color, typing: false, since: Date.now() },
    version: 1,
  })
  return {
    doc,
    close: () => {
      provider.disconnect()
      provider.destroy()
      doc.destroy()
    },
  }
}

/** Bob in a fresh room with the stock peer claiming `color`, once his page shows it. */
async function bobWithMallory(label: string, color: string): Promise<{ page: Page; doc: Y.Doc; close: () => void }> {
  const room = uniqueRoom(label)
  const page = await joinRoom(browser(), roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
  const mallory = stockMember(room, color)
  await expect.poll(() => shownMembers(page), { timeout: 15_000, interval: 50 }).toContain('⚠ Mallory (unverified)')
  return { page, doc: mallory.doc, close: mallory.close }
}

/** Mallory's dot as drawn: its colour property, position, size and background image. */
function malloryDot(page: Page) {
  return page
    .getByRole('list', { name: 'Members' })
    .getByRole('listitem')
    .filter({ hasText: 'Mallory' })
    .locator('.dot')
    .evaluate((dot) => {
      const style = getComputedStyle(dot)
      const box = dot.getBoundingClientRect()
      return {
        color: style.getPropertyValue('--member-color').trim(),
        position: style.position,
        backgroundImage: style.backgroundImage,
        width: box.width,
        height: box.height,
      }
    })
}

/** The element a click at the middle of the message field lands on, looking through shadow roots. */
function elementAtComposer(page: Page): Promise<string> {
  return composer(page).evaluate((field) => {
    const box = field.getBoundingClientRect()
    const x = box.left + box.width / 2
    const y = box.top + box.height / 2
    let root: Document | ShadowRoot = document
    let hit = root.elementFromPoint(x, y)
    while (hit?.shadowRoot) {
      const inner: Element | null = hit.shadowRoot.elementFromPoint(x, y)
      if (inner === null || inner === hit) break
      root = hit.shadowRoot
      hit = inner
    }
    return hit === field ? 'message field' : `${hit?.localName}.${hit?.className}`
  })
}

describe("a peer's colour", () => {
  it('cannot cover the chat: the dot is drawn in the colour derived from its key', async () => {
    const { page, close } = await bobWithMallory('cover', COVERING_COLOR)
    try {
      const dot = await malloryDot(page)
      expect(dot).toMatchObject({ color: colorFor(MALLORY_KEY), position: 'static', backgroundImage: 'none' })
      expect(dot.width).toBeLessThan(20)
      expect(dot.height).toBeLessThan(20)
      expect(await elementAtComposer(page)).toBe('message field')
      await composer(page).click({ timeout: 5_000 })
    } finally {
      close()
      await page.context().close()
    }
  })

  it("cannot make the page fetch the attacker's URL", async () => {
    requested.length = 0
    const { page, close } = await bobWithMallory('fetch', `red;background:url(${attackerUrl}/dot)`)
    try {
      expect((await malloryDot(page)).backgroundImage).toBe('none')
      // Let the page draw, then ask the same server for a marker: a fetch the drawing started comes first.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
      await page.evaluate((url) => fetch(url, { mode: 'no-cors' }).then(() => undefined), `${attackerUrl}/marker`)
      await expect.poll(() => requested, { timeout: 5_000 }).toContain('/marker')
      await new Promise((resolve) => setTimeout(resolve, FETCH_GRACE_MS))
      expect(requested).toEqual(['/marker'])
    } finally {
      close()
      await page.context().close()
    }
  })
})

/** axe-core's colour-contrast violations on the page, one line each. */
async function contrastViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE })
  return page.evaluate(async () => {
    const results = await (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: ['color-contrast'] })
    return results.violations.flatMap((violation) => violation.nodes.map((node) => `${JSON.stringify(node.target)} ${node.failureSummary}`))
  })
}

describe("a peer's message time", () => {
  it('past the last date a Date can hold does not break the log', async () => {
    const { page, doc, close } = await bobWithMallory('far-future', 'red')
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    try {
      messagesOf(doc).push([{ id: 'far', authorId: MALLORY_KEY, authorName: 'Mallory', text: 'from the year 300000', sentAt: 1e16 }])
      await sendMessage(page, 'still here')
      await expectMessages(page, ['Bob: still here'])
      expect(pageErrors).toEqual([])
    } finally {
      close()
      await page.context().close()
    }
  })
})

/** Holds every `crypto.subtle.verify` in the page until `window.releaseVerify()` is called. */
function holdVerification(): void {
  const subtle = crypto.subtle
  const verify = subtle.verify.bind(subtle)
  let release = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  Object.assign(window, { releaseVerify: release })
  subtle.verify = async (...args: Parameters<SubtleCrypto['verify']>) => {
    await released
    return verify(...args)
  }
}

describe('a message whose signature is being checked', () => {
  it('shows as pending, never as its claimed author, until the check settles', async () => {
    const room = uniqueRoom('pending')
    const context = await browser().newContext()
    await context.addInitScript(holdVerification)
    const bobPage = await context.newPage()
    await bobPage.goto(roomUrl(stack.site.url, stack.signaling.url, room))
    await bobPage.getByRole('textbox', { name: 'Your name' }).fill('Bob')
    await bobPage.getByRole('button', { name: 'Join' }).click()
    await composer(bobPage).waitFor({ state: 'visible' })

    const doc = new Y.Doc()
    const alice = new Room({ name: room, signalingUrls: [stack.signaling.url], iceServers: [], wrtc: nodeRtc, doc })
    try {
      const signer = await signerFor(await generateSigningKeys())
      const author = { userId: signer.userId, name: 'Alice', signer }
      await alice.presence.join(author)
      const genuine = await alice.send(author, 'hello from me')
      // Alice's signature on words she never wrote: it will fail, once checked.
      const forged: MessageRecord = { ...genuine, id: 'forged', text: 'forged words', sentAt: genuine.sentAt + 1 }
      messagesOf(doc).push([forged])

      await expectMessages(bobPage, [`${PENDING}: hello from me`, `${PENDING}: forged words`])
      // Bob's own presence was signed by his page a moment ago: noted verified as it was signed
      // (vouchPresence), not checked; Alice's claim waits for its check.
      await expect.poll(async () => (await shownMembers(bobPage)).sort(), { timeout: 15_000 }).toEqual(['Bob (you)', PENDING])
      const articles = await messageLog(bobPage).getByRole('article').allTextContents()
      expect(articles.filter((text) => text.includes('Alice'))).toEqual([])
      await expect.poll(() => messageLog(bobPage).getByText(PENDING, { exact: true }).count()).toBe(2)
      const authorColors = await messageLog(bobPage)
        .locator('.author')
        .evaluateAll((authors) => authors.map((author) => (author as HTMLElement).style.getPropertyValue('--author-color')))
      expect(authorColors).toEqual(['', ''])
      // The label is readable in both themes (and still pending after axe's run).
      for (const colorScheme of ['light', 'dark'] as const) {
        await bobPage.emulateMedia({ colorScheme })
        expect(await contrastViolations(bobPage), colorScheme).toEqual([])
      }
      expect(await shownMessages(bobPage)).toEqual([`${PENDING}: hello from me`, `${PENDING}: forged words`])

      await bobPage.evaluate(() => (window as unknown as { releaseVerify: () => void }).releaseVerify())
      await expectMessages(bobPage, ['Alice: hello from me', '⚠ Alice (unverified): forged words'])
      await expect.poll(async () => (await shownMembers(bobPage)).sort(), { timeout: 15_000 }).toEqual(['Alice', 'Bob (you)'])
    } finally {
      alice.close()
      await context.close()
    }
  })
})
