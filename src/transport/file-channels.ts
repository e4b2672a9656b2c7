// The file side channel on every peer connection, as small as it can be: it is in what every page
// loads first. What the channel carries is read by file-transfer.ts, loaded on first use.
import type { RtcImplementation } from './liveness.js'

/** SCTP stream id of the file channel; next to liveness (500), framing (501) and relay (502). */
export const FILE_CHANNEL_ID = 503
/** Label of the file channel (wire format: file-protocol.ts). */
export const FILE_CHANNEL_LABEL = 'parley-files'

/** Reads what the file channels carry (file-transfer.ts, once loaded). */
export interface FileChannelHandler {
  opened(channel: RTCDataChannel): void
  message(channel: RTCDataChannel, data: unknown): void
  closed(channel: RTCDataChannel): void
}

/** The file channels of one room's peer connections. */
export class FileChannels {
  readonly #open = new Set<RTCDataChannel>()
  /** Who reads the channels; until the transfer code is loaded, frames are dropped: this page holds no file yet. */
  #handler: FileChannelHandler | null = null

  /** Wraps a WebRTC implementation so that each of its peer connections carries the file channel. */
  wrap(rtc: RtcImplementation): RtcImplementation {
    const attach = (channel: RTCDataChannel): void => this.#attach(channel)
    class FilePeerConnection extends rtc.RTCPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(config)
        // Negotiated on both sides with the same id: no 'datachannel' event reaches simple-peer.
        attach(this.createDataChannel(FILE_CHANNEL_LABEL, { negotiated: true, id: FILE_CHANNEL_ID }))
      }
    }
    return { ...rtc, RTCPeerConnection: FilePeerConnection }
  }

  /** Hands the channels, open now and later, to `handler`. */
  attach(handler: FileChannelHandler): void {
    this.#handler = handler
    for (const channel of this.#open) handler.opened(channel)
  }

  /** Closes every file channel. */
  destroy(): void {
    for (const channel of this.#open) channel.close()
    this.#open.clear()
    this.#handler = null
  }

  #attach(channel: RTCDataChannel): void {
    channel.binaryType = 'arraybuffer'
    channel.onopen = () => {
      this.#open.add(channel)
      this.#handler?.opened(channel)
    }
    channel.onmessage = (event: MessageEvent<unknown>) => this.#handler?.message(channel, event.data)
    channel.onclose = () => {
      this.#open.delete(channel)
      this.#handler?.closed(channel)
    }
  }
}
