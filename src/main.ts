// The site's entry: one chat element following the room named in the URL fragment, a page
// saying why instead of it for a broken private link, and the menu of recent rooms.
import './components/index.js'
import {
  DEFAULT_ROOM,
  canSign,
  forgetRoom,
  loadRecentRooms,
  newPrivateRoom,
  readRoomLink,
  rememberRoom,
  roomFragment,
  saveRecentRooms,
  type RecentRoom,
  type RecentRoomsStore,
  type RoomAddress,
  type RoomLinkProblem,
} from './room/index.js'

/** What the broken-link page says, for each way a private link can be broken. */
const LINK_PROBLEMS: Record<RoomLinkProblem, string> = {
  'missing-key': 'This private room link has no key: it was cut off before its end.',
  'short-key': "This private room link's key is too short: the link was cut off before its end.",
  'long-key': 'This private room link has characters after its key, perhaps a full stop or a bracket copied with it.',
  'bad-key': "This private room link's key has characters no Parley key has: it was changed on its way here.",
  'missing-room': 'This private room link names no room.',
  'long-room': 'This private room link names a room longer than any room name can be.',
  repeated: 'This link names its room or its key twice, so which room it means would be a guess.',
}
const LOBBY: RoomAddress = { name: DEFAULT_ROOM, secret: null }
const recentDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** An element of index.html, which the site cannot run without. */
function part<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector)
  if (found === null) throw new Error(`index.html must contain ${selector}`)
  return found
}

const chat = part<HTMLElementTagNameMap['parley-chat']>('parley-chat')
const main = part<HTMLElement>('main')
const linkProblem = part<HTMLElement>('#link-problem')
const linkProblemReason = part<HTMLElement>('#link-problem-reason')
const roomsMenu = part<HTMLDetailsElement>('#rooms-menu')
const recentList = part<HTMLUListElement>('#recent-rooms')
const recentEmpty = part<HTMLElement>('#recent-rooms-empty')
for (const link of document.querySelectorAll<HTMLAnchorElement>('a.lobby-link')) link.href = roomFragment(LOBBY)

/**
 * localStorage while the page may use it; once it refuses (sandboxed page, private mode, full
 * quota), a memory list that lasts as long as the page, so the site never fails over its menu.
 */
function recentStore(): RecentRoomsStore {
  let memory: Map<string, string> | null = null
  const fallBack = (): Map<string, string> => {
    memory ??= new Map()
    return memory
  }
  return {
    getItem(key) {
      if (memory === null) {
        try {
          return localStorage.getItem(key)
        } catch {
          // refused: from now on the list lives in memory
        }
      }
      return fallBack().get(key) ?? null
    },
    setItem(key, value) {
      if (memory === null) {
        try {
          localStorage.setItem(key, value)
          return
        } catch {
          // refused: from now on the list lives in memory
        }
      }
      fallBack().set(key, value)
    },
  }
}
const store = recentStore()
/** The room the page shows; null while it shows a broken link. */
let current: RoomAddress | null = null

/** This page's address, opening `address`: what "Copy invite link" copies. */
function inviteLinkFor(address: RoomAddress): string {
  const url = new URL(location.href)
  url.hash = roomFragment(address)
  return url.href
}

/** How a room is named in the list: a private room has no name, and its key is never shown. */
function recentLabel(room: RecentRoom): string {
  if (room.address.secret === null) return `#${room.address.name}`
  return `Private room, opened ${recentDate.format(room.visitedAt)}`
}

function isCurrent(address: RoomAddress): boolean {
  return current !== null && current.name === address.name && current.secret === address.secret
}

