// The site's entry: one chat element following the room named in the URL fragment.
// Everything else (signaling, ICE) the element reads from the page URL itself.
import './components/parley-chat.js'
import { roomFromHash } from './room/config.js'

const chat = document.querySelector('parley-chat')
if (chat === null) throw new Error('index.html must contain <parley-chat>')

const followHash = (): void => {
  chat.room = roomFromHash(location.hash)
  document.title = `#${chat.room} · Parley`
}
followHash()
window.addEventListener('hashchange', followHash)
