// Partial-mesh benchmark in real Chromium: five pages joined one by one with the link caps of
// test/e2e/partial-mesh.test.ts (`?max-conns=` 1, 2, 3, 2, 2: Ann-Ben-Cat, then Cat-Dan, Cat-Eve,
// Dan-Eve), and the same five with no cap (a full mesh), trials alternating. Per page, by its
// hops from the actor: how long Ann's message and Ann's typing take to show, how long a killed
// Eve (SIGKILL of her browser) and a closed Ann (her tab) take to leave the members list.
// Run alone: npx tsx bench/partial-mesh.ts [--trials N]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { build } from 'vite'
import { startSignalingServer } from '../signaling/index.js'
import { launchChromium, launchKillableChromium, serveStatic } from '../test/support/browsers.js'
import { seenAt } from './presence.js'

const NAMES = ['Ann', 'Ben', 'Cat', 'Dan', 'Eve']
/** The caps of the partial mesh (as in the e2e test). */
const CAPS = [1, 2, 3, 2, 2]
/** Hops from Ann, and from Eve, of each page in the partial mesh (the full mesh: 1 for all). */
const HOPS_FROM_ANN = [0, 1, 2, 3, 3]
const HOPS_FROM_EVE = [3, 2, 1, 1, 0]
const CHAT = "document.querySelector('parley-chat')"
const OTHERS = `(${CHAT}?.shadowRoot?.querySelector('parley-members')?.members ?? []).filter((m) => !m.isSelf).length`

type Mesh = 'partial' | 'full'
type Event = 'message' | 'typing' | 'kill' | 'close'
const EVENTS: readonly Event[] = ['message', 'typing', 'kill', 'close']
/** One observation: a page `hops` from the actor saw the event after `ms` (null: not in time). */
interface Seen {
  mesh: Mesh
  event: Event
  hops: number
  ms: number | null
}

/** Waits until each page has its live links. */
async function untilLinks(pages: Page[], links: number[]): Promise<void> {
  const ok = await Promise.all(pages.map((page, n) => seenAt(page, `${CHAT}?.stats()?.liveLinks === ${links[n]}`)))
  if (ok.includes(null)) throw new Error(`links not as planned: wanted ${links.join(',')}`)
}

async function trial(siteUrl: string, signalingUrl: string, browsers: Browser[], mesh: Mesh, index: number): Promise<Seen[]> {
  const room = `bench-mesh-${mesh}-${index}-${Date.now()}`
  const victim = await launchKillableChromium()
  const windows = [browsers[0], browsers[1], browsers[0], browsers[1], victim.browser]
  const pages: Page[] = []
  const seen: Seen[] = []
  const record = (event: Event, hops: number, started: number, at: number | null) =>
    seen.push({ mesh, event, hops, ms: at === null ? null : at - started })
  try {
    for (const n of NAMES.keys()) {
      const context = await windows[n].newContext()
      await context.addInitScript((name) => localStorage.setItem('parley:name', name), NAMES[n])
      const page = await context.newPage()
      const cap = mesh === 'partial' ? `max-conns=${CAPS[n]}&` : ''
      await page.goto(`${siteUrl}?${cap}signaling=${encodeURIComponent(signalingUrl)}&ice=#${encodeURIComponent(room)}`)
      pages.push(page)
      if (mesh === 'partial') await untilLinks(pages, linksAfter(n))
      else
        await untilLinks(
          pages,
          pages.map(() => n),
        )
    }
    const hopsFromAnn = (n: number) => (mesh === 'partial' ? HOPS_FROM_ANN[n] : 1)
    const hopsFromEve = (n: number) => (mesh === 'partial' ? HOPS_FROM_EVE[n] : 1)
    await Promise.all(pages.map((page) => seenAt(page, `${OTHERS} === 4`)))
    const [ann, , , , eve] = pages
    const field = ann.getByRole('textbox', { name: 'Message' })

    // Typing: from Ann's first key to each page's typing line.
    let waits = pages
      .slice(1)
      .map((page) => seenAt(page, `(${CHAT}?.shadowRoot?.querySelector('[role=status]')?.textContent ?? '').trim() !== ''`))
    let started = Date.now()
    await field.press('h')
    for (const [m, at] of (await Promise.all(waits)).entries()) record('typing', hopsFromAnn(m + 1), started, at)

    // A message: from Ann's Enter to its record in each page.
    await field.fill('hello from Ann')
    waits = pages.slice(1).map((page) => seenAt(page, `${CHAT}?.messages.some((m) => m.text === 'hello from Ann')`))
    started = Date.now()
    await field.press('Enter')
    for (const [m, at] of (await Promise.all(waits)).entries()) record('message', hopsFromAnn(m + 1), started, at)

    // Eve's browser is killed: when each page's list drops her.
    await eve.evaluate(() => undefined)
    waits = pages.slice(0, 4).map((page) => seenAt(page, `${OTHERS} === 3`))
    started = Date.now()
    victim.kill()
    for (const [m, at] of (await Promise.all(waits)).entries()) record('kill', hopsFromEve(m), started, at)

    // Ann closes her tab: when each page's list drops her.
    waits = pages.slice(1, 4).map((page) => seenAt(page, `${OTHERS} === 2`))
    started = Date.now()
    await ann.close({ runBeforeUnload: true })
    for (const [m, at] of (await Promise.all(waits)).entries()) record('close', hopsFromAnn(m + 1), started, at)
  } finally {
    await Promise.allSettled(pages.slice(0, 4).map((page) => page.context().close()))
    await victim.browser.close().catch(() => undefined) // killed: nothing to close
  }
  return seen
}

