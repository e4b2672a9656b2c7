// What the history tests and benchmark share: a Node peer that holds a room's history (Parley's
// Room, or stock y-webrtc as the reference), and probes that time a page's view of it.
// No vitest inside, so bench/history.ts can use it too.
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider, type SignalingConn } from 'y-webrtc'
import type { BrowserContext, Page } from 'playwright-core'
import { Room, type RtcImplementation } from '../../src/room/index.js'
import { messagesOf, ROOM_DATABASE_PREFIX, type MessageRecord } from '../../src/history/index.js'
import { generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import { nodeRtc as rtcNamed, type NodeRtcName } from '../support/node-rtc.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

/**
 * The WebRTC classes of a test's Node peers, as a room takes them: node-datachannel's (adapted in
 * node-rtc.ts); @roamhq/wrtc crashed (SIGSEGV) at teardown, which ends the test process with it.
 * The benchmarks ask for @roamhq/wrtc (`rtc: 'wrtc'`), which their published figures were measured on.
 */
export const nodeRtc: RtcImplementation = rtcNamed('node-datachannel')

/** Name the seeding peer writes under. */
export const SEEDER_NAME = 'Seeder'

/** The text of message `index` of a seeded history: short chat lines, and every 1000th at the 4,000-character cap. */
export function seededText(index: number): string {
  return index % 1000 === 999 ? `long ${index} ${'x'.repeat(4000 - 6 - String(index).length)}` : `message ${index} of the seeded history`
}

/** `count` signed messages for `topic`, as one author writes them. */
export async function signedHistory(topic: string, count: number, startAt = Date.now() - count * 1000): Promise<MessageRecord[]> {
  const signer = await signerFor(await generateSigningKeys())
  const records: MessageRecord[] = []
  for (let start = 0; start < count; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - start) }, (_, offset) => start + offset)
    records.push(
      ...(await Promise.all(
        batch.map(async (index) => {
          const unsigned = {
            id: `seed-${index}`,
            authorId: signer.userId,
            authorName: SEEDER_NAME,
            text: seededText(index),
            sentAt: startAt + index * 1000,
            publicKey: signer.publicKey,
          }
          return { ...unsigned, signature: await signer.sign(messageBytes(topic, unsigned)) }
        }),
      )),
    )
  }
  return records
}

/** A peer in Node holding a room's history. */
export interface Seeder {
  /** Encoded size of the document, in bytes. */
  docBytes: number
  /** The records the peer holds now. */
  messages(): unknown[]
  close(): void
}

/** Opens the room in Node as Parley does (framing, liveness), with `count` signed messages. */
export async function seedParleyRoom(options: {
  room: string
  signalingUrl: string
  count: number
  secret?: string | null
  /** The Node WebRTC library (default node-datachannel). */
  rtc?: NodeRtcName
}): Promise<Seeder & { stateVector: Map<number, number> }> {
  const doc = new Y.Doc()
  const room = new Room({
    name: options.room,
    secret: options.secret ?? null,
    signalingUrls: [options.signalingUrl],
    iceServers: [],
    wrtc: rtcNamed(options.rtc ?? 'node-datachannel'),
    persist: false,
    doc,
  })
  const records = await signedHistory(room.topic, options.count)
  doc.transact(() => messagesOf(doc).push(records))
  return {
    docBytes: Y.encodeStateAsUpdate(doc).byteLength,
    // What the history holds of each writer: a request naming less lacks some of it.
    stateVector: Y.decodeStateVector(Y.encodeStateVector(doc)),
    messages: () => [...room.messages],
    close: () => room.close(),
  }
}

