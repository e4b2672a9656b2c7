// The first answer to a fresh joiner of a large history never encoded before (sync-replies.ts, in
// parts along the messages, not kept warm): the time of `SyncReplies.reply()`, median of fresh
// caches. With another checkout's folder, its sync-replies.ts is timed too, run after run in the
// same process (same document, same clock), for a branch against main.
// Run alone: npx tsx bench/first-answer.ts [--count 10000] [--runs 21] [--against /path/to/main-checkout]
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import * as Y from 'yjs'
import { SyncReplies } from '../src/transport/sync-replies.js'

const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, runs: { type: 'string', default: '21' }, against: { type: 'string' } },
})
const count = Number(values.count)
const runs = Number(values.runs)

/** A room of `count` records written by three writers taking turns four at a time, each hearing the others at once. */
function room(): Y.Doc {
  const docs = Array.from({ length: 3 }, () => new Y.Doc())
  for (const doc of docs)
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'peer') return
      for (const other of docs) if (other !== doc) Y.applyUpdate(other, update, 'peer')
    })
  for (let index = 0; index < count; index++)
    docs[Math.floor(index / 4) % 3]
      .getArray('messages')
      .push([{ r: crypto.getRandomValues(new Uint8Array(110)), text: `message ${index}: a line of about the usual length` }])
  return docs[0]
}

type Replies = new (doc: Y.Doc, options: { order: Y.Array<unknown> }) => { reply(): unknown[]; destroy(): void }
const candidates: Array<[string, Replies]> = [['this checkout', SyncReplies]]
if (values.against !== undefined) {
  const other = (await import(resolve(values.against, 'src/transport/sync-replies.ts'))) as { SyncReplies: Replies }
  candidates.push([values.against, other.SyncReplies])
}

const doc = room()
console.log(`${count.toLocaleString('en')} records, ${Y.encodeStateAsUpdate(doc).byteLength.toLocaleString('en')} bytes whole`)
const times = new Map<string, number[]>(candidates.map(([name]) => [name, []]))
for (let run = 0; run < runs; run++) {
  // Each goes first every other run.
  for (const [name, Cache] of run % 2 === 0 ? candidates : [...candidates].reverse()) {
    const replies = new Cache(doc, { order: doc.getArray('messages') })
    const started = performance.now()
    const messages = replies.reply()
    times.get(name)?.push(performance.now() - started)
    if (run === 0) console.log(`${name}: ${messages.length} messages`)
    replies.destroy()
  }
}
for (const [name, each] of times) {
  each.sort((a, b) => a - b)
  const at = (share: number) => each[Math.min(each.length - 1, Math.floor(share * each.length))].toFixed(1)
  console.log(`${name}: n ${each.length}, p50 ${at(0.5)} ms, min ${at(0)}, p90 ${at(0.9)}`)
}
