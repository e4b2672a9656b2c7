// `npm start`: the signaling server and the site's dev server in one process.
// Ctrl+C (or SIGTERM) stops both; the printed URLs are the ones to open, here and on the LAN.
import { hostname, networkInterfaces } from 'node:os'
import type { AddressInfo } from 'node:net'
import { createServer } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { allowedHosts, siteHosts, siteLink } from './dev-hosts.js'

const DEFAULT_SITE_PORT = 5173
const DEFAULT_SIGNALING_PORT = 4444
const DEFAULT_ROOM_LINK = 'lobby'

const sitePort = Number(process.env.PORT ?? DEFAULT_SITE_PORT)
const signalingPort = Number(process.env.SIGNALING_PORT ?? DEFAULT_SIGNALING_PORT)
const host = process.env.HOST || undefined

const signaling = await startSignalingServer({ port: signalingPort, host })
const namesAllowed = allowedHosts(host, hostname(), process.env.ALLOWED_HOSTS)
// A copy: Vite adds to the list it is given (the bound host, once per config resolution).
const site = await createServer({ server: { port: sitePort, host, strictPort: true, allowedHosts: [...namesAllowed] } })
await site.listen()

const boundSitePort = (site.httpServer?.address() as AddressInfo | null)?.port ?? sitePort
const [first, ...others] = siteHosts(host, networkInterfaces()).map((name) =>
  siteLink(name, boundSitePort, signaling.port, DEFAULT_ROOM_LINK),
)
const lines = ['', '  Parley is running.', `  Open ${first}`]
for (const link of others) lines.push(`  or   ${link}`)
lines.push(`  Signaling server: ${signaling.url}${others.length > 0 ? ` (port ${signaling.port} of every address above)` : ''}`)
if (namesAllowed.length > 0) lines.push(`  Also answers to ${namesAllowed.join(', ')} (ALLOWED_HOSTS=a,b adds names).`)
console.log(`${lines.join('\n')}\n`)

let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  await Promise.allSettled([site.close(), signaling.close()])
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
