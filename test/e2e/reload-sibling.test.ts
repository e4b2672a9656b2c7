// A tab that opens a large stored room while another tab of the same browser holds it does not
// apply that sibling's answer to a request made mid-load. y-webrtc asks its sibling tabs over
// BroadcastChannel as its room connects, with the state vector the page has then (the stored
// history loads a part a task): the sibling answered with nearly the whole history, and y-webrtc
// applied it in one task (seconds at 100,000 messages: bench/reload.ts --sibling). Real Chromium,
// two tabs of one browser context (one profile: one IndexedDB, one BroadcastChannel scope), the
// real signaling server; a public and a private room (y-webrtc encrypts what tabs post there).
import { describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { newPrivateRoom, roomFragment } from '../../src/address/index.js'
import { ROOM_DATABASE_PREFIX } from '../../src/history/index.js'
import { composer, sendMessage, uniqueRoom, useChatStack } from './harness.js'
import { rememberName, seedParleyRoom, storedRooms } from './history-harness.js'

/** Messages in the room: stored as about 16 parts, which the second tab loads a part a task. */
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

const stack = useChatStack(1)

/**
 * Keeps, in the page, what y-webrtc's BroadcastChannels carry (Parley's own is named
 * `parley-goodbyes/…`): each message posted and received, with its channel's name (y-webrtc's
 * room name, the salt of a private room's key), in `window.siblingProbe`.
 */
const SIBLING_PROBE = `(() => {
  const probe = { channel: '', posted: [], received: [] }
  window.siblingProbe = probe
  const copy = (data) => data instanceof ArrayBuffer ? new Uint8Array(data.slice(0))
    : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) : null
  const Base = window.BroadcastChannel
  window.BroadcastChannel = class extends Base {
    constructor (name) {
      super(name)
      if (String(name).startsWith('parley-goodbyes/')) return
      probe.channel = String(name)
      this.addEventListener('message', (event) => {
        const bytes = copy(event.data)
        if (bytes !== null) probe.received.push(bytes)
      })
    }
    postMessage (data) {
      if (!String(this.name).startsWith('parley-goodbyes/')) {
        const bytes = copy(data)
        if (bytes !== null) probe.posted.push(bytes)
      }
      return super.postMessage(data)
    }
  }
})()`

interface SiblingTraffic {
  /** y-webrtc's room name. */
  channel: string
  /** What the page posted to its siblings, in order, as posted (encrypted in a private room). */
  posted: Uint8Array[]
  /** What its siblings posted it, in order, as it arrived. */
  received: Uint8Array[]
}

/** What the page's probe kept, as base64 across the protocol. */
async function siblingTraffic(page: Page): Promise<SiblingTraffic> {
  const kept = await page.evaluate(() => {
    const probe = (window as unknown as { siblingProbe: { channel: string; posted: Uint8Array[]; received: Uint8Array[] } }).siblingProbe
    const base64 = (bytes: Uint8Array): string => {
      let text = ''
      for (let at = 0; at < bytes.length; at += 0x8000) text += String.fromCharCode(...bytes.subarray(at, at + 0x8000))
      return btoa(text)
    }
    return { channel: probe.channel, posted: probe.posted.map(base64), received: probe.received.map(base64) }
  })
  const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'))
  return { channel: kept.channel, posted: kept.posted.map(bytes), received: kept.received.map(bytes) }
}

/** How many messages the page posted its siblings. */
const postedCount = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { siblingProbe: { posted: unknown[] } }).siblingProbe.posted.length)

/** y-webrtc's key for a private room (its crypto.js deriveKey, which it does not export). */
async function yWebrtcKey(secret: string, roomName: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveKey'])
  const salt = new TextEncoder().encode(roomName)
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt, iterations: 100_000, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    true,
    ['decrypt'],
  )
}

/** A message as y-webrtc wrote it before encrypting (its crypto.js format: the algorithm's name, the iv, the cipher text); null if not one. */
async function plainOf(data: Uint8Array, key: CryptoKey | null): Promise<Uint8Array | null> {
  if (key === null) return data
  try {
    const decoder = decoding.createDecoder(data)
    if (decoding.readVarString(decoder) !== 'AES-GCM') return null
    const iv = decoding.readVarUint8Array(decoder) as Uint8Array<ArrayBuffer>
    const cipher = decoding.readVarUint8Array(decoder) as Uint8Array<ArrayBuffer>
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, cipher))
  } catch {
    return null
  }
}

