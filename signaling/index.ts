// Public surface of the signaling package: start a server, and the protocol types and guards.
// Browser code may import only `protocol.ts` directly; this index pulls in Node modules.

export { startSignalingServer } from './server.js'
export type { SignalingServer, SignalingStats } from './server.js'
export { DEFAULT_OPTIONS, DEFAULT_PORT, resolveOptions } from './options.js'
export type { SignalingOptions } from './options.js'
export type { LogLevel, LogSink } from './logger.js'
export type { DropReason, SignalingCounters } from './stats.js'
export type { RelayStatus } from './topic-relay.js'
export * from './protocol.js'
