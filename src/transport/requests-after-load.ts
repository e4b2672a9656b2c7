// A link's sync requests wait until the document holds what this page stored. The room applies its
// stored history a part a task (history/persistence.ts); y-webrtc sends its request as the link
// opens, and the relay its repairs, each naming the document's state vector then: mid-load a
// fraction of what the page holds, and the peer answered with the rest of the history (a
// 50,000-message room of 14 MB: 2.0-3.2 MB deflated on the wire, applied again; with an empty
// document, before the first part, a fresh joiner's history, applied whole). Held, a link's
// requests become one, sent once loaded with the state vector then. What the link answers meanwhile (a peer's own request, its
// changes) goes as before: the peer, stock or Parley, just gets this side's request later.
import type * as Y from 'yjs'
import { isSyncRequest, syncRequestOf } from './y-webrtc-messages.js'

/** What a held request is sent again on: a link's channel. */
export interface RequestChannel {
  readonly readyState: RTCDataChannelState
  send(data: Uint8Array<ArrayBuffer>): void
}

/** Holds each link's sync requests until `loaded` settles, then sends each link that asked one request of the whole document's state vector. */
export class RequestsAfterLoad {
  readonly #doc: Y.Doc
  /** Channels with a request held; null once loaded (nothing is held from then on). */
  #held: Set<RequestChannel> | null = new Set()

  /** `loaded`: settles once the document holds the stored history (undefined: nothing to wait for). */
  constructor(doc: Y.Doc, loaded: Promise<unknown> | undefined) {
    this.#doc = doc
    if (loaded === undefined) this.#held = null
    else void loaded.then(this.#release, this.#release)
  }

  /** Whether `data`, about to be sent on `channel`, is held back: a sync request while the document loads. */
  hold(channel: RequestChannel, data: unknown): boolean {
    if (this.#held === null || !isSyncRequest(data)) return false
    this.#held.add(channel)
    return true
  }

  /** Stops holding; what was held is dropped. */
  destroy(): void {
    this.#held = null
  }

  #release = (): void => {
    const held = this.#held
    this.#held = null
    if (held === null || held.size === 0 || this.#doc.isDestroyed) return
    const request = syncRequestOf(this.#doc)
    for (const channel of held) {
      if (channel.readyState !== 'open') continue
      try {
        channel.send(request)
      } catch {
        // closed between the check and the send: its next link asks afresh
      }
    }
  }
}