/** y-webrtc's sync message (its messageSync) of the given sync step: the state vector or update it carries; null if another. */
function syncPayload(
  plain: Uint8Array,
  step: typeof syncProtocol.messageYjsSyncStep1 | typeof syncProtocol.messageYjsSyncStep2,
): Uint8Array | null {
  const decoder = decoding.createDecoder(plain)
  if (decoding.readVarUint(decoder) !== Y_WEBRTC_MESSAGE_SYNC) return null
  if (decoding.readVarUint(decoder) !== step) return null
  return decoding.readVarUint8Array(decoder)
}

/** y-webrtc's message type of a sync message (y-webrtc.js `messageSync`). */
const Y_WEBRTC_MESSAGE_SYNC = 0

/** Whether every writer's clock in `have` is at least its clock in `want`. */
const covers = (have: Map<number, number>, want: Map<number, number>): boolean =>
  [...want].every(([client, clock]) => (have.get(client) ?? 0) >= clock)

/**
 * Keeps the stored rooms' reads waiting, from `page` (a tab of the same profile): a read-write
 * transaction on each room's store, kept open by one read after another until
 * `window.releaseStoredRooms()`. A tab opening the room meanwhile has its transport connect before
 * its load applies a part, whatever the machine's load (a slow disk, as it were).
 */
const holdStoredRooms = (page: Page): Promise<void> =>
  page.evaluate(async (prefix) => {
    let held = true
    ;(window as unknown as { releaseStoredRooms: () => void }).releaseStoredRooms = () => {
      held = false
    }
    for (const { name } of await indexedDB.databases()) {
      if (name === undefined || !name.startsWith(prefix)) continue
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      const store = db.transaction('updates', 'readwrite').objectStore('updates')
      const keepOpen = (): void => {
        if (held) store.count().onsuccess = keepOpen
      }
      keepOpen()
    }
  }, ROOM_DATABASE_PREFIX)

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
        // Only the first tab holds the room now; a second tab of the same profile opens it from the
        // disk, its read held until its room has connected and asked its siblings (what the load
        // applies before then depends on the machine's load: none to 94% of the history, and under a
        // delay on the transport's code, in a private room, all of it before the room connected).
        await holdStoredRooms(first)
        const second = await context.newPage()
        await second.goto(url)
        await expect.poll(() => postedCount(second), { timeout: STEP_BOUND_MS, interval: 100 }).toBeGreaterThan(0)
        await first.evaluate(() => (window as unknown as { releaseStoredRooms: () => void }).releaseStoredRooms())
        await expect.poll(() => heldCount(second), { timeout: STEP_BOUND_MS, interval: 250 }).toBe(HISTORY_MESSAGES)
        // That tab's room connected mid-load: the request it posted its siblings named less than the stored history.
        await expect
          .poll(async () => (await siblingStats(second))?.answersSetAside, { timeout: STEP_BOUND_MS, interval: 250 })
          .toBeGreaterThan(0)
        const traffic = await siblingTraffic(second)
        const key = secret === null ? null : await yWebrtcKey(secret, traffic.channel)
        const plainPosted = await Promise.all(traffic.posted.map((data) => plainOf(data, key)))
        const requests = plainPosted.flatMap((plain) => {
          const stateVector = plain === null ? null : syncPayload(plain, syncProtocol.messageYjsSyncStep1)
          return stateVector === null ? [] : [Y.decodeStateVector(stateVector)]
        })
        const history = seeder.stateVector
        const midLoad = requests[0]
        expect(midLoad).toBeDefined()
        expect(covers(midLoad, history)).toBe(false)
        // A sibling answered it with all it lacked (each writer from the request's clock to the history's end)...
        const lacked = [...history].filter(([client, clock]) => (midLoad.get(client) ?? 0) < clock)
        const answers: Uint8Array[] = []
        for (const data of traffic.received) {
          const plain = await plainOf(data, key)
          const update = plain === null ? null : syncPayload(plain, syncProtocol.messageYjsSyncStep2)
          if (update === null) continue
          const { from, to } = Y.parseUpdateMeta(update)
          const fromRequest = lacked.every(([client]) => from.get(client) === (midLoad.get(client) ?? 0))
          if (fromRequest && covers(to, history)) answers.push(data)
        }
        expect(answers.length).toBeGreaterThan(0)
        // ...and that answer was not applied: set aside whole, and asked for again once loaded.
        const stats = await siblingStats(second)
        expect(stats?.answersSetAside).toBeGreaterThan(0)
        expect(stats?.bytesSetAside).toBeGreaterThanOrEqual(Math.max(...answers.map((data) => data.byteLength)))
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