/** Opens the room with stock y-webrtc in Node, with `count` (unsigned) messages: the reference. */
export function seedStockRoom(options: { room: string; signalingUrl: string; count: number; rtc?: NodeRtcName }): Seeder {
  const doc = new Y.Doc()
  const startAt = Date.now() - options.count * 1000
  messagesOf(doc).push(
    Array.from(
      { length: options.count },
      (_, index): MessageRecord => ({
        id: `seed-${index}`,
        authorId: 'seeder',
        authorName: SEEDER_NAME,
        text: seededText(index),
        sentAt: startAt + index * 1000,
      }),
    ),
  )
  const provider = new WebrtcProvider(options.room, doc, {
    signaling: [options.signalingUrl],
    peerOpts: { wrtc: rtcNamed(options.rtc ?? 'node-datachannel'), config: { iceServers: [] } },
  })
  for (const conn of provider.signalingConns) containStockCrash(conn)
  return {
    docBytes: Y.encodeStateAsUpdate(doc).byteLength,
    messages: () => messagesOf(doc).toArray(),
    close: () => {
      provider.disconnect()
      provider.destroy()
      doc.destroy()
    },
  }
}

/** Signaling connections whose listeners no longer take the process down. */
const contained = new WeakSet<SignalingConn>()

/**
 * Stock y-webrtc 10.3 throws in its signaling handler on an answer for a link it already
 * dropped (`existingConn.glareToken` of undefined), which happens after an offer glare it
 * mishandles. In a browser that is a console error; in Node it would end the test process,
 * which runs the reference peers. It is contained here, for the reference peers only.
 */
function containStockCrash(conn: SignalingConn): void {
  if (contained.has(conn)) return
  contained.add(conn)
  for (const listener of [...(conn._observers.get('message') ?? [])] as Array<(message: unknown) => void>) {
    conn.off('message', listener)
    conn.on('message', (message: unknown) => {
      try {
        listener(message)
      } catch (error) {
        if (!(error instanceof TypeError && error.message.includes('glareToken'))) throw error
      }
    })
  }
}

/** Makes pages of this profile skip the name form, as a returning user does. */
export async function rememberName(context: BrowserContext, name: string): Promise<void> {
  await context.addInitScript((stored) => {
    localStorage.setItem('parley:name', stored)
  }, name)
}

/**
 * Installs, before the app loads, a probe that stamps (performance.now()) when the page's
 * first peer connection connects, when the chat holds `count` messages, and when the last
 * of them is rendered in the log. Read it with `historyTimes`.
 */
export async function probeHistory(context: BrowserContext, count: number, lastText: string): Promise<void> {
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  await context.addInitScript(`(${PROBE_SCRIPT})(${JSON.stringify(count)}, ${JSON.stringify(lastText)})`)
}

const PROBE_SCRIPT = `function (count, lastText) {
  const probe = { connectedAt: null, heldAt: null, shownAt: null, held: 0 }
  window.historyProbe = probe
  const Base = window.RTCPeerConnection
  window.RTCPeerConnection = class extends Base {
    constructor (config) {
      super(config)
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected' && probe.connectedAt === null) probe.connectedAt = performance.now()
      })
    }
  }
  function shown (chat) {
    const list = chat.shadowRoot && chat.shadowRoot.querySelector('parley-message-list')
    const paragraphs = list && list.shadowRoot ? list.shadowRoot.querySelectorAll('article p') : []
    return paragraphs.length > 0 && paragraphs[paragraphs.length - 1].textContent === lastText
  }
  function frame (chat) {
    if (probe.heldAt !== null && shown(chat)) probe.shownAt = performance.now()
    else requestAnimationFrame(() => frame(chat))
  }
  function watch () {
    const chat = document.querySelector('parley-chat')
    if (chat === null || typeof chat.onMessage !== 'function') return void requestAnimationFrame(watch)
    chat.onMessage(() => { if (++probe.held === count) probe.heldAt = performance.now() })
    requestAnimationFrame(() => frame(chat))
  }
  document.addEventListener('DOMContentLoaded', watch)
}`

/** What the probe saw, in ms since navigation start (null: not yet). */
export interface HistoryTimes {
  connectedAt: number | null
  heldAt: number | null
  shownAt: number | null
  held: number
}

