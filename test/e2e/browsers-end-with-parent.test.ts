// A vitest worker killed with SIGKILL (past its timeout, or crashed) runs no cleanup: the
// browsers it launched must end with it, not eat the CPU (or, frozen, the memory) of the files after it.
import { fork } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { profileOf } from '../support/browsers.js'
import { killProcessGroup, processGroupAlive } from '../support/process-tree.js'
import type { BrowserInChild } from './browser-child.js'

const CHILD_SCRIPT = fileURLToPath(new URL('./browser-child.ts', import.meta.url))

/** Generous: the watchdog acts at once, but the machine is shared. */
const GONE_WITHIN_MS = 20_000

describe('a browser a test launched', () => {
  test.each<BrowserInChild>(['tabbed', 'tabbed, frames paused', 'killable, frozen'])(
    'ends, and its profile goes, when the process that launched it is killed (%s)',
    async (kind) => {
      const child = fork(CHILD_SCRIPT, [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, BROWSER: kind },
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
        // Without the watchdog, what the test should have seen gone (SIGKILL ends a frozen process too).
        child.kill('SIGKILL')
        if (group !== undefined) killProcessGroup(group)
        if (profile !== undefined) rmSync(profile, { recursive: true, force: true, maxRetries: 5 })
      }
    },
  )
})
