// Whether a Yjs transaction changed the document: the transport's caches and digests, and storage's
// compaction, follow only real changes, not the empty transactions Yjs also reports (a
// transaction that wrote nothing).
import * as Y from 'yjs'

/** True when `transaction` inserted or deleted anything. */
export function changedDocument(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true
  for (const [client, clock] of transaction.afterState) if ((transaction.beforeState.get(client) ?? 0) !== clock) return true
  return false
}

/** Per Yjs client, the clock `doc` has reached (its state vector, read from the store without encoding it). */
export function clientClocks(doc: Y.Doc): Map<number, number> {
  const clocks = new Map<number, number>()
  for (const client of doc.store.clients.keys()) clocks.set(client, Y.getState(doc.store, client))
  return clocks
}

/** Per Yjs client, the clocks `doc` holds past `before` (from `clientClocks`): from (inclusive) to (exclusive). */
export function clocksAddedSince(doc: Y.Doc, before: ReadonlyMap<number, number>): Map<number, readonly [from: number, to: number]> {
  const added = new Map<number, readonly [number, number]>()
  for (const [client, to] of clientClocks(doc)) {
    const from = before.get(client) ?? 0
    if (to > from) added.set(client, [from, to])
  }
  return added
}
