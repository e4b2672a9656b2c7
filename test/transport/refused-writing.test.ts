import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { MAX_REFUSED_WRITERS, RefusedWriting } from '../../src/transport/refused-writing.js'
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
    // The same records refused again (by another link), or fewer: nothing new.
    refused.note(second)
    refused.note(first)
    expect(changes).toBe(1)
    // The refused update starts after the first nine: those are lacking too.
    expect(refused.writers().get(flooder.clientID)?.records).toBe(18)
    expect(refused.writers().get(flooder.clientID)?.samples[0]).toEqual({ authorName: 'Flooder', text: 'flood 0' })
    // Brought later by another link (a relay, a repair): no longer counted.
    Y.applyUpdate(ours, first)
    expect(refused.writers().get(flooder.clientID)?.records).toBe(9)
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
})
