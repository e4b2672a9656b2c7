// What the flood test and benchmark share: a stock y-webrtc peer in Node that writes signed
// messages as fast as its links take them, and a page probe for long tasks and rendered lines.
// No vitest inside, so bench/flood.ts can use it too.
import { fileURLToPath } from 'node:url'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import type { BrowserContext, Page } from 'playwright-core'
import { topicFor } from '../../src/address/index.js'
import { keysOf, messagesOf, readMessages, type MessageRecord } from '../../src/history/index.js'
import { PUBLIC_KEY_BYTES } from '../../src/history/schema.js'
import { generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import { IpcChild } from '../support/ipc-child.js'
import { nodeRtc, type NodeRtcName } from '../support/node-rtc.js'
import type { FlooderCommand } from './flooder-child.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

/** Name the flooding peer writes under. */
export const FLOODER_NAME = 'Flooder'
/** Messages written between two turns of the Node event loop (so the links send meanwhile). */
const FLOOD_CHUNK = 25
/**
 * Claimed time between two forgeries, in ms: five a second, faster than an author's budget
 * refills, and running ahead of the clock, so that the claimed author's budget stays spent.
 */
const FORGERY_SPACING_MS = 200
/** Bytes queued on a data channel above which the flooder waits for it to drain. */
const MAX_BUFFERED_BYTES = 4 * 2 ** 20
/** How often the flooder looks at a full channel again, in ms. */
const DRAIN_POLL_MS = 5

/** A stock y-webrtc peer (no Parley code on its side) that can flood a room. */
export interface Flooder {
  /** The peer's own document. */
  doc: Y.Doc
  /** Open links to other peers now. */
  connectedLinks(): number
  /**
   * Writes `count` signed messages, one transaction each, as fast as the links take them;
   * resolves when all are written. With `forge`, each claims the id, name and key of the
   * author of the room's first message named `forge`, and is signed with the flooder's own key.
   * With `untilDropped`, it stops once no link is left.
   */
  flood(count: number, forge?: string, untilDropped?: boolean): Promise<void>
  /**
   * Writes `count` messages signed with the flooder's own key (the current one: see `renew`),
   * `batch` to a transaction, claiming times `spacingMs` apart that end now, or at `endAt` (ms
   * since the epoch; so in the past); stops once no link is left.
   */
  floodSpaced(count: number, batch: number, spacingMs: number, endAt?: number): Promise<void>
  /**
   * As `floodSpaced`, at most `perSecond` messages a second (a batch every `batch / perSecond`
   * seconds): a slow flood, under the links' short rate; stops once no link is left.
   */
  floodPaced(count: number, batch: number, spacingMs: number, perSecond: number): Promise<void>
  /**
   * Writes `keys` made-up public keys in one transaction, the keys array's alone, then `count`
   * own-key messages as `floodSpaced` does, all signed before the first is written and written at
   * once (so on the wire before a page that refuses the keys drops the link).
   */
  floodKeysFirst(keys: number, count: number, batch: number, spacingMs: number): Promise<void>
  /** Leaves the room and joins it again as somebody new: a new peer id, a new document (Yjs writer) and a new key. */
  renew(): Promise<void>
  /** Leaves the room and joins it again with the same document: a new y-webrtc peer id, the same Yjs writer. */
  reconnect(): void
  close(): void
}

/** The text of flood message `index`. */
export function floodText(index: number): string {
  return `flood ${index}`
}

/** Where a flooder goes, and with which Node WebRTC library (default @roamhq/wrtc). */
export interface FlooderOptions {
  room: string
  signalingUrl: string
  rtc?: NodeRtcName
}

/** Opens `room` with stock y-webrtc 10.3 in Node, ready to flood it. */
export async function openFlooder(options: FlooderOptions): Promise<Flooder> {
  let doc = new Y.Doc()
  const topic = topicFor({ name: options.room, secret: null })
  const connect = () =>
    new WebrtcProvider(topic, doc, {
      signaling: [options.signalingUrl],
      peerOpts: { wrtc: nodeRtc(options.rtc ?? 'wrtc'), config: { iceServers: [] } },
    })
  let provider = connect()
  /** Records written so far, over all floods: the next one's id. */
  let written = 0
  let signer = await signerFor(await generateSigningKeys())
  const conns = () => [...(provider.room?.webrtcConns.values() ?? [])].filter((conn) => conn.connected)
  const buffered = () =>
    Math.max(
      0,
      ...conns().map((conn) => (conn.peer as unknown as { _channel?: { bufferedAmount?: number } })._channel?.bufferedAmount ?? 0),
    )
  /** Own-key messages `start` to `end` of `count`, claiming times `spacingMs` apart that end at `endAt`. */
  const spacedRecords = async (start: number, end: number, count: number, spacingMs: number, endAt: number): Promise<MessageRecord[]> => {
    const records: MessageRecord[] = []
    for (let index = start; index < end; index++) {
      const unsigned = {
        id: `flood-${written++}`,
        authorId: signer.userId,
        authorName: FLOODER_NAME,
        text: floodText(index),
        sentAt: endAt - (count - index) * spacingMs,
        publicKey: signer.publicKey,
      }
      records.push({ ...unsigned, signature: await signer.sign(messageBytes(topic, unsigned)) })
    }
    return records
  }
  const floodPaced = async (count: number, batch: number, spacingMs: number, perSecond: number, endAt = Date.now()): Promise<void> => {
    const startedAt = performance.now()
    for (let start = 0; start < count && conns().length > 0; start += batch) {
      messagesOf(doc).push(await spacedRecords(start, Math.min(count, start + batch), count, spacingMs, endAt))
      await new Promise((resolve) => setImmediate(resolve))
      while (buffered() > MAX_BUFFERED_BYTES) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))
      const dueMs = ((start + batch) * 1000) / perSecond - (performance.now() - startedAt)
      if (dueMs > 0) await new Promise((resolve) => setTimeout(resolve, dueMs))
    }
  }
  return {
    get doc() {
      return doc
    },
    connectedLinks: () => conns().length,
    async flood(count, forge, untilDropped = false) {
      const startAt = Date.now()
      const victim = forge === undefined ? undefined : readMessages(doc).messages.find((each) => each.authorName === forge)
      if (forge !== undefined && victim?.publicKey === undefined) throw new Error(`flood: no signed message by ${forge} to forge`)
      for (let index = 0; index < count; index++) {
        const unsigned = {
          id: `flood-${written++}`,
          authorId: victim?.authorId ?? signer.userId,
          authorName: victim?.authorName ?? FLOODER_NAME,
          text: floodText(index),
          sentAt: startAt + index * (victim === undefined ? 1 : FORGERY_SPACING_MS),
          publicKey: victim?.publicKey ?? signer.publicKey,
        }
        const record: MessageRecord = { ...unsigned, signature: await signer.sign(messageBytes(topic, unsigned)) }
        messagesOf(doc).push([record])
        if (untilDropped && conns().length === 0) return
        if (index % FLOOD_CHUNK === FLOOD_CHUNK - 1) {
          await new Promise((resolve) => setImmediate(resolve))
          while (buffered() > MAX_BUFFERED_BYTES) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS))
        }
      }
    },
    floodSpaced: (count, batch, spacingMs, endAt) => floodPaced(count, batch, spacingMs, Number.POSITIVE_INFINITY, endAt),
    async floodKeysFirst(keys, count, batch, spacingMs) {
      const endAt = Date.now()
      const batches: MessageRecord[][] = []
      for (let start = 0; start < count; start += batch)
        batches.push(await spacedRecords(start, Math.min(count, start + batch), count, spacingMs, endAt))
      keysOf(doc).push(Array.from({ length: keys }, (_, n) => new Uint8Array(PUBLIC_KEY_BYTES).fill(n % 256)))
      for (const records of batches) messagesOf(doc).push(records)
    },
    floodPaced,
    async renew() {
      provider.disconnect()
      provider.destroy()
      doc.destroy()
      doc = new Y.Doc()
      signer = await signerFor(await generateSigningKeys())
      provider = connect()
    },
    reconnect() {
      provider.disconnect()
      provider.destroy()
      provider = connect()
    },
    close() {
      provider.disconnect()
      provider.destroy()
      doc.destroy()
    },
  }
}

