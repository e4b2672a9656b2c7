// The transport layer's public surface: y-webrtc as Parley adapts it (framing, liveness, the
// peer guard, signal glare). The only code that knows y-webrtc or WebRTC; imports nothing from src.
export { Framing, type FramingOptions } from './framing.js'
export type { FramingStats } from './framing-channel.js'
export { LIVENESS_ORIGIN, Liveness, browserRtc, type RtcImplementation } from './liveness.js'
export { guardLink } from './peer-guard.js'
export { roomRtc } from './rtc.js'
export { adaptProvider, type DocumentChanges } from './webrtc-patches.js'
