// The transport layer's public surface: a room's y-webrtc connection as Parley adapts it (the
// adaptations, framing, liveness, the peer guard). The only code that knows y-webrtc or
// WebRTC; it takes callbacks and narrow interfaces, and imports nothing from src.
export { openTransport, type Transport, type TransportOptions, type TransportStats } from './transport.js'
export type { SignalingState } from './signaling-state.js'
export type { FramingStats } from './framing-channel.js'
export type { RtcImplementation } from './liveness.js'
export type { AwarenessLink, AwarenessScreen, AwarenessUpdateEntry, Refusal } from './peer-guard.js'
export type { DocumentChanges } from './room-handlers.js'
export type { RefusedWriter } from './refused-writing.js'
export type { FetchFailure, FetchOptions, FileFetchError, FileTransfers } from './file-transfer.js'
export type { FileTransferStats } from './file-stats.js'
export type { FileRef } from './file-protocol.js'