/** Draws the recent rooms: a link to each, and a button that removes it from the list. */
function renderRecent(): void {
  const rooms = loadRecentRooms(store)
  recentEmpty.hidden = rooms.length > 0
  recentList.hidden = rooms.length === 0
  recentList.replaceChildren(
    ...rooms.map((room, index) => {
      const label = recentLabel(room)
      const item = document.createElement('li')
      const link = document.createElement('a')
      link.href = roomFragment(room.address)
      link.textContent = label
      if (isCurrent(room.address)) link.setAttribute('aria-current', 'page')
      const remove = document.createElement('button')
      remove.type = 'button'
      remove.className = 'remove'
      const mark = document.createElement('span')
      mark.setAttribute('aria-hidden', 'true')
      mark.textContent = '✕'
      const name = document.createElement('span')
      name.className = 'visually-hidden'
      name.textContent = `Remove ${label} from recent rooms`
      remove.append(mark, name)
      remove.addEventListener('click', () => removeRecent(room.address, index))
      item.append(link, remove)
      return item
    }),
  )
}

/** Removes a room from the list; `index` is where its row was, to keep the keyboard near it. */
function removeRecent(address: RoomAddress, index: number): void {
  saveRecentRooms(store, forgetRoom(loadRecentRooms(store), address))
  renderRecent()
  // Keep the keyboard where it was: on the next remove button, else the previous, else the menu.
  const left = [...recentList.querySelectorAll('button')]
  ;(left[Math.min(index, left.length - 1)] ?? roomsMenu.querySelector('summary'))?.focus()
}

function showRoom(address: RoomAddress): void {
  linkProblem.hidden = true
  if (!chat.isConnected) main.append(chat)
  chat.room = address.name
  chat.secret = address.secret ?? ''
  chat.inviteLink = inviteLinkFor(address)
  document.title = address.secret === null ? `#${address.name} · Parley` : 'Private room · Parley'
  current = address
  // The lobby has its own link; a private room that cannot open here (plain http) is not kept.
  const opens = address.secret === null || canSign()
  if (opens && !(address.name === DEFAULT_ROOM && address.secret === null)) {
    saveRecentRooms(store, rememberRoom(loadRecentRooms(store), address, Date.now()))
  }
}

function showBrokenLink(problem: RoomLinkProblem): void {
  // Out of the page, the chat leaves its room and opens none until a good link brings it back.
  chat.remove()
  linkProblemReason.textContent = LINK_PROBLEMS[problem]
  linkProblem.hidden = false
  document.title = 'Broken room link · Parley'
  current = null
}

/** Closes the rooms menu; the keyboard, if it was in there, goes back to the menu's button. */
function closeMenu(): void {
  if (!roomsMenu.open) return
  const hadFocus = roomsMenu.contains(document.activeElement)
  roomsMenu.open = false
  if (hadFocus) roomsMenu.querySelector('summary')?.focus()
}

const followHash = (): void => {
  const link = readRoomLink(location.hash)
  if (link.ok) showRoom(link.address)
  else showBrokenLink(link.problem)
  closeMenu()
  renderRecent()
}
followHash()
window.addEventListener('hashchange', followHash)

// The menu closes as menus do: Escape, a room picked (also the one already open, which
// changes no hash), a click elsewhere, or the keyboard leaving it.
roomsMenu.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') closeMenu()
})
roomsMenu.addEventListener('click', (event) => {
  if (event.target instanceof Element && event.target.closest('a') !== null) closeMenu()
})
document.addEventListener('click', (event) => {
  if (roomsMenu.open && !event.composedPath().includes(roomsMenu)) roomsMenu.open = false
})
// And so does Tab out of it: left open, its panel covered the chat's header, where the keyboard went next.
roomsMenu.addEventListener('focusout', (event) => {
  const next = event.relatedTarget
  if (roomsMenu.open && next instanceof Node && !roomsMenu.contains(next)) roomsMenu.open = false
})
// Another tab opened or removed a room: show the list as stored.
window.addEventListener('storage', renderRecent)

// A private room lives only in the URL fragment, which browsers never send to a server.
// Its encryption needs WebCrypto: on a plain http page (a LAN address) none can be opened.
const newPrivateRoomButton = document.querySelector<HTMLButtonElement>('#new-private-room')
if (newPrivateRoomButton !== null && !canSign()) newPrivateRoomButton.hidden = true
newPrivateRoomButton?.addEventListener('click', () => {
  location.hash = roomFragment(newPrivateRoom())
})
