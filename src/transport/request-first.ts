// A link's own sync request goes out before this side's answer to its peer's fresh request. A joiner
// learns from that request what the history holds (arriving-histories.ts): until it holds all of it,
// the parts are one history, drawn and checked once the last is here. y-webrtc sends the request
// when its link reports 'connect', which simple-peer does only after an asynchronous getStats; the
// peer's request can arrive first, and framing answers it at once (sync-replies.ts). Then the
// joiner took the first parts for changes (2 of 20 browser-fed joins, the request 390-562 ms after
// the first part: BENCHMARKS.md, "Seventeenth session: the history's promise first").
import type * as Y from 'yjs'
import { isSyncRequest, syncRequestOf } from './y-webrtc-messages.js'

/** What a request goes on: a link's channel. */
export interface RequestChannel {
  send(data: Uint8Array<ArrayBuffer>): void
}

/** Sends a link's request ahead of an answer where the link sent none yet, and leaves y-webrtc's own out then. */
export class RequestFirst {
  readonly #doc: Y.Doc
  /** Channels a request went on (y-webrtc's, a repair's, or one sent ahead here). */
  readonly #requested = new WeakSet<RequestChannel>()
  /** Channels whose request went ahead of an answer, until y-webrtc's own comes (left out). */
  readonly #ahead = new WeakSet<RequestChannel>()
  /** True while this sends its own request (which `hold` lets through). */
  #sending = false

  constructor(doc: Y.Doc) {
    this.#doc = doc
  }

  /**
   * Call before answering a peer's fresh request on `channel`: sends this side's request first
   * unless the link sent one already.
   */
  beforeAnswer(channel: RequestChannel): void {
    if (this.#requested.has(channel) || this.#doc.isDestroyed) return
    this.#requested.add(channel)
    this.#ahead.add(channel)
    this.#sending = true
    try {
      channel.send(syncRequestOf(this.#doc))
    } catch {
      // closed meanwhile: the answer goes nowhere either
    } finally {
      this.#sending = false
    }
  }

  /**
   * Whether `data`, about to be sent on `channel`, is left out: y-webrtc's request after one went
   * ahead of the answer. The one ahead named no more than this one (the document only grows), so
   * the peer's answer to it brings all this one's would; a later request (a repair) goes.
   */
  hold(channel: RequestChannel, data: unknown): boolean {
    if (this.#sending || !isSyncRequest(data)) return false
    if (this.#ahead.delete(channel)) return true
    this.#requested.add(channel)
    return false
  }
}
