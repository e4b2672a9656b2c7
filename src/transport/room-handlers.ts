// The event handlers of a y-webrtc 10.3 room that Parley replaces or removes: what it broadcasts
// of awareness and document changes, and its `beforeunload` hook. Private members: see y-webrtc-internals.ts.
import type { Room as WebrtcRoom } from 'y-webrtc'
import { PARTS_FOLLOW } from './relay-policy.js'

/** Where a room's document changes come from, batched (the room defers them past the next frame). */
export interface DocumentChanges {
  /**
   * Calls `listener` with each batch of changes, encoded as a Yjs update (`more`: a part, the
   * rest of the changes so far follows in later batches); returns what removes it.
   */
  on(
    listener: (update: Uint8Array, origins?: ReadonlySet<unknown>, more?: boolean) => void,
    options?: { wants?: () => boolean },
  ): () => void
}

type AwarenessHandler = (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void

/**
 * Awareness changes made with `livenessOrigin` are not broadcast; all others are, as before.
 * A peer that lost its own link to X must not tell the others that X left: they may still
 * hear X fine, and X would drop out of their lists. Replaces `room._awarenessUpdateHandler`.
 */
export function keepLivenessRemovalsLocal(room: WebrtcRoom, livenessOrigin: unknown): void {
  const awareness = room.awareness
  const broadcast: AwarenessHandler = room._awarenessUpdateHandler
  const filtered: AwarenessHandler = (changes, origin) => {
    if (origin !== livenessOrigin) broadcast(changes, origin)
  }
  awareness.off('update', broadcast)
  room._awarenessUpdateHandler = filtered
  // y-webrtc subscribes its handler on connect (and unsubscribes it by this name on disconnect).
  if (room.provider.connected) awareness.on('update', filtered)
}

/**
 * Document changes reach peers when `changes` delivers them, after the page has drawn them
 * (see src/history/deferred-updates.ts), not as each transaction ends: while anyone listens to
 * a document's 'update' event, Yjs encodes every transaction at once. Replaces the document
 * listener `room._docUpdateHandler` with `changes`; returns what stops relaying.
 */
export function relayDocumentChangesAfterDraw(room: WebrtcRoom, changes: DocumentChanges, wantsPart?: () => boolean): () => void {
  room.doc.off('update', room._docUpdateHandler)
  // A part's sources stay with the relay for the rest (relay.ts).
  return changes.on(
    (update, _origins, more) => room._docUpdateHandler(update, more === true ? PARTS_FOLLOW : null),
    wantsPart === undefined ? undefined : { wants: wantsPart },
  )
}

/**
 * Removes y-webrtc's `beforeunload` hook (`room._beforeUnloadHandler`), which leaves every room
 * at once: it also fires when a leave dialog is then cancelled, so the page would stay with
 * its rooms gone. The room leaves on `pagehide` instead (see src/room/room.ts). Browsers only:
 * in Node y-webrtc hooks the process's `exit`, which is left alone.
 */
export function dropBeforeUnloadHook(room: WebrtcRoom): void {
  if (typeof window !== 'undefined') window.removeEventListener('beforeunload', room._beforeUnloadHandler)
}
