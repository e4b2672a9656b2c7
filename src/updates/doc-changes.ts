// Whether a Yjs transaction changed the document: the transport's caches and digests, and storage's
// compaction, follow only real changes, not the empty transactions Yjs also reports (a
// transaction that wrote nothing).
import type * as Y from 'yjs'

/** True when `transaction` inserted or deleted anything. */
export function changedDocument(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true
  for (const [client, clock] of transaction.afterState) if ((transaction.beforeState.get(client) ?? 0) !== clock) return true
  return false
}
