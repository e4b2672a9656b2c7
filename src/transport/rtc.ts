// The one place where a room's WebRTC classes are put together: the browser's (or wrtc's),
// with message framing inside and the liveness side channel around it.
import type { Framing } from './framing.js'
import type { Liveness, RtcImplementation } from './liveness.js'

/** The wrappers a room puts around its WebRTC implementation. */
export interface RtcWrappers {
  liveness: Liveness
  framing: Framing
}

/**
 * The WebRTC classes y-webrtc gets, so that every link it makes frames large messages and
 * carries the liveness side channel. Framing is innermost, so the channel simple-peer sees is
 * framed; negotiated side channels (liveness, the framing capability) pass through unframed.
 * Public API only: simple-peer's `wrtc` option, passed through y-webrtc's `peerOpts`.
 */
export function wrapRtcForFramingAndLiveness(rtc: RtcImplementation, { liveness, framing }: RtcWrappers): RtcImplementation {
  return liveness.wrap(framing.wrap(rtc))
}
