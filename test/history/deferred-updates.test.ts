import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { DeferredUpdates, MIN_BATCH_INTERVAL_MS } from '../../src/history/deferred-updates.js'

/** Resolves after the update a DeferredUpdates schedules has run (Node: no frames, one task). */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 10))

function copyOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  return copy
}

describe('DeferredUpdates', () => {
  it('passes on several transactions as one update, a task later, that brings a copy up to date', async () => {
    const doc = new Y.Doc()
    doc.getArray<string>('a').push(['before'])
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    doc.getArray<string>('a').push(['one'])
    doc.getArray<string>('a').push(['two'])
    expect(updates).toHaveLength(0)
    await nextTask()
    expect(updates).toHaveLength(1)
    Y.applyUpdate(peer, updates[0])
    expect(peer.getArray('a').toArray()).toEqual(['before', 'one', 'two'])
  })

  it('leaves out what the other side already had, from every client', async () => {
    const doc = new Y.Doc()
    const other = new Y.Doc()
    other.getArray<string>('a').push(['x'.repeat(10_000)])
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    doc.getArray<string>('a').push(['small'])
    changes.flush()
    expect(updates).toHaveLength(1)
    expect(updates[0].byteLength).toBeLessThan(1000)
  })

  it('passes on deletions, and tells the origins of what it gathered', () => {
    const doc = new Y.Doc()
    doc.getArray<string>('a').push(['one', 'two'])
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const seen: Array<ReadonlySet<unknown>> = []
    changes.on((update, origins) => {
      Y.applyUpdate(peer, update)
      seen.push(origins)
    })
    doc.transact(() => doc.getArray('a').delete(0, 1), 'deleter')
    doc.transact(() => doc.getArray('a').push(['three']), 'writer')
    changes.flush()
    expect(peer.getArray('a').toArray()).toEqual(['two', 'three'])
    expect([...seen[0]]).toEqual(['deleter', 'writer'])
  })

  it('passes on at most one batch per interval, however fast updates come', async () => {
    const doc = new Y.Doc()
    let clock = 0
    const changes = new DeferredUpdates(doc, () => clock)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    doc.getArray<string>('a').push(['one'])
    await nextTask()
    expect(updates).toHaveLength(1)
    // A moment later, in another task: held back until the interval is over.
    clock = 1
    doc.getArray<string>('a').push(['two'])
    doc.getArray<string>('a').push(['three'])
    await nextTask()
    expect(updates).toHaveLength(1)
    await vi.waitFor(() => expect(updates).toHaveLength(2))
    const copy = new Y.Doc()
    for (const update of updates) Y.applyUpdate(copy, update)
    expect(copy.getArray('a').toArray()).toEqual(['one', 'two', 'three'])
    // Once the interval has passed, the next batch goes at once again.
    clock = 10 * MIN_BATCH_INTERVAL_MS
    doc.getArray<string>('a').push(['four'])
    await nextTask()
    expect(updates).toHaveLength(3)
  })

  it('stays quiet for transactions that changed nothing, and after destroy', async () => {
    const doc = new Y.Doc()
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    doc.transact(() => {})
    await nextTask()
    expect(updates).toHaveLength(0)
    changes.destroy()
    doc.getArray<string>('a').push(['later'])
    await nextTask()
    expect(updates).toHaveLength(0)
  })
})
