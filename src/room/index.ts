// The room layer's public surface, and all the UI may use: opening a room, and the helpers
// its elements need (configuration, identity, draft limits, verdicts). Components import only this.
export {
  Room,
  type Author,
  type MessageListener,
  type MessagesListener,
  type RoomConnection,
  type RoomOptions,
  type RoomStats,
} from './room.js'
export { continuesList, type ReadonlyList } from './append-only-view.js'
export { acquireRoom, type RoomLease } from './room-registry.js'
export {
  DEFAULT_ROOM,
  MAX_RECENT_ROOMS,
  forgetRoom,
  loadRecentRooms,
  newPrivateRoom,
  parseRoomFragment,
  readRoomLink,
  rememberRoom,
  readMaxConns,
  resolveIceServers,
  resolveMaxConns,
  resolveSignalingUrl,
  roomFragment,
  saveRecentRooms,
  type RecentRoom,
  type RecentRoomsStore,
  type RoomAddress,
  type RoomLink,
  type RoomLinkProblem,
} from '../address/index.js'
export {
  MAX_NAME_CHARS,
  canSign,
  cleanName,
  colorFor,
  loadIdentity,
  loadSigner,
  saveName,
  shortFingerprint,
  type CssColor,
  type Identity,
  type KeyValueStore,
  type Signer,
} from '../identity/index.js'
export { MAX_MESSAGE_CHARS, draftProblem, type DraftProblem, type MessageRecord } from '../history/index.js'
export { MAX_FILE_BYTES, type FileMeta } from '../history/index.js'
export {
  REACTION_EMOJI,
  annotate,
  unannotated,
  type AnnotatedMessage,
  type AnnotationRecord,
  type ReactionEmoji,
  type ReactionSummary,
  type Reactor,
} from '../history/index.js'
export {
  VerdictCache,
  annotationVerdict,
  messageVerdict,
  messageVerdictKey,
  type Member,
  type PresenceNotice,
  type PresenceUser,
  type PresenceView,
  type Verdict,
} from '../membership/index.js'
export type { FetchFailure, FetchOptions, RtcImplementation } from '../transport/index.js'
