// Browsers and static serving for end-to-end tests and benchmarks (no vitest inside, so
// `npm run bench` can use them): Debian's Chromium via playwright-core, sirv on 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import sirv from 'sirv'
import { findChromium } from '../../scripts/find-chromium.js'
import { killGroupWhenThisProcessEnds } from './process-tree.js'

/** Chromium flags for a headless run on a machine with no internet (see DEVELOPERS.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Something started by a test that must be stopped afterwards. */
export interface Running {
  url: string
  close(): Promise<void>
}

/**
 * Serves a folder over HTTP on 127.0.0.1 at `basePath` (e.g. "/tools/chat/"), adding `headers`
 * to every file (e.g. CORS, for a library that pages of other origins load).
 */
export async function serveStatic(dir: string, basePath = '/', headers: Record<string, string> = {}): Promise<Running> {
  const files = sirv(dir, {
    dev: true,
    etag: false,
    setHeaders: (response) => {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value)
    },
  })
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '/'
    if (!url.startsWith(basePath)) {
      response.writeHead(404).end('not found')
      return
    }
    request.url = '/' + url.slice(basePath.length)
    files(request, response, () => {
      response.writeHead(404).end('not found')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Launches a separate headless Chromium process, with `extraArgs` after the usual flags. */
export async function launchChromium(extraArgs: readonly string[] = [], options: { cpus?: string } = {}): Promise<Browser> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('Chromium not found: run `npm test` (it installs it) or set CHROMIUM_PATH')
  const pinned = options.cpus === undefined ? null : await onCpus(executablePath, options.cpus)
  try {
    return await chromium.launch({ executablePath: pinned ?? executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] })
  } finally {
    // The script has exec'd Chromium by now (it starts its own helpers from its own binary).
    if (pinned !== null) await rm(dirname(pinned), { recursive: true, force: true })
  }
}

/** A headless Chromium whose pages are hidden as a user's are (a minimised window, a tab behind another). */
export interface TabbedChromium {
  /** The profile: each `newPage()` opens a tab in front of the others. */
  context: BrowserContext
  /** The browser's process group (its main process's pid): every process of it, and only those. */
  processGroup: number
  /** Minimises the window of `page` (hides it) or puts it back (`normal`: shown again). */
  setWindowState(page: Page, state: 'minimized' | 'normal'): Promise<void>
  /**
   * SIGSTOP of the GPU process, where the display compositor sends every page the frames it
   * draws: no page gets an animation frame until `resumeFrames()` (a frame late, as on a busy
   * machine). Pages run, and talk, meanwhile.
   */
  pauseFrames(): void
  resumeFrames(): void
  close(): Promise<void>
}

/**
 * Launches a headless Chromium and connects to it over CDP without Playwright's focus
 * emulation, which keeps every page it drives visible and drawing. A page whose window is
 * minimised (or that another tab covers) is then hidden as the browser hides it:
 * `visibilityState` is "hidden", `visibilitychange` fires, and it draws no frames
 * (requestAnimationFrame stops) until it is shown again. Playwright's other defaults are off
 * too: a hidden page's timers are throttled, as a user's are.
 */
