// The site's entry: one chat element following the room named in the URL fragment.
// Everything else (signaling, ICE) the element reads from the page URL itself.
import './components/index.js'
import { canSign, newPrivateRoom, parseRoomFragment, roomFragment } from './room/index.js'

const chat = document.querySelector('parley-chat')
if (chat === null) throw new Error('index.html must contain <parley-chat>')

const followHash = (): void => {
  const address = parseRoomFragment(location.hash)
  chat.room = address.name
  chat.secret = address.secret ?? ''
  document.title = address.secret === null ? `#${address.name} · Parley` : 'Private room · Parley'
}
followHash()
window.addEventListener('hashchange', followHash)

// A private room lives only in the URL fragment, which browsers never send to a server.
// Its encryption needs WebCrypto: on a plain http page (a LAN address) none can be opened.
const newPrivateRoomButton = document.querySelector<HTMLButtonElement>('#new-private-room')
if (newPrivateRoomButton !== null && !canSign()) newPrivateRoomButton.hidden = true
newPrivateRoomButton?.addEventListener('click', () => {
  location.hash = roomFragment(newPrivateRoom())
})