/** Live links of each page once pages 0..n joined the partial mesh one by one. */
function linksAfter(n: number): number[] {
  const rows = [[0], [1, 1], [1, 2, 1], [1, 2, 2, 1], [1, 2, 3, 2, 2]]
  return rows[n]
}

/** Median and worst per mesh, event and hops, in ms. */
export function partialMeshTable(seen: Seen[]): string {
  const lines = ['| mesh | event | hops | n | median | worst | missed |', '|---|---|---|---|---|---|---|']
  for (const mesh of ['partial', 'full'] as const)
    for (const event of EVENTS) {
      const hops = [...new Set(seen.filter((s) => s.mesh === mesh && s.event === event).map((s) => s.hops))].sort()
      for (const hop of hops) {
        const of = seen.filter((s) => s.mesh === mesh && s.event === event && s.hops === hop)
        const ms = of.flatMap((s) => (s.ms === null ? [] : [s.ms])).sort((a, b) => a - b)
        const median = ms.length === 0 ? 'none' : `${ms[Math.floor((ms.length - 1) / 2)]} ms`
        const worst = ms.length === 0 ? 'none' : `${ms[ms.length - 1]} ms`
        lines.push(`| ${mesh} | ${event} | ${hop} | ${of.length} | ${median} | ${worst} | ${of.length - ms.length} |`)
      }
    }
  return lines.join('\n')
}

export async function runPartialMeshBench(trials = 3): Promise<Seen[]> {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-bench-mesh-'))
  const browsers: Browser[] = []
  try {
    await build({ root, logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true } })
    const site = await serveStatic(siteDir)
    const signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
    try {
      browsers.push(await launchChromium(), await launchChromium())
      const seen: Seen[] = []
      for (let i = 0; i < trials; i++)
        for (const mesh of ['partial', 'full'] as const) seen.push(...(await trial(site.url, signaling.url, browsers, mesh, i)))
      return seen
    } finally {
      await Promise.allSettled(browsers.map((browser) => browser.close()))
      await Promise.allSettled([site.close(), signaling.close()])
    }
  } finally {
    await rm(siteDir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = process.argv.indexOf('--trials')
  const seen = await runPartialMeshBench(flag > 0 ? Number(process.argv[flag + 1]) : undefined)
  console.log(partialMeshTable(seen))
  console.log(JSON.stringify({ partialMesh: seen }))
}