export async function launchTabbedChromium(): Promise<TabbedChromium> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('Chromium not found: run `npm test` (it installs it) or set CHROMIUM_PATH')
  const profile = await mkdtemp(join(tmpdir(), 'parley-tabs-'))
  // A process group of its own: every process of this browser is signalled at once, and only those.
  // Playwright's own launch does so too, but talks over --remote-debugging-pipe, which Chromium
  // takes as its cue to quit when the pipe closes with its parent; over a port it would run on,
  // orphaned. A watchdog kills the group instead (the pipe's quit hangs while pauseFrames() holds
  // the GPU process stopped), and removes the profile.
  const child = spawn(
    executablePath,
    [...CHROMIUM_ARGS, '--headless', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    {
      stdio: 'ignore',
      detached: true,
    },
  )
  const group = child.pid
  if (group === undefined) throw new Error('Chromium did not start')
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stopWatchdog = killGroupWhenThisProcessEnds(group, [profile])
  const stop = async (): Promise<void> => {
    try {
      process.kill(-group, 'SIGKILL')
    } catch {
      // Gone already.
    }
    await exited
    stopWatchdog()
    await rm(profile, { recursive: true, force: true, maxRetries: 5 })
  }
  const gpuProcess = (): number => {
    const line = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' })
      .split('\n')
      .map((each) => each.trim().split(/\s+/))
      .find(([, pgid, ...args]) => Number(pgid) === group && args.includes('--type=gpu-process'))
    if (line === undefined) throw new Error('no GPU process in this Chromium')
    return Number(line[0])
  }
  try {
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${await devToolsPort(profile, exited)}`, { noDefaults: true })
    const context = browser.contexts()[0] ?? (await browser.newContext())
    return {
      context,
      processGroup: group,
      async setWindowState(page, state) {
        const session = await context.newCDPSession(page)
        const { windowId } = await session.send('Browser.getWindowForTarget')
        await session.send('Browser.setWindowBounds', { windowId, bounds: { windowState: state } })
        await session.detach()
      },
      pauseFrames: () => process.kill(gpuProcess(), 'SIGSTOP'),
      resumeFrames: () => process.kill(gpuProcess(), 'SIGCONT'),
      async close() {
        await browser.close().catch(() => undefined)
        await stop()
      },
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** The profile folder of the Chromium whose main process is `pid` (its --user-data-dir, from /proc). */
export function profileOf(pid: number): string {
  const flag = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .find((arg) => arg.startsWith('--user-data-dir='))
  if (flag === undefined) throw new Error(`process ${pid} is no Chromium with a profile`)
  return flag.slice('--user-data-dir='.length)
}

/** The port Chromium's DevTools listen on, once it wrote it into the profile. */
async function devToolsPort(profile: string, exited: Promise<void>): Promise<number> {
  let gone = false
  void exited.then(() => {
    gone = true
  })
  while (!gone) {
    const port = Number.parseInt((await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => '')).split('\n')[0] ?? '', 10)
    if (port > 0) return port
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('Chromium exited before it listened for DevTools')
}

/**
 * A script that runs `executablePath` on the CPUs listed (`taskset -c`, Linux), so that Chromium and
 * every process it starts share those cores only. Playwright puts its own flags before ours, so
 * the pinning cannot be passed as arguments.
 */
async function onCpus(executablePath: string, cpus: string): Promise<string> {
  if (!/^[0-9][0-9,-]*$/.test(cpus)) throw new Error(`not a CPU list for taskset: ${cpus}`)
  const script = join(await mkdtemp(join(tmpdir(), 'parley-chromium-')), 'chromium')
  await writeFile(script, `#!/bin/sh\nexec taskset -c ${cpus} '${executablePath.replaceAll("'", "'\\''")}' "$@"\n`, { mode: 0o755 })
  return script
}

/**
 * Chromium flags that make `hostname` resolve to 127.0.0.1. A page from http://<hostname>:port
 * then is what a page opened by a LAN address is: plain http on a host that is not localhost,
 * so not a secure context (no WebCrypto), while every packet stays on loopback.
 */
export function resolveToLoopback(hostname: string): string[] {
  return [`--host-resolver-rules=MAP ${hostname} 127.0.0.1`]
}

/** A Chromium process tree a test can kill, or freeze and thaw (a network cut, as peers see it). */
export interface KillableChromium {
  browser: Browser
  /** The browser's process group (its main process's pid): every process of it, and only those. */
  processGroup: number
  /** SIGKILL of every process of this browser at once: a crash with no chance of a goodbye. */
  kill(): void
  /** SIGSTOP of every process of this browser: not one packet leaves it until thaw(). */
  freeze(): void
  /** SIGCONT: the browser runs (and talks) again. */
  thaw(): void
}

/** Launches Chromium as a server whose process a test can kill or freeze, and connects to it. */
export async function launchKillableChromium(): Promise<KillableChromium> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('Chromium not found: run `npm test` (it installs it) or set CHROMIUM_PATH')
  const server = await chromium.launchServer({ executablePath, headless: true, args: CHROMIUM_ARGS })
  const browser = await chromium.connect(server.wsEndpoint())
  const pid = server.process().pid
  if (pid === undefined) throw new Error('Chromium server has no pid')
  // Playwright starts the browser detached, as the leader of its own process group. It quits when
  // Playwright's pipe to it closes with this process, but not while frozen: the watchdog kills it.
  const signalGroup = (signal: NodeJS.Signals) => process.kill(-pid, signal)
  server.on('close', killGroupWhenThisProcessEnds(pid, [profileOf(pid)]))
  return {
    browser,
    processGroup: pid,
    // Killing only the main process lets surviving children run the page's unload handlers.
    kill: () => signalGroup('SIGKILL'),
    freeze: () => signalGroup('SIGSTOP'),
    thaw: () => signalGroup('SIGCONT'),
  }
}
