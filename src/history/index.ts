// The history layer's public surface: the room document's schema, its messages (read,
// written, restored), and keeping it in IndexedDB. Imports only from identity and address.
export {
  MAX_MESSAGE_CHARS,
  encodeCompactRecord,
  encodeMessageRecord,
  keyStoredApart,
  keysOf,
  messagesOf,
  parseMessageRecord,
  type BinaryRecord,
  type CompactRecord,
  type StoredRecord,
  type KeyLookup,
  type MessageRecord,
} from './schema.js'
export { KeyDirectory, keyDirectoryOf } from './author-keys.js'
export {
  appendMessage,
  draftProblem,
  lostRecords,
  newMessages,
  observeMessages,
  parseMessages,
  readMessages,
  restoreRecords,
  sameRecord,
  sameSignedFields,
  withoutCopies,
  type DraftProblem,
  type MessageBatch,
  type MessagesChange,
} from './messages.js'
export { type CompactOptions, ROOM_DATABASE_PREFIX, persistRoom, roomDatabaseName, type RoomStore } from './persistence.js'
export {
  AUTHOR_BUDGET,
  AuthorBudgets,
  LaneBudgets,
  CHECKED_NEWEST,
  FORGERIES_SHOWN,
  forgedLaneOf,
  fullBucket,
  recordBytes,
  spend,
  type BudgetLimits,
  type Bucket,
  type BudgetedRecord,
  type HiddenCount,
  type HiddenCounts,
  type SignatureState,
} from './author-budget.js'
export { DeferredUpdates, type DeferredUpdateListener } from './deferred-updates.js'
export {
  AnnotationBudgets,
  REACTION_EMOJI,
  annotationsOf,
  appendAnnotation,
  isReactionEmoji,
  parseAnnotationRecord,
  parseAnnotations,
  type AnnotationKind,
  type AnnotationRecord,
  type ReactionEmoji,
} from './annotations.js'
export {
  annotate,
  annotationsByTarget,
  unannotated,
  type AnnotatedMessage,
  type ReactionSummary,
  type Reactor,
  type SignatureCheck,
} from './annotate.js'
export { MAX_FILE_BYTES, cleanFileName, cleanFileType, encodeFileMeta, parseFileMeta, type FileMeta } from './file-meta.js'
