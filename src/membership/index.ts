// The membership layer's public surface: Parley's presence meta, the members list and
// join/leave notices, this tab's presence in a room, and verdicts on signed claims.
export {
  membersOf,
  parseMemberMeta,
  presenceNotices,
  typingLineOf,
  unverifiedName,
  type Member,
  type MemberMeta,
  type MetaVerdict,
  type PresenceNotice,
} from './members.js'
export { CARRIED_GOODBYE_FIELD, encodeAwarenessEntries } from './held-states.js'
export { admitEntry, recordProven, shownState, type AwarenessUpdateEntry, type ProvenTab, type ProvenTabs } from './proven-tabs.js'
export { RoomPresence, type PresenceListener, type PresenceUser, type PresenceView } from './room-presence.js'
export { VerdictCache, messageVerdict, messageVerdictKey, presenceVerdict, type SignedClaim, type Verdict } from './verdicts.js'
export { annotationVerdict } from './annotation-verdicts.js'
