// `npm start`: the signaling server and the site's dev server in one process.
// Ctrl+C (or SIGTERM) stops both; the printed URL is the one to open.
import { createServer } from 'vite'
import { startSignalingServer } from '../signaling/index.js'

const DEFAULT_SITE_PORT = 5173
const DEFAULT_SIGNALING_PORT = 4444

const sitePort = Number(process.env.PORT ?? DEFAULT_SITE_PORT)
const signalingPort = Number(process.env.SIGNALING_PORT ?? DEFAULT_SIGNALING_PORT)
const host = process.env.HOST

const signaling = await startSignalingServer({ port: signalingPort, host })
const site = await createServer({ server: { port: sitePort, host, strictPort: true } })
await site.listen()

// The page finds the signaling server on port 4444 of its own host unless told otherwise.
const query = signalingPort === DEFAULT_SIGNALING_PORT ? '' : `?signaling=ws://localhost:${signalingPort}`
const siteUrl = site.resolvedUrls?.local[0] ?? `http://localhost:${sitePort}/`
console.log(`\n  Parley is running.\n  Open ${siteUrl}${query}#lobby\n  Signaling server: ${signaling.url}\n`)

let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  await Promise.allSettled([site.close(), signaling.close()])
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