/**
 * Installs, before the app loads, a probe that records the page's long tasks (the longest, and
 * how many) and, for every log line whose text starts with `prefix`, when it entered the DOM
 * (Date.now(), so Node can compare it with its own clock). Read it with `floodProbe`.
 */
export async function probeFlood(context: BrowserContext, prefix: string): Promise<void> {
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  await context.addInitScript(`(${PROBE_SCRIPT})(${JSON.stringify(prefix)})`)
}

/** Installs the probe of `probeFlood` in a page already loaded (its long tasks from now on). */
export async function watchFlood(page: Page, prefix: string): Promise<void> {
  await page.evaluate(`(${PROBE_SCRIPT})(${JSON.stringify(prefix)})`)
}

const PROBE_SCRIPT = `function (prefix) {
  const probe = { longestTaskMs: 0, longTasks: 0, longTaskMs: 0, rendered: {}, held: {} }
  window.floodProbe = probe
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      probe.longTasks++
      probe.longTaskMs += entry.duration
      if (entry.duration > probe.longestTaskMs) probe.longestTaskMs = entry.duration
    }
  }).observe({ type: 'longtask', buffered: true })
  function scan (root) {
    for (const p of root.querySelectorAll('article p')) {
      const text = p.textContent
      if (text.startsWith(prefix) && probe.rendered[text] === undefined) probe.rendered[text] = Date.now()
    }
  }
  function watch () {
    const chat = document.querySelector('parley-chat')
    const list = chat && chat.shadowRoot && chat.shadowRoot.querySelector('parley-message-list')
    if (!list || !list.shadowRoot) return void setTimeout(watch, 50)
    chat.onMessage((message) => {
      if (message.text.startsWith(prefix) && probe.held[message.text] === undefined) probe.held[message.text] = Date.now()
    })
    new MutationObserver(() => scan(list.shadowRoot)).observe(list.shadowRoot, { childList: true, subtree: true, characterData: true })
    scan(list.shadowRoot)
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch)
  else watch()
}`

