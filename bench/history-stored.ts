// Stored-history benchmark: how long after a late joiner holds a room's history (a Chromium page,
// fed by one Node peer) its IndexedDB holds all of it, i.e. how long a tab closed after the
// history was shown could lose part of it. The page's IndexedDB writes are stamped as they commit;
// afterwards the stored updates are read back and applied in order, in Node, to find the first
// commit after which the disk held every message.
// Run alone: npx tsx bench/history-stored.ts [--counts 10000,100000] [--trials 2] [--quiet-s 3]
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import * as Y from 'yjs'
import { startSignalingServer } from '../signaling/index.js'
import { topicFor } from '../src/address/index.js'
import { messagesOf, roomDatabaseName } from '../src/history/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'
import { historyTimes, probeHistory, rememberName, seedParleyRoom, seededText } from '../test/e2e/history-harness.js'

/** Message counts measured by default. */
const DEFAULT_COUNTS = [10_000, 100_000]
/** Late joins per count (each a fresh profile). */
const DEFAULT_TRIALS = 2
/** The store is read once no write committed for this long, in s. */
const DEFAULT_QUIET_S = 3
/** How long a join may take to hold the history, in ms. */
const ARRIVAL_TIMEOUT_MS = 120_000

/** Stamps every IndexedDB add as it commits: its key and performance.now(). */
const STORE_PROBE = `(() => {
  const commits = []
  window.storeProbe = commits
  const add = IDBObjectStore.prototype.add
  IDBObjectStore.prototype.add = function (...args) {
    const request = add.apply(this, args)
    const transaction = this.transaction
    request.addEventListener('success', () => {
      const key = request.result
      transaction.addEventListener('complete', () => commits.push({ key, at: performance.now(), bytes: args[0]?.byteLength ?? 0 }))
    })
    return request
  }
})()`

interface Commit {
  key: number
  at: number
  bytes: number
}

/** One late join: when the page held the history, and when its disk did. Times in ms. */
export interface StoredFigure {
  messages: number
  /** From navigation to the chat holding every message. */
  heldMs: number | null
  /** From holding every message to the commit after which IndexedDB held every message. */
  storedAfterHeldMs: number | null
  /** Writes committed from the first to the one that completed the history. */
  writes: number | null
  /** Bytes those writes added. */
  bytes: number | null
  /** 1-minute load average at the start and end of the join. */
  load: [number, number]
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The stored updates of `database`, in key order, as base64 with their keys. */
async function storedUpdates(page: Page, database: string): Promise<Array<{ key: number; data: string }>> {
  // A string, not a function: tsx would wrap named inner functions in a helper the page lacks.
  return page.evaluate(`(async (name) => {
    const db = await new Promise((resolve, reject) => {
      const opening = indexedDB.open(name)
      opening.onsuccess = () => resolve(opening.result)
      opening.onerror = () => reject(opening.error)
    })
    const store = db.transaction('updates').objectStore('updates')
    const [keys, values] = await Promise.all([store.getAllKeys(), store.getAll()].map((request) => new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })))
    db.close()
    return keys.map((key, at) => {
      const bytes = values[at]
      let text = ''
      for (let from = 0; from < bytes.length; from += 0x8000) text += String.fromCharCode(...bytes.subarray(from, from + 0x8000))
      return { key, data: btoa(text) }
    })
  })(${JSON.stringify(database)})`)
}

async function lateJoin(browser: Browser, url: string, room: string, count: number, quietMs: number): Promise<StoredFigure> {
  const load0 = loadavg()[0]
  const context = await browser.newContext()
  try {
    await rememberName(context, 'Late joiner')
    await probeHistory(context, count, seededText(count - 1))
    await context.addInitScript(STORE_PROBE)
    const page = await context.newPage()
    await page.goto(url)
    const started = Date.now()
    let held = (await historyTimes(page)).heldAt
    while (held === null && Date.now() - started < ARRIVAL_TIMEOUT_MS) {
      await sleep(50)
      held = (await historyTimes(page)).heldAt
    }
    if (held === null)
      return { messages: count, heldMs: null, storedAfterHeldMs: null, writes: null, bytes: null, load: [load0, loadavg()[0]] }
    // Wait until the store has been quiet for a while.
    const commits = () => page.evaluate(() => (window as unknown as { storeProbe: Commit[] }).storeProbe.length)
    let seen = await commits()
    let quietSince = Date.now()
    while (Date.now() - quietSince < quietMs) {
      await sleep(200)
      const now = await commits()
      if (now !== seen) {
        seen = now
        quietSince = Date.now()
      }
    }
    const stamped = await page.evaluate(() => (window as unknown as { storeProbe: Commit[] }).storeProbe)
    const updates = await storedUpdates(page, roomDatabaseName(topicFor({ name: room, secret: null })))
    const doc = new Y.Doc()
    let completedBy: number | null = null
    for (const { key, data } of updates) {
      Y.applyUpdate(doc, Buffer.from(data, 'base64'))
      if (messagesOf(doc).length >= count) {
        completedBy = key
        break
      }
    }
    const commit = stamped.find((stamp) => stamp.key === completedBy) ?? null
    const upTo = commit === null ? [] : stamped.filter((stamp) => stamp.key <= commit.key)
    return {
      messages: count,
      heldMs: Math.round(held),
      storedAfterHeldMs: commit === null ? null : Math.round(commit.at - held),
      writes: commit === null ? null : upTo.length,
      bytes: commit === null ? null : upTo.reduce((sum, stamp) => sum + stamp.bytes, 0),
      load: [load0, loadavg()[0]],
    }
  } finally {
    await context.close()
  }
}

export async function runStoredBench(options: { counts?: number[]; trials?: number; quietS?: number } = {}): Promise<StoredFigure[]> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-stored-'))
  const running: Running[] = []
  let browser: Browser | null = null
  const figures: StoredFigure[] = []
  try {
    await build({ root, logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true } })
    const site = await serveStatic(siteDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    running.push(site, signaling)
    browser = await launchChromium()
    for (const count of options.counts ?? DEFAULT_COUNTS) {
      const room = `stored-${count}-${Date.now()}`
      const url = `${site.url}?signaling=${encodeURIComponent(signaling.url)}&ice=#${encodeURIComponent(room)}`
      const seeder = await seedParleyRoom({ room, signalingUrl: signaling.url, count, rtc: 'wrtc' })
      try {
        for (let trial = 0; trial < (options.trials ?? DEFAULT_TRIALS); trial++) {
          const figure = await lateJoin(browser, url, room, count, (options.quietS ?? DEFAULT_QUIET_S) * 1000)
          console.log(JSON.stringify(figure))
          figures.push(figure)
        }
      } finally {
        seeder.close()
      }
    }
    return figures
  } finally {
    await browser?.close()
    await Promise.allSettled(running.map((server) => server.close()))
    await rm(siteDir, { recursive: true, force: true })
  }
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const counts = argument('counts')
    ?.split(',')
    .map((value) => Number(value))
  const trials = argument('trials')
  const quiet = argument('quiet-s')
  await runStoredBench({
    counts,
    trials: trials === undefined ? undefined : Number(trials),
    quietS: quiet === undefined ? undefined : Number(quiet),
  })
}
