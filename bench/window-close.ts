// Window-close benchmark: how fast peers that had no link to a tab see it leave when its whole
// window closes, its goodbye carried by a sibling (src/room/sibling-goodbyes.ts).
// Run alone: npx tsx bench/window-close.ts [--trials N] [--typing | --crash | --lost-frames | --closed-link | --closed-alive] [--baseline REV]
//
// Three browsers and two signaling servers, as test/e2e/presence-partly-linked-tab.test.ts
// stages them: Bob's first tab and Carol on one server, Bob's second tab and Alice on the other,
// so each of Bob's tabs is linked to one peer only. Both of Bob's tabs close at once; the time
// is from the close to Bob gone from the list of each peer (Carol, then Alice). Without carried
// goodbyes one of them kept Bob for awareness's 30 s timeout.
// --typing: Bob's first tab starts typing right before the window closes (TYPING_CLOSE_DELAYS_MS
// after the keystroke, in turn), so that its new state and goodbye are signed, published and
// handed to the second tab as the tabs unload: a second tab that relayed the new state to Alice
// but carried the previous goodbye would leave Bob listed there for 30 s.
// --crash: Bob's first tab crashes instead (Chromium's Page.crash, no pagehide) and the second
// stays: the time is to that tab gone from each list (Bob no longer shown with two tabs). Carol is
// linked to it, and as it was her only link she drops the second tab too; Alice heard it only
// through the second tab.
// --lost-frames: Bob's first tab's data channels send nothing from its beforeunload on, as when
// a closing page's last frames die with it (CI traced it): Carol hears neither that tab's goodbye
// nor the one it carried for the second tab, nor its bye, only its silence.
// --closed-link: as --lost-frames, and that tab also closes its peer connections then: Carol sees
// the link closed by its far end (no bye), not silent.
// --closed-alive: no window closes. One signaling server; Carol's cap is 2, so she links to Bob's
// first tab and Alice, and his second tab only to Alice. His first tab closes its link to Carol and
// stays. The time is from that close to Bob shown with two tabs again (0: never fewer), and the
// trials in which Bob left a list meanwhile are counted (his second tab, rumored lost, must renew
// through Alice and stay). Watched for ALIVE_WATCH_MS at least, past liveness's RUMOR_WAIT_MS.
// --baseline REV: the site built from git revision REV is measured too, trials alternating.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, serveStatic, type Running } from '../test/support/browsers.js'
import { exportRevision } from './revision.js'
import { keepPeerConnections, type KeptConnections } from '../test/support/kept-connections.js'

/** How long one observation may take before it counts as "not seen", in ms (past awareness's 30 s timeout). */
const SEEN_TIMEOUT_MS = 40_000
/** How often the observer page checks, in milliseconds. */
const POLL_MS = 5
/** How long the mesh may take to form before a trial gives up, in ms. */
const SETUP_TIMEOUT_MS = 30_000
/** With --typing, how long after the keystroke the window closes, in ms: one after the other, trial by trial. */
const TYPING_CLOSE_DELAYS_MS = [0, 1, 2, 4, 8, 16]
/** With --closed-alive, how long each list is watched after the close at least, in ms: past RUMOR_WAIT_MS (5 s) and a renewal. */
const ALIVE_WATCH_MS = 8000

/** Median and worst time to the leave at one peer, in ms (null: never seen in time). */
export interface WindowCloseFigure {
  /** 'this tree', or the baseline's revision. */
  build: string
  peer: 'Carol' | 'Alice'
  trials: number
  medianMs: number | null
  worstMs: number | null
  missed: number
  /** Trials in which the peer showed Bob typing before he left (--typing): his new state reached it first. */
  typingSeen: number
  /** Trials in which Bob left the peer's list while he stayed (--closed-alive): a flap. */
  leftSeen: number
}

/** What one trial saw at one peer. */
interface Outcome {
  ms: number | null
  typingSeen: boolean
  left: boolean
}

const chat = "document.querySelector('parley-chat')"
/** In-page expression: the names of the other members shown. */
const othersExpression = `(${chat}?.shadowRoot?.querySelector('parley-members')?.members ?? []).filter(m => !m.isSelf)`
/** In-page expression: the live WebRTC links of the page's room. */
const linksExpression = `${chat}?.stats()?.liveLinks ?? 0`

