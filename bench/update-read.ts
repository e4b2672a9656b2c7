// What reading a large stored update costs against applying it: a 100,000-message history stored as
// received (one update of 28 MB, the benchmarks' messages) read with `Y.decodeUpdate` (what cutting
// it into parts at load would need first: Yjs reads an update whole, its struct reader is internal)
// and applied to a fresh document with `Y.applyUpdate` (what a load does with it in one task).
// Run alone: npx tsx bench/update-read.ts [--count 100000] [--rounds 3]
import { fileURLToPath } from 'node:url'
import { loadavg } from 'node:os'
import * as Y from 'yjs'
import { topicFor } from '../src/address/index.js'
import { messagesOf } from '../src/history/index.js'
import { signedHistory } from '../test/e2e/history-harness.js'

/** Per round, ms to read the update and ms to apply it, one after the other in the same process. */
export async function runUpdateReadBench(count: number, rounds: number): Promise<Array<{ readMs: number; applyMs: number }>> {
  const doc = new Y.Doc()
  const records = await signedHistory(topicFor({ name: `update-read-${count}`, secret: null }), count)
  doc.transact(() => messagesOf(doc).push(records))
  const update = Y.encodeStateAsUpdate(doc)
  console.error(`${count.toLocaleString('en')} messages: one update of ${update.byteLength.toLocaleString('en')} B`)
  const figures: Array<{ readMs: number; applyMs: number }> = []
  for (let round = 0; round < rounds; round++) {
    let start = performance.now()
    Y.decodeUpdate(update)
    const readMs = performance.now() - start
    start = performance.now()
    Y.applyUpdate(new Y.Doc(), update)
    figures.push({ readMs, applyMs: performance.now() - start })
  }
  return figures
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string): string | undefined => {
    const index = process.argv.indexOf(name)
    return index > 0 ? process.argv[index + 1] : undefined
  }
  const figures = await runUpdateReadBench(Number(flag('--count') ?? 100_000), Number(flag('--rounds') ?? 3))
  console.log('| round | read (Y.decodeUpdate) | apply (Y.applyUpdate) | read / apply | load |')
  console.log('|---|---|---|---|---|')
  for (const [round, { readMs, applyMs }] of figures.entries()) {
    const ratio = (readMs / applyMs).toFixed(2)
    console.log(`| ${round + 1} | ${readMs.toFixed(0)} ms | ${applyMs.toFixed(0)} ms | ${ratio} | ${loadavg()[0].toFixed(1)} |`)
  }
}
