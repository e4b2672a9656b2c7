// A vitest worker killed with SIGKILL (past its timeout, or crashed) runs no cleanup: the
// browsers it launched must end with it, not eat the CPU of the files after it.
import { fork } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { killProcessGroup, processGroupAlive } from '../support/process-tree.js'

const CHILD_SCRIPT = fileURLToPath(new URL('./tabbed-chromium-child.ts', import.meta.url))

/** Generous: the watchdog acts at once, but the machine is shared. */
const GONE_WITHIN_MS = 20_000

describe('launchTabbedChromium', () => {
  test.each([
    { frames: 'running', pauseFrames: false },
    { frames: 'paused', pauseFrames: true },
  ])('its browser ends when the process that launched it is killed (frames $frames)', async ({ pauseFrames }) => {
    const child = fork(CHILD_SCRIPT, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, PAUSE_FRAMES: pauseFrames ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    let group: number | undefined
    let profile: string | undefined
    try {
      const browser = await new Promise<number>((resolve, reject) => {
        child.once('message', (message) => resolve((message as { processGroup: number }).processGroup))
        child.once('exit', (code, signal) => reject(new Error(`the child exited (${signal ?? code}) before its browser ran`)))
      })
      group = browser
      expect(processGroupAlive(browser)).toBe(true)
      const folder = profileOf(browser)
      profile = folder
      child.kill('SIGKILL')
      await exited
      await expect.poll(() => processGroupAlive(browser), { timeout: GONE_WITHIN_MS }).toBe(false)
      await expect.poll(() => existsSync(folder), { timeout: GONE_WITHIN_MS }).toBe(false)
    } finally {
      // Without the watchdog, what the test should have seen gone.
      child.kill('SIGKILL')
      if (group !== undefined) killProcessGroup(group)
      if (profile !== undefined) rmSync(profile, { recursive: true, force: true, maxRetries: 5 })
    }
  })
})

/** The profile folder of the Chromium whose main process is `pid` (its --user-data-dir). */
function profileOf(pid: number): string {
  const flag = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .find((arg) => arg.startsWith('--user-data-dir='))
  if (flag === undefined) throw new Error(`process ${pid} is no Chromium with a profile`)
  return flag.slice('--user-data-dir='.length)
}
