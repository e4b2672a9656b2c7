// The address layer's public surface: which room a page is in (URL fragment, hashed topic)
// and where its signaling and ICE servers are. Pure functions over strings; imports nothing from src.
export {
  DEFAULT_ROOM,
  DEFAULT_SIGNALING_PORT,
  MAX_CONNS_LIMIT,
  MAX_ROOM_CHARS,
  readMaxConns,
  resolveIceServers,
  resolveMaxConns,
  resolveSignalingUrl,
  type PageLocation,
} from './config.js'
export { PRIVATE_KEY_CHARS, base64url, newPrivateRoom, roomFragment, topicFor, type RoomAddress } from './room-address.js'
export { parseRoomFragment, readRoomLink, type RoomLink, type RoomLinkProblem } from './room-link.js'
export {
  MAX_RECENT_ROOMS,
  forgetRoom,
  loadRecentRooms,
  rememberRoom,
  saveRecentRooms,
  type RecentRoom,
  type RecentRoomsStore,
} from './recent-rooms.js'