/** In-page statement: notes, from now on, whether the page shows Bob typing (checked every POLL_MS). */
const watchTyping = `window.bobTyped = false; setInterval(() => { if ((${chat}?.shadowRoot?.querySelector('.typing')?.textContent ?? '').includes('Bob is typing')) window.bobTyped = true }, ${POLL_MS})`

/**
 * In-page statement: from now on notes in `window.bobWatch` whether Bob left the list, whether he
 * was shown with fewer than two tabs, and when he was shown with two again after that.
 */
const watchBob = `window.bobWatch = { left: false, fewer: false, back: null }; setInterval(() => {
  const bob = (${othersExpression}).find(m => m.name === 'Bob'), w = window.bobWatch
  if (bob === undefined) { w.left = true; w.fewer = true; w.back = null }
  else if (bob.tabs < 2) { w.fewer = true; w.back = null }
  else if (w.fewer && w.back === null) w.back = Date.now()
}, ${POLL_MS})`

/** Resolves with the page's clock (ms since epoch) when `expression` becomes true, or null on timeout. */
async function seenAt(page: Page, expression: string, timeout = SEEN_TIMEOUT_MS): Promise<number | null> {
  try {
    const handle = await page.waitForFunction(`(${expression}) ? Date.now() : false`, undefined, { polling: POLL_MS, timeout })
    return (await handle.jsonValue()) as number
  } catch {
    return null // not seen within the timeout: reported as missed
  }
}

async function openTab(browser: Browser, url: string, name: string, initScript?: () => void): Promise<Page> {
  const context = await browser.newContext()
  await context.addInitScript((stored) => localStorage.setItem('parley:name', stored), name)
  if (initScript !== undefined) await context.addInitScript(initScript)
  const page = await context.newPage()
  await page.goto(url)
  return page
}

/** What ends Bob's first tab: his window closing (after typing or not), or that tab crashing alone. */
export type WindowCloseMode = 'close' | 'typing' | 'crash' | 'lost-frames' | 'closed-link' | 'closed-alive'

/**
 * One trial: ms from the close to Bob gone at Carol and at Alice (null: missed). With 'typing',
 * Bob's first tab starts typing right before the close; with 'crash', that tab crashes and the
 * time is to it gone.
 */
async function trial(
  browsers: Browser[],
  urls: (room: string) => [string, string],
  index: number,
  mode: WindowCloseMode,
): Promise<Map<string, Outcome>> {
  if (mode === 'closed-alive') return aliveTrial(browsers, urls, index)
  const [alice, bob, carol] = browsers as [Browser, Browser, Browser]
  const [one, other] = urls(`bench-window-${index}-${Date.now()}`)
  const c = await openTab(carol, one, 'Carol')
  const b = await openTab(bob, one, 'Bob', mode === 'closed-link' ? keepPeerConnections : undefined)
  const b2 = await b.context().newPage()
  await b2.goto(other)
  const a = await openTab(alice, other, 'Alice')
  try {
    const bobsTabs = `(${othersExpression}).some(m => m.name === 'Bob' && m.tabs === 2)`
    for (const page of [a, c]) await seenAt(page, bobsTabs, SETUP_TIMEOUT_MS)
    for (const page of [a, b, b2, c]) await seenAt(page, `(${linksExpression}) === 1`, SETUP_TIMEOUT_MS)
    // With 'crash', the crashed tab gone: Bob no longer shown with two tabs (Carol, whose only
    // link it was, drops the second tab with it: that reached her only through the first).
    const bobGone = mode === 'crash' ? `!(${bobsTabs})` : `!(${othersExpression}).some(m => m.name === 'Bob')`
    const seen = [c, a].map((page) => seenAt(page, bobGone))
    if (mode === 'typing') {
      for (const page of [c, a]) await page.evaluate(watchTyping)
      await b.getByRole('textbox', { name: 'Message' }).fill('x')
      const delay = TYPING_CLOSE_DELAYS_MS[index % TYPING_CLOSE_DELAYS_MS.length] ?? 0
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    }
    if (mode === 'lost-frames')
      await b.evaluate(() =>
        addEventListener('beforeunload', () => {
          RTCDataChannel.prototype.send = () => {}
        }),
      )
    if (mode === 'closed-link')
      await b.evaluate(() =>
        addEventListener('beforeunload', () => {
          RTCDataChannel.prototype.send = () => {}
          for (const pc of (window as unknown as KeptConnections).peerConnections) pc.close()
        }),
      )
    const closed = Date.now()
    if (mode === 'crash') {
      const session = await b.context().newCDPSession(b)
      // The renderer dies at once; no reply comes.
      session.send('Page.crash').catch(() => undefined)
    } else await Promise.all([b.close({ runBeforeUnload: true }), b2.close({ runBeforeUnload: true })])
    const [atCarol, atAlice] = await Promise.all(seen)
    const outcome = async (page: Page, at: number | null | undefined) => ({
      ms: at === null || at === undefined ? null : at - closed,
      typingSeen: (await page.evaluate('window.bobTyped === true')) === true,
      left: false, // he did leave: only --closed-alive counts a leave, where he stays
    })
    return new Map([
      ['Carol', await outcome(c, atCarol)],
      ['Alice', await outcome(a, atAlice)],
    ])
  } finally {
    await Promise.allSettled([a, b, c].map((page) => page.context().close()))
  }
}

