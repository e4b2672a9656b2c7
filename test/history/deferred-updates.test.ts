import { describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { BATCH_BURST, DeferredUpdates, MIN_BATCH_INTERVAL_MS, RECORDS_PER_BATCH } from '../../src/history/deferred-updates.js'

/**
 * Resolves after the update a DeferredUpdates schedules has run (Node: no frames, one
 * message-channel task). Not on the timer alone: a loaded machine wakes the process after the
 * timer is due and the message has arrived, and Node runs timers before it reads ports; the
 * immediate comes after the ports in the same turn.
 */
const nextTask = () => new Promise((resolve) => setTimeout(() => setImmediate(resolve), 10))

function copyOf(doc: Y.Doc): Y.Doc {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc))
  return copy
}

/** Applies to `doc`, as a peer's update does (not local), one new item written by another client. */
function receive(doc: Y.Doc, item: string, from = new Y.Doc()): Y.Doc {
  Y.applyUpdate(from, Y.encodeStateAsUpdate(doc))
  const before = Y.encodeStateVector(from)
  from.getArray<string>('a').push([item])
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(from, before), 'peer')
  return from
}

describe('DeferredUpdates', () => {
  it("passes on other peers' changes as one update, a task later, that brings a copy up to date", async () => {
    const doc = new Y.Doc()
    doc.getArray<string>('a').push(['before'])
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    const from = receive(doc, 'one')
    receive(doc, 'two', from)
    expect(updates).toHaveLength(0)
    await nextTask()
    expect(updates).toHaveLength(1)
    Y.applyUpdate(peer, updates[0])
    expect(peer.getArray('a').toArray()).toEqual(['before', 'one', 'two'])
  })

  it('passes on a change made here at once, with whatever else was pending', () => {
    const doc = new Y.Doc()
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    receive(doc, 'received')
    expect(updates).toHaveLength(0)
    doc.transact(() => doc.getArray<string>('a').push(['mine']), 'me')
    expect(updates).toHaveLength(1)
    Y.applyUpdate(peer, updates[0])
    expect(peer.getArray('a').toArray()).toEqual(['received', 'mine'])
  })

  it("passes on a change made here before the document's observers run, once, after whoever listened for them before", () => {
    const doc = new Y.Doc()
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const seen: string[] = []
    // As the transport's relay does: it learns a change's source there, before the change is passed on.
    doc.on('beforeObserverCalls', (transaction: Y.Transaction) => {
      if (transaction.origin === 'me') seen.push('source')
    })
    const updates: Uint8Array[] = []
    changes.on((update) => {
      updates.push(update)
      seen.push('passed')
    })
    doc.getArray<string>('a').observe(() => seen.push('observer'))
    doc.on('afterTransaction', (transaction: Y.Transaction) => {
      if (transaction.origin === 'me') seen.push('after')
    })
    doc.transact(() => doc.getArray<string>('a').push(['mine']), 'me')
    expect(seen).toEqual(['source', 'passed', 'observer', 'after'])
    expect(updates).toHaveLength(1)
    Y.applyUpdate(peer, updates[0])
    expect(peer.getArray('a').toArray()).toEqual(['mine'])
    // Other peers' changes still wait for the draw.
    receive(doc, 'theirs')
    expect(updates).toHaveLength(1)
  })

  it('calls listeners added with `last` after all others, once the page has drawn (storage after the peers)', async () => {
    const doc = new Y.Doc()
    const changes = new DeferredUpdates(doc)
    const calls: string[] = []
    changes.on(() => calls.push('store'), { last: true })
    changes.on(() => calls.push('peers'))
    const stop = changes.on(() => calls.push('relay'))
    doc.transact(() => doc.getArray<string>('a').push(['one']), 'me')
    stop()
    doc.transact(() => doc.getArray<string>('a').push(['two']), 'me')
    expect(calls).toEqual(['peers', 'relay', 'peers'])
    await changes.whenPassed()
    expect(calls).toEqual(['peers', 'relay', 'peers', 'store', 'store'])
  })

  it('resolves whenPassed once every change, one waiting for its budget too, reached the `last` listeners; flush passes them at once', async () => {
    const doc = new Y.Doc()
    const changes = new DeferredUpdates(doc)
    const stored: number[] = []
    changes.on(() => {}, {})
    changes.on(() => stored.push(doc.getArray('a').length), { last: true })
    await changes.whenPassed() // nothing pending
    for (let i = 0; i <= BATCH_BURST; i++) doc.transact(() => doc.getArray<number>('a').push([i]), 'me')
    const passed = changes.whenPassed().then(() => [...stored])
    // The burst went out; the last change waits for a token, and whenPassed waits for it.
    expect(await passed).toHaveLength(BATCH_BURST + 1)
    expect(stored.at(-1)).toBe(BATCH_BURST + 1)
    doc.transact(() => doc.getArray<number>('a').push([99]), 'me')
    changes.flush()
    expect(stored.at(-1)).toBe(BATCH_BURST + 2)
  })

  it('waits for the draw with a transaction marked not local, as storage loads a stored history', async () => {
    const doc = new Y.Doc()
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    Y.transact(doc, () => doc.getArray<string>('a').push(['stored']), 'storage', false)
    expect(updates).toHaveLength(0)
    await nextTask()
    expect(updates).toHaveLength(1)
  })

  it('leaves out what the other side already had, from every client', () => {
    const doc = new Y.Doc()
    const other = new Y.Doc()
    other.getArray<string>('a').push(['x'.repeat(10_000)])
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    doc.getArray<string>('a').push(['small'])
    expect(updates).toHaveLength(1)
    expect(updates[0].byteLength).toBeLessThan(1000)
  })

  it("passes on a change made here alone as its transaction wrote it: Yjs's own update, without the room's earlier deletions", () => {
    const doc = new Y.Doc()
    const messages = doc.getArray<string>('a')
    messages.push(['one', 'two', 'three'])
    messages.delete(0, 2)
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    const yjs: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => yjs.push(update))
    doc.transact(() => messages.push(['mine']), 'me')
    expect(updates).toHaveLength(1)
    expect(Buffer.from(updates[0]).toString('hex')).toBe(Buffer.from(yjs[0]).toString('hex'))
    Y.applyUpdate(peer, updates[0])
    expect(peer.getArray('a').toArray()).toEqual(['three', 'mine'])
  })

  it("passes on a peer's change as its transaction wrote it: Yjs's own update, without the room's earlier deletions", async () => {
    const doc = new Y.Doc()
    const messages = doc.getArray<string>('a')
    messages.push(['one', 'two', 'three'])
    messages.delete(0, 2)
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    const yjs: Uint8Array[] = []
    doc.on('update', (update: Uint8Array) => yjs.push(update))
    receive(doc, 'theirs')
    while (updates.length === 0) await nextTask()
    // On main the batch also carried the room's earlier deletion, found by looking at every struct of the document.
    expect(Buffer.from(updates[0]).toString('hex')).toBe(Buffer.from(yjs[0]).toString('hex'))
    Y.applyUpdate(peer, updates[0])
    expect(peer.getArray('a').toArray()).toEqual(['three', 'theirs'])
    // Two peers' changes and a deletion in one batch: each transaction's records and deletions, nothing older.
    const from = receive(doc, 'four')
    const deleter = copyOf(doc)
    deleter.getArray('a').delete(0, 1)
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(deleter, Y.encodeStateVector(doc)), 'peer')
    receive(doc, 'five', from)
    while (updates.length === 1) await nextTask()
    expect(updates).toHaveLength(2)
    expect(Y.decodeUpdate(updates[1]).ds.clients.get(doc.clientID)).toEqual([{ clock: 2, len: 1 }])
    Y.applyUpdate(peer, updates[1])
    expect(peer.getArray('a').toArray()).toEqual(['theirs', 'four', 'five'])
    changes.destroy()
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
    receive(doc, 'three')
    doc.transact(() => doc.getArray('a').delete(0, 1), 'deleter')
    expect(peer.getArray('a').toArray()).toEqual(['two', 'three'])
    expect([...seen[0]]).toEqual(['peer', 'deleter'])
  })

  it("spaces other peers' batches an interval apart, however fast they come", async () => {
    const doc = new Y.Doc()
    let clock = 0
    const changes = new DeferredUpdates(doc, () => clock)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    const from = receive(doc, 'one')
    await nextTask()
    expect(updates).toHaveLength(1)
    // A moment later, in another task: held back until the interval is over.
    clock = 1
    receive(doc, 'two', from)
    receive(doc, 'three', from)
    await nextTask()
    expect(updates).toHaveLength(1)
    clock = 1 + MIN_BATCH_INTERVAL_MS // the interval is over: the held batch goes at its timer
    await vi.waitFor(() => expect(updates).toHaveLength(2))
    const copy = new Y.Doc()
    for (const update of updates) Y.applyUpdate(copy, update)
    expect(copy.getArray('a').toArray()).toEqual(['one', 'two', 'three'])
    // Once the interval has passed, the next batch goes a task later again.
    clock = 10 * MIN_BATCH_INTERVAL_MS
    receive(doc, 'four', from)
    await nextTask()
    expect(updates).toHaveLength(3)
  })

  it('sends changes made here at once even right after a relayed batch: relaying a flood keeps the burst but one', async () => {
    const doc = new Y.Doc()
    let clock = 0
    const changes = new DeferredUpdates(doc, () => clock)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    // A flood relayed for a while: one batch per interval, each right on time.
    const from = new Y.Doc()
    for (let step = 0; step < 3 * BATCH_BURST; step++) {
      clock = step * MIN_BATCH_INTERVAL_MS
      receive(doc, `flood ${step}`, from)
      await vi.waitFor(() => expect(updates).toHaveLength(step + 1))
    }
    // 1 ms after the last relayed batch, all but one of a burst of the user's own messages go
    // out at once (each relayed batch spends the token its interval brought back).
    clock += 1
    for (let i = 0; i < BATCH_BURST; i++) doc.getArray<string>('a').push([`mine ${i}`])
    expect(updates).toHaveLength(3 * BATCH_BURST + BATCH_BURST - 1)
  })

  it('holds changes made here past the burst until a token is back, so a scripted flood stays within the rate', async () => {
    const doc = new Y.Doc()
    let clock = 0
    const changes = new DeferredUpdates(doc, () => clock)
    const updates: Uint8Array[] = []
    changes.on((update) => updates.push(update))
    for (let i = 0; i < 10 * BATCH_BURST; i++) doc.getArray<string>('a').push([`scripted ${i}`])
    expect(updates).toHaveLength(BATCH_BURST)
    // The rest waits, as one batch, for the next token.
    await nextTask()
    expect(updates).toHaveLength(BATCH_BURST)
    clock = MIN_BATCH_INTERVAL_MS
    await vi.waitFor(() => expect(updates).toHaveLength(BATCH_BURST + 1))
    const copy = new Y.Doc()
    for (const update of updates) Y.applyUpdate(copy, update)
    expect(copy.getArray('a').length).toBe(10 * BATCH_BURST)
  })

  it("cuts a large batch of other peers' changes into batches of at most RECORDS_PER_BATCH records, a task or more apart, that bring a copy up to date", async () => {
    const doc = new Y.Doc()
    doc.getArray<unknown>('a').push(['before'])
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    const batches: { update: Uint8Array; more: boolean }[] = []
    // Batches passed in one run of code, with no microtask checkpoint between them (one task).
    let running = false
    let sameRun = 0
    changes.on((update, _origins, more) => {
      batches.push({ update, more })
      if (running) sameRun++
      running = true
      queueMicrotask(() => {
        running = false
      })
    })
    // A flooder's run (one record a transaction: Yjs merges it into one struct) and a user's lines, relayed to this page as one update.
    const flooder = copyOf(doc)
    const user = copyOf(doc)
    const before = Y.encodeStateVector(doc)
    for (let line = 0; line < 1_000; line++) flooder.getArray<unknown>('a').push([{ id: `flood-${line}` }])
    for (let line = 0; line < 30; line++) user.getArray<unknown>('a').push([`ping ${line}`])
    flooder.getArray<unknown>('a').delete(1, 10)
    Y.applyUpdate(doc, Y.mergeUpdates([Y.encodeStateAsUpdate(flooder, before), Y.encodeStateAsUpdate(user, before)]), 'peer')
    const records = 1_030
    // A line written here meanwhile goes whole, at once, with the first batch, and whoever waits for it waits for no more.
    doc.getArray<unknown>('a').push(['mine'])
    let passedAfter = -1
    void changes.whenPassed().then(() => {
      passedAfter = batches.length
    })
    while (batches.length === 0 || batches[batches.length - 1].more) await nextTask()
    const sizes = batches.map(({ update }) =>
      Y.decodeUpdate(update).structs.reduce((sum, struct) => sum + (struct instanceof Y.Skip ? 0 : struct.length), 0),
    )
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(records + 1)
    expect(sizes[0]).toBeLessThanOrEqual(RECORDS_PER_BATCH + 1) // on main: all 1,031 in one batch
    for (const size of sizes.slice(1)) expect(size).toBeLessThanOrEqual(RECORDS_PER_BATCH)
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(records / RECORDS_PER_BATCH))
    expect(batches.map(({ more }) => more)).toEqual([...batches.slice(1).map(() => true), false])
    expect(sameRun).toBe(0) // a batch a task at most
    expect(passedAfter).toBe(1)
    // Applied in order, the batches bring a copy up to date: every record, and the deletions with the last.
    for (const { update } of batches) Y.applyUpdate(peer, update)
    expect(peer.getArray('a').toJSON()).toEqual(doc.getArray('a').toJSON())
    expect(peer.getArray('a').length).toBe(1 + records - 10 + 1)
    expect(Y.encodeStateVector(peer)).toEqual(Y.encodeStateVector(doc))
    changes.destroy()
  })

  it.each([
    ['a smaller', 1],
    ['a larger', 3],
  ])(
    "passes a peer's line that came while a large batch's rest is passed on in the next batch, ahead of the rest (%s client id than the history's)",
    async (_, lineClient) => {
      const doc = new Y.Doc()
      const changes = new DeferredUpdates(doc)
      /** The clients whose records each batch carries. */
      const batches: Set<number>[] = []
      changes.on((update) => batches.push(new Set(Y.decodeUpdate(update).structs.map((struct) => struct.id.client))))
      const history = new Y.Doc()
      history.clientID = 2
      for (let line = 0; line < 5 * RECORDS_PER_BATCH; line++) history.getArray<string>('a').push([`old ${line}`])
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(history), 'peer')
      while (batches.length === 0) await nextTask()
      const writer = new Y.Doc()
      writer.clientID = lineClient
      receive(doc, 'a new line', writer)
      const passedBefore = batches.length
      while (batches.length === passedBefore) await nextTask()
      // On main, behind a larger client id the line waited for all the history's batches (half a
      // minute for 100,000 records: unstored and unrelayed meanwhile).
      expect(batches[passedBefore].has(lineClient)).toBe(true)
      changes.destroy()
    },
  )

  it("leaves the parts of other peers' changes that no listener wants unencoded, and passes the last with the deletions at once", async () => {
    const doc = new Y.Doc()
    doc.getArray<unknown>('a').push(['before'])
    const peer = copyOf(doc)
    const changes = new DeferredUpdates(doc)
    // The relay: no link lacks the history; the store: it holds the history's records (as stored as received).
    const history = copyOf(doc)
    history.clientID = 7
    const before = Y.encodeStateVector(doc)
    for (let line = 0; line < 5 * RECORDS_PER_BATCH; line++) history.getArray<unknown>('a').push([`old ${line}`])
    history.getArray<unknown>('a').delete(1, 3)
    const held = (ranges: readonly { client: number; from: number; to: number }[]) =>
      ranges.every(({ client, to }) => client === history.clientID && to <= Y.getState(history.store, client))
    const relayed: boolean[] = []
    const stored: boolean[] = []
    changes.on((_update, _origins, more) => relayed.push(more), { wants: () => false })
    changes.on((_update, _origins, more) => stored.push(more), { last: true, wants: (ranges) => !held(ranges) })
    const unwanted: Uint8Array[] = []
    changes.on((update) => unwanted.push(update), { wants: () => false })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(history, before), 'peer')
    while (stored.length === 0) await nextTask()
    // One batch, the last (on main: five, four of them parts encoded for nobody).
    expect(relayed).toEqual([false])
    expect(stored).toEqual([false])
    expect(changes.partsSkipped).toBe(4)
    // The last part holds the last records and every deletion: with the history, a copy is up to date.
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(history, before))
    Y.applyUpdate(peer, unwanted[0])
    expect(peer.getArray('a').toJSON()).toEqual(doc.getArray('a').toJSON())
    changes.destroy()
  })

  it('passes only the deletions in the last batch when nobody wants its records, though a send joined the parts', async () => {
    const doc = new Y.Doc()
    const changes = new DeferredUpdates(doc)
    // A reload: the stored history comes back (held by the store, lacked by no link).
    const history = new Y.Doc()
    history.clientID = 7
    for (let line = 0; line < 3 * RECORDS_PER_BATCH; line++) history.getArray<unknown>('a').push([`old ${line}`])
    history.getArray<unknown>('a').delete(0, 2)
    const held = (ranges: readonly { client: number; from: number; to: number }[]) =>
      ranges.every(({ client }) => client === history.clientID)
    const stored: Uint8Array[] = []
    changes.on(() => {}, { wants: () => false })
    changes.on((update) => stored.push(update), { last: true, wants: (ranges) => !held(ranges) })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(history), 'storage')
    // A send before the parts went: its batch takes the first part along (the store wants it).
    doc.getArray<unknown>('a').push(['sent meanwhile'])
    while (stored.length < 2) await nextTask()
    const [withSend, last] = stored.map((update) => Y.decodeUpdate(update))
    expect(withSend.structs.some((struct) => struct.id.client === doc.clientID)).toBe(true)
    // Before: the last part's 200 records were encoded and stored again.
    expect(last.structs).toEqual([])
    expect(last.ds.clients.get(history.clientID)?.length).toBeGreaterThan(0)
    changes.destroy()
  })

  it('encodes every part when one listener wants it, or says nothing', async () => {
    for (const wants of [() => true, undefined]) {
      const doc = new Y.Doc()
      const changes = new DeferredUpdates(doc)
      const parts: boolean[] = []
      changes.on(() => {}, { wants: () => false })
      changes.on((_update, _origins, more) => parts.push(more), wants === undefined ? {} : { wants })
      const history = new Y.Doc()
      for (let line = 0; line < 3 * RECORDS_PER_BATCH; line++) history.getArray<string>('a').push([`old ${line}`])
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(history), 'peer')
      while (parts.length === 0 || parts[parts.length - 1]) await nextTask()
      expect(parts).toEqual([true, true, false])
      expect(changes.partsSkipped).toBe(0)
      changes.destroy()
    }
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
    receive(doc, 'received')
    await nextTask()
    expect(updates).toHaveLength(0)
  })
})
