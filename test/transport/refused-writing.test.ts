import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { namesRefusedWriter } from '../../src/room/refused-lanes.js'
import { MAX_MESSAGE_RUNS, MAX_REFUSED_WRITERS, RefusedWriting, addRun } from '../../src/transport/refused-writing.js'
import { readUpdate } from '../../src/updates/index.js'

/** Whole reads of updates (Yjs's two readers, wrapped to count their calls; what they return is Yjs's own). */
const reads = vi.hoisted(() => ({ count: 0 }))

vi.mock('yjs', async (original) => {
  const yjs = await original<typeof import('yjs')>()
  return {
    ...yjs,
    decodeUpdate: (update: Uint8Array, ...rest: unknown[]) => {
      reads.count++
      return (yjs.decodeUpdate as (...args: unknown[]) => ReturnType<typeof yjs.decodeUpdate>)(update, ...rest)
    },
    parseUpdateMeta: (update: Uint8Array) => {
      reads.count++
      return yjs.parseUpdateMeta(update)
    },
  }
})

/** The update of `count` messages `writer` appends now (named `name`). */
function write(writer: Y.Doc, count: number, name = 'Flooder'): Uint8Array {
  const before = Y.encodeStateVector(writer)
  writer.getArray('messages').push(Array.from({ length: count }, (_, n) => ({ authorName: name, text: `flood ${n}` })))
  return Y.encodeStateAsUpdate(writer, before)
}

/** The update of what `change` writes in `writer`, on its own. */
function apart(writer: Y.Doc, change: () => void): Uint8Array {
  const before = Y.encodeStateVector(writer)
  change()
  return Y.encodeStateAsUpdate(writer, before)
}

/** A well-formed (unsigned) message record of the flooder's. */
const record = (n: number) => ({
  id: `m${n}`,
  authorId: 'flooder-id',
  authorName: 'Flooder',
  text: `flood ${n}`,
  sentAt: 1_700_000_000_000 + n,
})

/** A reaction annotation, as far as its shape goes (no message record). */
const reaction = (n: number) => ({ kind: 'reaction', target: `m${n}`, emoji: '👍' })

/** A task of its own (a posted message), as `nextTask` gives one. */
const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(null)
  })

/** Reads at once (the tests of what is counted). */
const atOnce = (run: () => void): void => run()