/**
 * One trial of --closed-alive: Bob's first tab closes its link to Carol (cap 2) and stays; his
 * second tab reaches her through Alice. ms: from the close to Bob shown with two tabs again (0:
 * never fewer; null: not within SEEN_TIMEOUT_MS); left: Bob left the list meanwhile.
 */
async function aliveTrial(browsers: Browser[], urls: (room: string) => [string, string], index: number): Promise<Map<string, Outcome>> {
  const [alice, bob, carol] = browsers as [Browser, Browser, Browser]
  const [url] = urls(`bench-alive-${index}-${Date.now()}`)
  const c = await openTab(carol, url.replace('#', '&max-conns=2#'), 'Carol')
  const b = await openTab(bob, url, 'Bob', keepPeerConnections)
  const pages = [b, c]
  try {
    for (const page of [b, c]) await seenAt(page, `(${linksExpression}) === 1`, SETUP_TIMEOUT_MS)
    // Bob's only link yet is Carol's.
    await b.evaluate(() => {
      const kept = window as unknown as KeptConnections & { toCarol?: RTCPeerConnection }
      kept.toCarol = kept.peerConnections.find((pc) => pc.connectionState === 'connected')
    })
    const a = await openTab(alice, url, 'Alice')
    pages.push(a)
    const b2 = await b.context().newPage()
    await b2.goto(url)
    const linked = await Promise.all(
      (
        [
          [c, 2],
          [b, 2],
          [a, 3],
          [b2, 1],
        ] as const
      ).map(([page, n]) => seenAt(page, `(${linksExpression}) === ${n}`, SETUP_TIMEOUT_MS)),
    )
    if (linked.includes(null)) throw new Error('the room did not link as staged (Carol 2, Bob 2, Alice 3, Bob 2nd tab 1)')
    const bobsTabs = `(${othersExpression}).some(m => m.name === 'Bob' && m.tabs === 2)`
    for (const page of [a, c]) await seenAt(page, bobsTabs, SETUP_TIMEOUT_MS)
    for (const page of [a, c]) await page.evaluate(watchBob)
    const closed = (await b.evaluate(() => {
      ;(window as unknown as { toCarol: RTCPeerConnection }).toCarol.close()
      return Date.now()
    })) as number
    const settled = `(window.bobWatch.back !== null || !window.bobWatch.fewer) && Date.now() - ${closed} > ${ALIVE_WATCH_MS}`
    await Promise.all([c, a].map((page) => seenAt(page, settled)))
    const outcome = async (page: Page): Promise<Outcome> => {
      const watch = (await page.evaluate('window.bobWatch')) as { left: boolean; fewer: boolean; back: number | null }
      return { ms: !watch.fewer ? 0 : watch.back === null ? null : watch.back - closed, typingSeen: false, left: watch.left }
    }
    return new Map([
      ['Carol', await outcome(c)],
      ['Alice', await outcome(a)],
    ])
  } finally {
    await Promise.allSettled(pages.map((page) => page.context().close()))
  }
}

