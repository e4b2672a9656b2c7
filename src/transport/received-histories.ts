// Histories as links bring them: a sync step 2 (the answer to a sync request, a joiner's history
// included) is handed on as received, with what it added to the document, once y-webrtc applied
// it. The room stores it whole at once (src/history/persistence.ts), rather than in the parts
// that relay it, paced for the peers' guards (src/history/deferred-updates.ts).
import { messageYjsSyncStep2 } from 'y-protocols/sync'
import type * as Y from 'yjs'
import { clientClocks, clocksAddedSince, hasPending } from '../updates/index.js'
import { syncPayload } from './y-webrtc-messages.js'

/** Per Yjs client, the clocks a history added to the document: from (inclusive) to (exclusive). */
export type AddedRecords = ReadonlyMap<number, readonly [from: number, to: number]>

/** Told of each history a link brought, once applied: its update as received and what it added. */
export type HistoryListener = (update: Uint8Array, added: AddedRecords) => void

/** The update of a y-webrtc sync step 2 message; null for any other message (or a malformed one). */
export function syncStep2Update(data: unknown): Uint8Array | null {
  return syncPayload(data, messageYjsSyncStep2)
}

/**
 * Runs `dispatch` (which hands `data` to y-webrtc) and, when `data` is a sync step 2 that added
 * records to `doc`, tells `listener` (a history that added nothing is not passed on). Not while
 * Yjs holds changes pending: what they waited for may come with the history, and Yjs integrates
 * them with it, so the clocks it added would name records the history lacks.
 */
export function dispatchNotingHistory(doc: Y.Doc, data: unknown, dispatch: () => void, listener: HistoryListener | undefined): void {
  const update = listener === undefined || hasPending(doc) ? null : syncStep2Update(data)
  if (update === null) {
    dispatch()
    return
  }
  const before = clientClocks(doc)
  dispatch()
  const added = clocksAddedSince(doc, before)
  if (added.size > 0) listener?.(update, added)
}
