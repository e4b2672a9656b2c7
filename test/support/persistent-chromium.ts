// A Chromium with a profile on disk (playwright-core's persistent context) that a test can
// SIGKILL whole and launch again on the same profile, as a user's crashed browser reopens.
import { readdirSync, readFileSync } from 'node:fs'
import { chromium, type BrowserContext } from 'playwright-core'
import { findChromium } from '../../scripts/find-chromium.js'
import { CHROMIUM_ARGS } from './browsers.js'
import { processGroupAlive } from './process-tree.js'

/** A browser on a profile folder: its one context, and a kill of every process it runs. */
export interface PersistentChromium {
  context: BrowserContext
  /** SIGKILL of every process of this browser at once; resolves when none is left. */
  kill(): Promise<void>
}

/** Launches headless Chromium on `userDataDir` (created if missing; reused as it was left). */
export async function launchPersistentChromium(userDataDir: string): Promise<PersistentChromium> {
  const executablePath = findChromium()
  if (executablePath === null) throw new Error('Chromium not found: run `npm test` (it installs it) or set CHROMIUM_PATH')
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS })
  // Playwright starts the browser detached, as the leader of its own process group; its
  // command line names the profile folder.
  const pid = browserPid(userDataDir)
  return {
    context,
    async kill() {
      process.kill(-pid, 'SIGKILL')
      while (processGroupAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 10))
      await context.close().catch(() => undefined) // gone already: nothing to close
    },
  }
}

/** The pid of the main browser process running on `userDataDir` (found in /proc). */
function browserPid(userDataDir: string): number {
  const flag = `--user-data-dir=${userDataDir}`
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let args: string[]
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
    } catch {
      continue // the process ended while we looked
    }
    const pid = Number(entry)
    // The main process has no --type (its children, renderers, GPU, zygotes, do) and leads its group.
    if (args.includes(flag) && !args.some((arg) => arg.startsWith('--type=')) && processGroupId(pid) === pid) return pid
  }
  throw new Error(`no Chromium process runs on ${userDataDir}`)
}

/** The process group of `pid`, from /proc/<pid>/stat (the field after the state). */
function processGroupId(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
}