/** Builds the site (and the baseline's), runs `trials` trials of each, alternating, and returns the figures. */
export async function runWindowCloseBench(
  options: { trials?: number; mode?: WindowCloseMode; baseline?: string } = {},
): Promise<WindowCloseFigure[]> {
  const trials = options.trials ?? 5
  const root = fileURLToPath(new URL('..', import.meta.url))
  const work = await mkdtemp(join(tmpdir(), 'parley-bench-window-'))
  const running: Running[] = []
  const browsers: Browser[] = []
  try {
    const sources = [{ name: 'this tree', source: root }]
    if (options.baseline !== undefined) {
      const source = join(work, 'baseline-source')
      await mkdir(source)
      await exportRevision(root, options.baseline, source)
      sources.push({ name: options.baseline, source })
    }
    const signaling = [
      await startSignalingServer({ port: 0, host: '127.0.0.1' }),
      await startSignalingServer({ port: 0, host: '127.0.0.1' }),
    ]
    running.push(...signaling)
    const builds: {
      name: string
      urls: (room: string) => [string, string]
      results: Map<string, Outcome>[]
    }[] = []
    for (const [i, { name, source }] of sources.entries()) {
      const outDir = join(work, `site-${i}`)
      await build({ root: source, logLevel: 'error', build: { outDir, emptyOutDir: true } })
      const site = await serveStatic(outDir)
      running.push(site)
      const urls = (room: string) =>
        signaling.map(({ url }) => `${site.url}?signaling=${encodeURIComponent(url)}&ice=#${encodeURIComponent(room)}`) as [string, string]
      builds.push({ name, urls, results: [] })
    }
    browsers.push(...(await Promise.all([launchChromium(), launchChromium(), launchChromium()])))
    for (let i = 0; i < trials; i++)
      for (const { urls, results } of builds) results.push(await trial(browsers, urls, i, options.mode ?? 'close'))
    return builds.flatMap(({ name, results }) =>
      (['Carol', 'Alice'] as const).map((peer) => {
        const outcomes = results.map((result) => result.get(peer))
        const seen = outcomes
          .map((outcome) => outcome?.ms ?? null)
          .filter((ms): ms is number => ms !== null)
          .sort((x, y) => x - y)
        return {
          build: name,
          peer,
          trials,
          medianMs: seen.length === 0 ? null : (seen[Math.floor((seen.length - 1) / 2)] ?? null),
          worstMs: seen.at(-1) ?? null,
          missed: trials - seen.length,
          typingSeen: outcomes.filter((outcome) => outcome?.typingSeen === true).length,
          leftSeen: outcomes.filter((outcome) => outcome?.left === true).length,
        }
      }),
    )
  } finally {
    await Promise.allSettled(browsers.map((browser) => browser.close()))
    await Promise.allSettled(running.map((r) => r.close()))
    await rm(work, { recursive: true, force: true })
  }
}

/** The figures as a table, one row per peer. */
export function windowCloseTable(figures: WindowCloseFigure[]): string {
  const cell = (ms: number | null) => (ms === null ? 'not seen' : `${ms} ms`)
  return [
    `Window close, leave seen by a peer with no link to the tab (${figures[0]?.trials ?? 0} trials)`,
    '| build | peer | median | worst | missed | Bob seen typing first | Bob left while he stayed |',
    '|---|---|---|---|---|---|---|',
    ...figures.map(
      (f) => `| ${f.build} | ${f.peer} | ${cell(f.medianMs)} | ${cell(f.worstMs)} | ${f.missed} | ${f.typingSeen} | ${f.leftSeen} |`,
    ),
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const trialsFlag = process.argv.indexOf('--trials')
  const trials = trialsFlag > 0 ? Number(process.argv[trialsFlag + 1]) : undefined
  const baselineFlag = process.argv.indexOf('--baseline')
  const baseline = baselineFlag > 0 ? process.argv[baselineFlag + 1] : undefined
  const flags: [string, WindowCloseMode][] = [
    ['--crash', 'crash'],
    ['--typing', 'typing'],
    ['--lost-frames', 'lost-frames'],
    ['--closed-link', 'closed-link'],
    ['--closed-alive', 'closed-alive'],
  ]
  const mode = flags.find(([flag]) => process.argv.includes(flag))?.[1] ?? 'close'
  const figures = await runWindowCloseBench({ trials, mode, baseline })
  console.log(windowCloseTable(figures))
  console.log(JSON.stringify({ windowClose: figures }))
}