/** Reads the probe installed by `probeHistory`. */
export async function historyTimes(page: Page): Promise<HistoryTimes> {
  return page.evaluate(() => (window as unknown as { historyProbe: HistoryTimes }).historyProbe)
}

/** Used JS heap of a page after a full garbage collection, in bytes (Chrome DevTools Protocol). */
export async function usedHeapBytes(page: Page): Promise<number> {
  const session = await page.context().newCDPSession(page)
  try {
    await session.send('HeapProfiler.collectGarbage')
    await session.send('Performance.enable')
    const { metrics } = await session.send('Performance.getMetrics')
    return metrics.find((metric) => metric.name === 'JSHeapUsedSize')?.value ?? Number.NaN
  } finally {
    await session.detach()
  }
}

/** The UTF-8 bytes of every record in a room's IndexedDB store, searched for `text` (is it on disk?). */
export async function storedInBrowser(page: Page, database: string, text: string): Promise<boolean> {
  return page.evaluate(
    async ({ database, text }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(database)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      try {
        if (!db.objectStoreNames.contains('updates')) return false
        const values = await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction('updates', 'readonly').objectStore('updates').getAll()
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        })
        const needle = new TextEncoder().encode(text)
        return values.some((value) => value instanceof Uint8Array && indexOf(value, needle) >= 0)
      } finally {
        db.close()
      }
      function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
        outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
          for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer
          return i
        }
        return -1
      }
    },
    { database, text },
  )
}

/** What the page's stored rooms hold (every Parley database's updates): see `storedRooms`. */
export interface StoredRooms {
  /** Stored updates, in all. */
  updates: number
  /** The largest update's bytes (0: none). */
  largestBytes: number
  /** The updates' bytes, in all: what a load reads and applies. */
  bytes: number
  /** Databases of a room that hold no update. */
  emptyRooms: number
  /**
   * Whether an update of some room holds `text` (false when none was given). Not only the last: a
   * history is stored in the parts it came in, and after them what the page relayed of it (the
   * last batch of the relay's run, when a link lacked its records).
   */
  holds: boolean
}

/**
 * Reads every Parley room database of the page: how many updates, the largest, and whether one of
 * them holds `text` (searched from the last: the newest message is stored late).
 */
export async function storedRooms(page: Page, text?: string): Promise<StoredRooms> {
  return page.evaluate(
    async ({ prefix, text }) => {
      // No named functions in here: tsx (the benches) wraps them in a helper the page lacks.
      const needle = text === undefined ? null : new TextEncoder().encode(text)
      const stored = { updates: 0, largestBytes: 0, bytes: 0, emptyRooms: 0, holds: false }
      for (const { name } of await indexedDB.databases()) {
        if (name === undefined || !name.startsWith(prefix)) continue
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name)
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(request.error)
        })
        const values = !db.objectStoreNames.contains('updates')
          ? []
          : await new Promise<unknown[]>((resolve, reject) => {
              const request = db.transaction('updates', 'readonly').objectStore('updates').getAll()
              request.onsuccess = () => resolve(request.result)
              request.onerror = () => reject(request.error)
            })
        db.close()
        if (values.length === 0) stored.emptyRooms++
        stored.updates += values.length
        for (const value of values)
          if (value instanceof Uint8Array) {
            stored.largestBytes = Math.max(stored.largestBytes, value.byteLength)
            stored.bytes += value.byteLength
          }
        for (let at = values.length - 1; needle !== null && at >= 0 && !stored.holds; at--) {
          const value = values[at]
          if (!(value instanceof Uint8Array)) continue
          search: for (let i = 0; i + needle.length <= value.length; i++) {
            for (let j = 0; j < needle.length; j++) if (value[i + j] !== needle[j]) continue search
            stored.holds = true
            break
          }
        }
      }
      return stored
    },
    { prefix: ROOM_DATABASE_PREFIX, text },
  )
}