/** What the probe saw. */
export interface FloodProbe {
  longestTaskMs: number
  longTasks: number
  longTaskMs: number
  /** Text of each prefixed line → Date.now() when it was first in the DOM. */
  rendered: Record<string, number>
  /** Text of each prefixed message → Date.now() when the room held it. */
  held: Record<string, number>
}

/** Forgets the long tasks seen so far (page load and joining), so a measurement starts now. */
export async function resetLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe = (window as unknown as { floodProbe: FloodProbe }).floodProbe
    probe.longestTaskMs = 0
    probe.longTasks = 0
    probe.longTaskMs = 0
  })
}

/** Reads the probe installed by `probeFlood`. */
export async function floodProbe(page: Page): Promise<FloodProbe> {
  return page.evaluate(() => (window as unknown as { floodProbe: FloodProbe }).floodProbe)
}

/**
 * The flooder of `openFlooder`, in a child process of its own: Node's WebRTC library can
 * crash its process when the pages drop the flooder's links mid-flood, and that must not end
 * the test runner with it. The methods ask the child; a crash rejects them.
 */
export class FlooderProcess {
  readonly #child: IpcChild<FlooderCommand>

  private constructor(child: IpcChild<FlooderCommand>) {
    this.#child = child
  }

  /**
   * Starts a flooder in `room` and resolves once it runs (it connects on its own after). With
   * `nice` (Linux), its process runs at that niceness: a flooder on a machine of its own does
   * not take the users' CPU, one beside them at the same priority does.
   */
  static async start(options: FlooderOptions, nice = 0): Promise<FlooderProcess> {
    const script = fileURLToPath(new URL('./flooder-child.ts', import.meta.url))
    const env = { FLOODER_OPTIONS: JSON.stringify(options), FLOODER_NICE: String(nice) }
    return new FlooderProcess(await IpcChild.start<FlooderCommand>(script, env, 'flooder'))
  }

  /** Open links to other peers now; 0 once the process has ended. */
  async connectedLinks(): Promise<number> {
    return this.#child.exited ? 0 : ((await this.#child.call({ op: 'links' })) as number)
  }

  /** Messages in the flooder's own document. */
  async messages(): Promise<number> {
    return (await this.#child.call({ op: 'messages' })) as number
  }

  /** Writes `count` signed messages as fast as the links take them (forged ones claiming `forge`, until dropped: see Flooder). */
  async flood(count: number, forge?: string, untilDropped?: boolean): Promise<void> {
    await this.#child.call({ op: 'flood', count, forge, untilDropped })
  }

  /** Writes own-key messages with spaced claimed times in the past (ending at `endAt`, default now), `batch` a transaction (see Flooder). */
  async floodSpaced(count: number, batch: number, spacingMs: number, endAt?: number): Promise<void> {
    await this.#child.call({ op: 'spaced', count, batch, spacingMs, endAt })
  }

  /** Writes own-key messages as `floodSpaced` does, at most `perSecond` a second (see Flooder). */
  async floodPaced(count: number, batch: number, spacingMs: number, perSecond: number): Promise<void> {
    await this.#child.call({ op: 'paced', count, batch, spacingMs, perSecond })
  }

  /** Writes made-up keys alone, then own-key messages, all at once (see Flooder). */
  async floodKeysFirst(keys: number, count: number, batch: number, spacingMs: number): Promise<void> {
    await this.#child.call({ op: 'keys-first', keys, count, batch, spacingMs })
  }

  /** Leaves and joins again as somebody new: peer id, document and key (see Flooder). */
  async renew(): Promise<void> {
    await this.#child.call({ op: 'renew' })
  }

  /** Leaves and joins again under a new peer id, with the same document (see Flooder). */
  async reconnect(): Promise<void> {
    await this.#child.call({ op: 'reconnect' })
  }

  /** Ends the flooder and waits for its process (killed if it does not end). */
  close(): Promise<void> {
    return this.#child.close({ op: 'close' })
  }
}
