// Whether a history a link brings is still coming: on a link this side opened with an empty
// document (its first sync request fresh: peer-guard.ts `historyDue`), the peer's own first sync
// request carries its state vector, sent as its link opened and so before the history's parts
// on the same ordered channel. Until the document holds every clock it names, more of the
// history is due on that link. The room waits for it to draw the log (room-controller.ts).
import { messageYjsSyncStep1 } from 'y-protocols/sync'
import * as Y from 'yjs'
import type { LinkGuard } from './peer-guard.js'
import { readSyncPayload, syncKind } from './y-webrtc-messages.js'

/** What one link's peer said it holds, and whether the link's history is due (its guard's word). */
interface Promised {
  pc: RTCPeerConnection
  stateVector: Map<number, number>
  historyDue: () => boolean
}

/** The links whose peer announced what it holds, while a history on them may still be coming. */
export class ArrivingHistories {
  readonly #doc: Y.Doc
  /** By link; dropped once the document holds what the peer announced, or the link closed. */
  readonly #promised = new Map<RTCPeerConnection, Promised>()
  /** Links whose peer's first request was seen (a later one is a repair, never the history's promise). */
  readonly #heard = new WeakSet<RTCPeerConnection>()

  constructor(doc: Y.Doc) {
    this.#doc = doc
  }

  /**
   * `guard`, which also notes the state vector of the first sync request it admits from `pc`'s
   * peer. Only on links whose history is due does it count later (`arriving`).
   */
  watch(pc: RTCPeerConnection, guard: LinkGuard): LinkGuard {
    const admit = (data: unknown): boolean => {
      const admitted = guard.admit(data)
      if (admitted && !this.#heard.has(pc) && data instanceof ArrayBuffer) {
        const stateVector = stateVectorOfRequest(new Uint8Array(data))
        if (stateVector !== null) {
          this.#heard.add(pc)
          if (stateVector.size > 0) this.#promised.set(pc, { pc, stateVector, historyDue: () => guard.historyDue() })
        }
      }
      return admitted
    }
    return { admit, sent: (data) => guard.sent(data), fits: (head, bytes) => guard.fits(head, bytes), historyDue: () => guard.historyDue() }
  }

  /**
   * Whether a link this side opened empty still owes part of the history its peer announced: the
   * document lacks a clock the peer's first request named, and the link is open.
   */
  arriving(): boolean {
    if (this.#promised.size === 0) return false
    let due = false
    for (const [pc, promised] of this.#promised) {
      if (closedLink(pc) || holdsAll(this.#doc, promised.stateVector)) {
        this.#promised.delete(pc)
        continue
      }
      if (promised.historyDue()) due = true
    }
    return due
  }
}

/** The state vector a sync step 1 carries, or null for any other message (or a malformed one). */
function stateVectorOfRequest(bytes: Uint8Array): Map<number, number> | null {
  if (syncKind(bytes) !== messageYjsSyncStep1) return null
  try {
    return Y.decodeStateVector(readSyncPayload(bytes))
  } catch {
    return null
  }
}

/** Whether `doc` holds every clock of `promised`. */
function holdsAll(doc: Y.Doc, promised: Map<number, number>): boolean {
  for (const [client, clock] of promised) if (Y.getState(doc.store, client) < clock) return false
  return true
}

function closedLink(pc: RTCPeerConnection): boolean {
  return pc.connectionState === 'closed' || pc.connectionState === 'failed' || pc.signalingState === 'closed'
}