describe('RefusedWriting', () => {
  it('counts by writer the records refused updates brought that the document lacks, once each', () => {
    const ours = new Y.Doc()
    let changes = 0
    const refused = new RefusedWriting(ours, () => changes++, atOnce)
    const flooder = new Y.Doc()
    const first = write(flooder, 9)
    const second = write(flooder, 9)
    refused.note(second)
    expect(changes).toBe(1)
    // The same records refused again (by another link): nothing new.
    refused.note(second)
    expect(changes).toBe(1)
    // The refused update starts after the first nine: those are lacking too, messages once seen.
    expect(refused.writers().get(flooder.clientID)).toMatchObject({ records: 18, messages: 9 })
    refused.note(first)
    expect(changes).toBe(2)
    refused.note(first)
    expect(changes).toBe(2)
    expect(refused.writers().get(flooder.clientID)).toMatchObject({ records: 18, messages: 18 })
    expect(refused.writers().get(flooder.clientID)?.samples[0]).toEqual({ authorName: 'Flooder', text: 'flood 0' })
    // Brought later by another link (a relay, a repair): no longer counted.
    Y.applyUpdate(ours, first)
    expect(refused.writers().get(flooder.clientID)).toMatchObject({ records: 9, messages: 9 })
    Y.applyUpdate(ours, second)
    expect(refused.writers().size).toBe(0)
  })

  it('counts nothing of this page’s own writing, of malformed updates, nor of writers past its cap', () => {
    const ours = new Y.Doc()
    let changes = 0
    const refused = new RefusedWriting(ours, () => changes++, atOnce)
    refused.note(write(ours, 3))
    refused.note(new Uint8Array([1, 2, 3]))
    expect(changes).toBe(0)
    for (let n = 0; n < MAX_REFUSED_WRITERS + 5; n++) refused.note(write(new Y.Doc(), 1))
    expect(refused.writers().size).toBe(MAX_REFUSED_WRITERS)
  })

  it('reads a refused update in a task after the one that refused it, unless that task read it already', async () => {
    const ours = new Y.Doc()
    let changes = 0
    const refused = new RefusedWriting(ours, () => changes++)
    const flooder = new Y.Doc()
    const unread = write(flooder, 1000)
    reads.count = 0
    refused.note(unread) // refused before it was counted (its link flooding): nobody read it
    expect(reads.count).toBe(0) // main: 2 (Y.parseUpdateMeta for its writers, Y.decodeUpdate for their samples)
    expect(refused.writers().size).toBe(0)
    await nextTask()
    expect(reads.count).toBe(1)
    expect(changes).toBe(1)
    expect(refused.writers().get(flooder.clientID)?.records).toBe(1000)

    // Refused after the guard's count read it (updates/ readUpdate): taken in at once, not read again.
    const counted = write(flooder, 1000)
    readUpdate(counted)
    reads.count = 0
    refused.note(counted)
    expect(reads.count).toBe(0)
    expect(changes).toBe(2)
    expect(refused.writers().get(flooder.clientID)?.records).toBe(2000)
  })

  it('reads the refused updates that wait a few KiB a task, each writer counted in the end', async () => {
    const ours = new Y.Doc()
    const refused = new RefusedWriting(ours)
    // Small refused updates, as a starved page's channel hands a flooder's on after its link was dropped.
    const flooders = Array.from({ length: 100 }, () => new Y.Doc())
    const updates = flooders.map((flooder) => write(flooder, 20))
    const bytes = updates.reduce((sum, update) => sum + update.byteLength, 0)
    reads.count = 0
    for (const update of updates) refused.note(update)
    const perTask: number[] = [reads.count] // the task that refused them: main read all 100 there
    while (perTask.reduce((sum, n) => sum + n, 0) < updates.length && perTask.length < updates.length) {
      const before = reads.count
      await nextTask()
      perTask.push(reads.count - before)
    }
    expect(bytes).toBeGreaterThan(32 * 1024) // three tasks' worth at least
    expect(perTask.length).toBeGreaterThanOrEqual(3)
    expect(Math.max(...perTask)).toBeLessThan(updates.length / 2)
    expect(refused.writers().size).toBe(MAX_REFUSED_WRITERS)
  })

  it('names a writer whose first refused updates held only its key and reactions, by a message it wrote later', () => {
    const ours = new Y.Doc()
    const refused = new RefusedWriting(ours, () => {}, atOnce, namesRefusedWriter)
    const flooder = new Y.Doc()
    // As a Parley writer starts: its key on its own (a restored one, or a flooder's choice), then reactions, then messages.
    refused.note(apart(flooder, () => flooder.getArray('keys').push([new Uint8Array(32).fill(7)])))
    refused.note(apart(flooder, () => flooder.getArray('annotations').push([reaction(0), reaction(1), reaction(2)])))
    refused.note(apart(flooder, () => flooder.getArray('messages').push([record(0), record(1)])))
    const writer = refused.writers().get(flooder.clientID)
    expect(writer?.records).toBe(6)
    // main: [Uint8Array(32)], the first update's values: no message, so no line named the writer
    expect(writer?.samples).toEqual([record(0), record(1)])
    // The line counts its messages, not its key and reactions (main counted all 6 as messages).
    expect(writer?.messages).toBe(2)
  })

  it('counts a writer’s refused messages apart from its keys and annotations, however they interleave', () => {
    const ours = new Y.Doc()
    const refused = new RefusedWriting(ours, () => {}, atOnce, namesRefusedWriter)
    const flooder = new Y.Doc()
    const updates = [
      apart(flooder, () => flooder.getArray('keys').push([new Uint8Array(32).fill(7)])),
      apart(flooder, () => flooder.getArray('messages').push([record(0), record(1), record(2)])),
      apart(flooder, () => flooder.getArray('annotations').push([reaction(0), reaction(1)])),
      apart(flooder, () => flooder.getArray('messages').push([record(3)])),
    ]
    // Refused by two links, in another order: each counted once.
    for (const update of [updates[3], updates[1], ...updates, updates[2]]) refused.note(update)
    expect(refused.writers().get(flooder.clientID)).toMatchObject({ records: 7, messages: 4 })
    // The document got the key and the first messages (a relay): the rest is still lacking.
    Y.applyUpdate(ours, Y.mergeUpdates(updates.slice(0, 2)))
    expect(refused.writers().get(flooder.clientID)).toMatchObject({ records: 3, messages: 1 })
  })

  it('keeps a bounded number of runs of messages, merging the closest past that', () => {
    const runs: Array<[number, number]> = []
    expect(addRun(runs, 10, 12)).toBe(true)
    expect(addRun(runs, 10, 11)).toBe(false)
    expect(addRun(runs, 12, 14)).toBe(true) // meets it: one run
    expect(addRun(runs, 0, 2)).toBe(true)
    expect(runs).toEqual([
      [0, 2],
      [10, 14],
    ])
    expect(addRun(runs, 1, 11)).toBe(true) // spans both
    expect(runs).toEqual([[0, 14]])
    // A message, a reaction, a message...: runs apart, MAX_MESSAGE_RUNS at most.
    const interleaved: Array<[number, number]> = []
    for (let n = 0; n < 3 * MAX_MESSAGE_RUNS; n++) expect(addRun(interleaved, 2 * n, 2 * n + 1)).toBe(true)
    expect(interleaved.length).toBe(MAX_MESSAGE_RUNS)
    for (let k = 1; k < interleaved.length; k++) expect(interleaved[k][0]).toBeGreaterThan(interleaved[k - 1][1])
  })

  it('tests one value an item of a writer’s refused updates, and names it by the first that holds a message', () => {
    const ours = new Y.Doc()
    let tests = 0
    const refused = new RefusedWriting(
      ours,
      () => {},
      atOnce,
      (value) => {
        tests++
        return namesRefusedWriter(value)
      },
    )
    // A flooder's choice: hundreds of keys (an item each) before its messages, in one update; then more.
    const flooder = new Y.Doc()
    refused.note(
      apart(flooder, () => {
        flooder.getArray('keys').push(Array.from({ length: 600 }, (_, n) => new Uint8Array(32).fill(n % 256)))
        flooder.getArray('messages').push(Array.from({ length: 1000 }, (_, n) => record(n)))
      }),
    )
    expect(refused.writers().get(flooder.clientID)?.samples).toEqual([record(0), record(1), record(2), record(3)])
    expect(refused.writers().get(flooder.clientID)?.messages).toBe(1000)
    expect(tests).toBe(600 + 4)
    // Named: a later update costs a test an item still, for its count.
    refused.note(apart(flooder, () => flooder.getArray('messages').push([record(1000)])))
    expect(tests).toBe(600 + 4 + 1)
    expect(refused.writers().get(flooder.clientID)).toMatchObject({ records: 1601, messages: 1001 })

    // Reactions only, one update after another: a test an item of each (on main: 8 updates at most,
    // and a message after them named nobody); the first update that holds a message names it.
    tests = 0
    const reacting = new Y.Doc()
    for (let n = 0; n < 200; n++) refused.note(apart(reacting, () => reacting.getArray('annotations').push([reaction(n), reaction(n + 1)])))
    expect(tests).toBe(200)
    refused.note(apart(reacting, () => reacting.getArray('messages').push([record(0)])))
    expect(tests).toBe(201)
    expect(refused.writers().get(reacting.clientID)).toEqual({ records: 401, messages: 1, samples: [record(0)] })
  })
})
