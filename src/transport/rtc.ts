// The one place where a room's WebRTC classes are put together: the browser's (or wrtc's),
// with message framing inside and the liveness, relay and file side channels around it.
import type { FileChannels } from './file-channels.js'
import type { Framing } from './framing.js'
import type { Liveness, RtcImplementation } from './liveness.js'
import type { Relay } from './relay.js'

/** The wrappers a room puts around its WebRTC implementation. */
export interface RtcWrappers {
  liveness: Liveness
  framing: Framing
  relay: Relay
  files: FileChannels
}

/**
 * The WebRTC classes y-webrtc gets, so that every link it makes frames large messages and
 * carries the liveness, relay and file side channels. Framing is innermost, so the channel simple-peer sees is
 * framed; negotiated side channels (liveness, relay, the framing capability) pass through unframed.
 * Public API only: simple-peer's `wrtc` option, passed through y-webrtc's `peerOpts`.
 */
export function wrapRtcForFramingAndLiveness(rtc: RtcImplementation, { liveness, framing, relay, files }: RtcWrappers): RtcImplementation {
  return files.wrap(relay.wrap(liveness.wrap(framing.wrap(rtc))))
}
