// How long after a peer process is SIGKILLed does the surviving side's own ICE state say so?
// Parley's liveness relies on it (see ARCHITECTURE.md, "Departure"); this measures it on loopback.
//
//   npx tsx bench/ice-kill.ts [--trials 3] [--observer wrtc|chromium|both]
//
// Each trial: a Node child (wrtc) answers an offer from the observer (Node's wrtc in this
// process, or a Chromium page), they connect over host candidates with one data channel open,
// the child is killed with SIGKILL, and the observer's iceConnectionState and connectionState
// changes are timed from the kill.
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import wrtc from '@roamhq/wrtc'
import { launchChromium } from '../test/support/browsers.js'

/** How long a trial waits for the observer to give up on the killed peer, in ms. */
const WATCH_MS = 40_000
/** How long a connection may take to come up, in ms. */
const CONNECT_TIMEOUT_MS = 15_000
const CHILD = fileURLToPath(new URL('./ice-kill-child.ts', import.meta.url))

type Signal = { sdp?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit; ready?: boolean }
/** One state change seen by the observer, in ms after the kill. */
type Change = { at: number; kind: 'ice' | 'connection' | 'channel'; state: string }

/** What the observer side offers: the same few calls in Node and in a page. */
interface Observer {
  offer(): Promise<RTCSessionDescriptionInit>
  answer(sdp: RTCSessionDescriptionInit): Promise<void>
  candidate(candidate: RTCIceCandidateInit): Promise<void>
  connected(): Promise<boolean>
  /** Changes since `start()` (times from the observer's clock, in ms since the epoch). */
  changes(): Promise<Array<{ t: number; kind: Change['kind']; state: string }>>
  close(): Promise<void>
}

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback
}

/** The observer script, shared by Node and the page (it must be self-contained). */
function observerSource(): string {
  return `(() => {
    const pc = new RTCPeerConnection({ iceServers: [] })
    const log = []
    const candidates = []
    pc.onicecandidate = ({ candidate }) => { if (candidate) candidates.push(candidate.toJSON()) }
    pc.oniceconnectionstatechange = () => log.push({ t: Date.now(), kind: 'ice', state: pc.iceConnectionState })
    pc.onconnectionstatechange = () => log.push({ t: Date.now(), kind: 'connection', state: pc.connectionState })
    const channel = pc.createDataChannel('bench', { negotiated: true, id: 1 })
    channel.onclose = () => log.push({ t: Date.now(), kind: 'channel', state: 'closed' })
    return { pc, log, candidates, channel }
  })()`
}

async function nodeObserver(): Promise<Observer & { takeCandidates(): RTCIceCandidateInit[] }> {
  const RTCPeerConnection = wrtc.RTCPeerConnection
  const o = new Function('RTCPeerConnection', `return ${observerSource()}`)(RTCPeerConnection) as {
    pc: RTCPeerConnection
    log: Array<{ t: number; kind: Change['kind']; state: string }>
    candidates: RTCIceCandidateInit[]
  }
  return {
    async offer() {
      const offer = await o.pc.createOffer()
      await o.pc.setLocalDescription(offer)
      return { type: 'offer', sdp: offer.sdp }
    },
    answer: (sdp) => o.pc.setRemoteDescription(sdp),
    candidate: (candidate) => o.pc.addIceCandidate(candidate),
    connected: async () => o.pc.iceConnectionState === 'connected' || o.pc.iceConnectionState === 'completed',
    changes: async () => o.log.splice(0),
    takeCandidates: () => o.candidates.splice(0),
    close: async () => o.pc.close(),
  }
}

async function chromiumObserver(): Promise<Observer & { takeCandidates(): Promise<RTCIceCandidateInit[]> }> {
  const browser = await launchChromium()
  const page = await browser.newPage()
  await page.goto('about:blank')
  await page.evaluate(`window.o = ${observerSource()}`)
  return {
    offer: () =>
      page.evaluate(async () => {
        const { pc } = (window as unknown as { o: { pc: RTCPeerConnection } }).o
        const offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        return { type: 'offer' as const, sdp: offer.sdp }
      }),
    answer: (sdp) => page.evaluate((s) => (window as unknown as { o: { pc: RTCPeerConnection } }).o.pc.setRemoteDescription(s), sdp),
    candidate: (c) => page.evaluate((x) => (window as unknown as { o: { pc: RTCPeerConnection } }).o.pc.addIceCandidate(x), c),
    connected: () =>
      page.evaluate(() => {
        const state = (window as unknown as { o: { pc: RTCPeerConnection } }).o.pc.iceConnectionState
        return state === 'connected' || state === 'completed'
      }),
    changes: () =>
      page.evaluate(() => (window as unknown as { o: { log: Array<{ t: number; kind: 'ice'; state: string }> } }).o.log.splice(0)),
    takeCandidates: () => page.evaluate(() => (window as unknown as { o: { candidates: RTCIceCandidateInit[] } }).o.candidates.splice(0)),
    close: () => browser.close(),
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function trial(kind: 'wrtc' | 'chromium'): Promise<Change[]> {
  const observer = kind === 'wrtc' ? await nodeObserver() : await chromiumObserver()
  const child: ChildProcess = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    await new Promise<void>((resolve) => child.once('message', () => resolve()))
    child.on('message', (signal: Signal) => {
      if (signal.sdp !== undefined) void observer.answer(signal.sdp)
      else if (signal.candidate !== undefined) void observer.candidate(signal.candidate)
    })
    child.send({ sdp: await observer.offer() })
    const pump = setInterval(async () => {
      for (const candidate of await observer.takeCandidates()) child.send({ candidate })
    }, 50)
    await waitFor(() => observer.connected(), CONNECT_TIMEOUT_MS, 'the connection')
    clearInterval(pump)
    await new Promise((resolve) => setTimeout(resolve, 3000)) // settle into steady consent checks
    await observer.changes()
    const killedAt = Date.now()
    child.kill('SIGKILL')
    const changes: Change[] = []
    const deadline = killedAt + WATCH_MS
    while (Date.now() < deadline && !changes.some((c) => c.state === 'failed' || c.state === 'closed')) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      for (const c of await observer.changes()) changes.push({ at: c.t - killedAt, kind: c.kind, state: c.state })
    }
    return changes
  } finally {
    child.kill('SIGKILL')
    await observer.close()
  }
}

const trials = Number(arg('trials', '3'))
const which = arg('observer', 'both')
const kinds = which === 'both' ? (['wrtc', 'chromium'] as const) : ([which] as Array<'wrtc' | 'chromium'>)
for (const kind of kinds) {
  for (let i = 0; i < trials; i++) {
    const changes = await trial(kind)
    console.log(`${kind} trial ${i + 1}: ${changes.map((c) => `${c.kind} ${c.state} @${c.at} ms`).join(', ') || 'no change'}`)
  }
}
process.exit(0)
