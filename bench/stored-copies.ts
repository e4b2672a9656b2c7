// What records stored twice cost a reload: a room's stored history applied as a load applies it
// (history/persistence.ts: stored updates in order, a transaction of at most STORED_PART_BYTES
// each), once as parts of about 512 KB only, once with the relay's batches of 200 records of its
// newest records written after them, as storage wrote them before the twenty-second session (a run
// of parts the store no longer knew it held: 12 of 14 MB of a 50,000-message join, 1.1-20.9 MB of
// a 100,000-message one in bench/reload.ts). In Node, the two layouts one after the other each round,
// so that a loaded machine slows both alike.
// Run alone: npx tsx bench/stored-copies.ts [--count 100000] [--copied 0.85] [--rounds 5]
import { readFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { topicFor } from '../src/address/index.js'
import { RECORDS_PER_BATCH } from '../src/history/deferred-updates.js'
import { type MessageRecord, messagesOf } from '../src/history/index.js'
import { STORED_PART_BYTES } from '../src/history/persistence.js'
import { boundedPartSteps, rangesUpdateSteps, runSteps, StepBudget } from '../src/updates/index.js'
import { signedHistory } from '../test/e2e/history-harness.js'

/** One round: ms to apply each layout to a fresh document, as a load's steps do. */
export interface CopiesFigure {
  onceMs: number
  copiedMs: number
}

/** Applies `updates` to a fresh document in steps of at most `partBytes` (one update at least), as a load does; ms taken. */
function loadMs(updates: readonly Uint8Array[], partBytes: number): number {
  const start = performance.now()
  const doc = new Y.Doc()
  for (let next = 0; next < updates.length; ) {
    let bytes = 0
    doc.transact(() => {
      for (; next < updates.length; next++) {
        if (bytes > 0 && bytes + updates[next].byteLength > partBytes) break
        bytes += updates[next].byteLength
        Y.applyUpdate(doc, updates[next], 'storage')
      }
    }, 'storage')
  }
  return performance.now() - start
}

/** The benchmarks' signed history (reload.ts keeps it in the temp dir, signed once). */
async function records(count: number): Promise<MessageRecord[]> {
  try {
    return JSON.parse(await readFile(join(tmpdir(), `parley-bench-reload-${count}.json`), 'utf8')) as MessageRecord[]
  } catch {
    return signedHistory(topicFor({ name: `reload-${count}`, secret: null }), count)
  }
}

export async function runStoredCopiesBench(count: number, copied: number, rounds: number): Promise<CopiesFigure[]> {
  const doc = new Y.Doc()
  const history = await records(count)
  doc.transact(() => messagesOf(doc).push(history))
  const parts = runSteps(boundedPartSteps(doc, messagesOf(doc), STORED_PART_BYTES, new StepBudget()))
  // The relay's batches: 200 records each, of the newest `copied` share of each writer's records.
  const batches: Uint8Array[] = []
  for (const [client, structs] of doc.store.clients) {
    const last = structs[structs.length - 1]
    const end = last.id.clock + last.length
    for (let from = Math.floor(end * (1 - copied)); from < end; from += RECORDS_PER_BATCH) {
      const to = Math.min(end, from + RECORDS_PER_BATCH)
      batches.push(runSteps(rangesUpdateSteps(doc, [{ client, from, to }], new StepBudget(Number.POSITIVE_INFINITY), to === end)))
    }
  }
  const bytes = (updates: readonly Uint8Array[]) => updates.reduce((sum, update) => sum + update.byteLength, 0)
  const once = parts
  const withCopies = [...parts, ...batches]
  console.error(
    `${count.toLocaleString('en')} messages: ${once.length} parts, ${bytes(once).toLocaleString('en')} B; with copies ${withCopies.length} updates, ${bytes(withCopies).toLocaleString('en')} B`,
  )
  const check = new Y.Doc()
  for (const update of withCopies) Y.applyUpdate(check, update)
  if (messagesOf(check).length !== count) throw new Error('the layout with copies does not make the history')
  const figures: CopiesFigure[] = []
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first: the second of a pair may find a warmer heap.
    if (round % 2 === 0) {
      const onceMs = loadMs(once, STORED_PART_BYTES)
      figures.push({ onceMs, copiedMs: loadMs(withCopies, STORED_PART_BYTES) })
    } else {
      const copiedMs = loadMs(withCopies, STORED_PART_BYTES)
      figures.push({ onceMs: loadMs(once, STORED_PART_BYTES), copiedMs })
    }
  }
  return figures
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string): string | undefined => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const figures = await runStoredCopiesBench(
    Number(flag('--count') ?? 100_000),
    Number(flag('--copied') ?? 0.85),
    Number(flag('--rounds') ?? 5),
  )
  console.log('| round | stored once | with copies | with / once | load |')
  console.log('|---|---|---|---|---|')
  for (const [round, { onceMs, copiedMs }] of figures.entries())
    console.log(
      `| ${round + 1} | ${onceMs.toFixed(0)} ms | ${copiedMs.toFixed(0)} ms | ${(copiedMs / onceMs).toFixed(2)} | ${loadavg()[0].toFixed(1)} |`,
    )
}
