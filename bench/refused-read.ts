// What the refused path costs per refused update, in Node: RefusedWriting reading a flooder's
// refused updates for its writers and samples (transport/refused-writing.ts), as a page does once
// a link flooded. CPU time (process.cpuUsage) of each case's whole run, the least of a few.
// Run: npx tsx bench/refused-read.ts [--root DIR] (--root: another checkout's src, e.g. a worktree
// of main, to compare the same reads there; main takes no test of what names a writer). Run from a
// copy in that checkout's bench/ instead, with no --root, for one Yjs in the process.
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'

const flag = (name: string): string | undefined => {
  const index = process.argv.indexOf(name)
  return index > 0 ? process.argv[index + 1] : undefined
}
const root = resolve(flag('--root') ?? fileURLToPath(new URL('..', import.meta.url)))
const { RefusedWriting } = (await import(
  `${root}/src/transport/refused-writing.ts`
)) as typeof import('../src/transport/refused-writing.js')
const { parseMessageRecord } = (await import(`${root}/src/history/index.ts`)) as typeof import('../src/history/index.js')
/** The room's test of a value that names a writer (room/refused-lanes.ts `namesRefusedWriter`). */
const namesRefusedWriter = (value: unknown): boolean => parseMessageRecord(value) !== null
/** Runs of each case timed (after one to warm up); the least CPU is given. */
const RUNS = 7

/** The update of what `change` writes in `writer`, on its own. */
function apart(writer: Y.Doc, change: () => void): Uint8Array {
  const before = Y.encodeStateVector(writer)
  change()
  return Y.encodeStateAsUpdate(writer, before)
}

/** A signed own-key record's size and shape, as a flooder writes it. */
const record = (n: number) => ({
  id: `flood-${n}`.padEnd(22, 'x'),
  authorId: 'A'.repeat(43),
  authorName: 'Flooder',
  text: `flood ${n}`,
  sentAt: 1_700_000_000_000 + n * 500,
  publicKey: 'K'.repeat(43),
  signature: 'S'.repeat(86),
})
const reaction = (n: number) => ({ kind: 'reaction', target: `flood-${n}`, emoji: '👍', authorId: 'A'.repeat(43), sentAt: n })

/** The cases: each a list of refused updates, in the order a page refuses them. */
const cases: Record<string, () => Uint8Array[]> = {
  // The common flood: one writer, updates of messages.
  'one writer, 20,000 updates of 1 message': () => {
    const doc = new Y.Doc()
    return Array.from({ length: 20_000 }, (_, n) => apart(doc, () => doc.getArray('messages').push([record(n)])))
  },
  'one writer, 100 updates of 200 messages': () => {
    const doc = new Y.Doc()
    return Array.from({ length: 100 }, (_, n) =>
      apart(doc, () => doc.getArray('messages').push(Array.from({ length: 200 }, (_, k) => record(n * 200 + k)))),
    )
  },
  // Searched most: 64 writers (MAX_REFUSED_WRITERS), each refused reactions only, 20 updates each.
  '64 writers, 20 updates of 10 reactions each': () =>
    Array.from({ length: 64 }, () => new Y.Doc()).flatMap((doc) =>
      Array.from({ length: 20 }, (_, n) =>
        apart(doc, () => doc.getArray('annotations').push(Array.from({ length: 10 }, (_, k) => reaction(n * 10 + k)))),
      ),
    ),
  // Searched past the nineteenth session's 8 updates: reactions alone for 200 updates, then a message (main named it not).
  'one writer, 200 updates of 2 reactions, then 1 message': () => {
    const doc = new Y.Doc()
    return [
      ...Array.from({ length: 200 }, (_, n) => apart(doc, () => doc.getArray('annotations').push([reaction(2 * n), reaction(2 * n + 1)]))),
      apart(doc, () => doc.getArray('messages').push([record(0)])),
    ]
  },
  // A test an item: 30,000 keys (an item each) before the messages, in one update (about 1 MiB), by 8 writers.
  '8 writers, 30,000 keys then 100 messages, one update each': () =>
    Array.from({ length: 8 }, () => {
      const doc = new Y.Doc()
      return apart(doc, () => {
        doc.getArray('keys').push(Array.from({ length: 30_000 }, (_, n) => new Uint8Array(32).fill(n % 256)))
        doc.getArray('messages').push(Array.from({ length: 100 }, (_, n) => record(n)))
      })
    }),
}

for (const [name, make] of Object.entries(cases)) {
  const updates = make()
  const bytes = updates.reduce((sum, update) => sum + update.byteLength, 0)
  const cpu: number[] = []
  let named = 0
  let messages: number | undefined
  for (let run = 0; run <= RUNS; run++) {
    // Fresh bytes each run: a refused update's read is kept for its task (updates/ keptUpdate).
    const fresh = updates.map((update) => update.slice())
    const refused = new RefusedWriting(
      new Y.Doc(),
      () => {},
      (read) => read(),
      namesRefusedWriter,
    )
    const start = process.cpuUsage()
    for (const update of fresh) refused.note(update)
    const used = process.cpuUsage(start)
    if (run > 0) cpu.push((used.user + used.system) / 1000)
    named = [...refused.writers().values()].filter((writer) => parseable(writer.samples)).length
    // Messages counted of what was refused (none on main, whose count was of records).
    messages = [...refused.writers().values()].reduce<number | undefined>(
      (sum, writer) => ('messages' in writer ? (sum ?? 0) + (writer.messages as number) : sum),
      undefined,
    )
  }
  const least = Math.min(...cpu)
  console.log(
    `${root}: ${name} (${updates.length} updates, ${(bytes / 1024).toFixed(0)} KiB): ${least.toFixed(1)} ms of CPU, ${((least * 1000) / updates.length).toFixed(1)} µs an update; writers named ${named}; messages counted ${messages ?? 'none'}`,
  )
}

/** Whether a writer's samples hold a message (what names it in the room). */
function parseable(samples: readonly unknown[]): boolean {
  return samples.some(namesRefusedWriter)
}
