// A sent message survives its browser's crash: Room.send resolves only once the message is in
// IndexedDB, so a browser SIGKILLed right after it reopens the room with the message and sends
// it to the next peer. Real Chromium on a profile folder, real WebRTC.
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startSignalingServer } from '../../signaling/index.js'
import { launchPersistentChromium } from '../support/persistent-chromium.js'
import { expectMessages, joinRoom, launchChromium, roomUrl, serveStatic, uniqueRoom, withStepTimeouts, type Running } from './harness.js'

/** The whole test: two browser launches on one profile, a third browser, two joins; in ms. */
const KILL_TEST_TIMEOUT_MS = 120_000
/** Folder, under the served site, of the page that calls Room.send from a script. */
const SEND_PAGE_DIR = 'send-page'

/** The site and the send page on one origin (they share IndexedDB), and a signaling server. */
let served: Running
let signaling: Running
let folder: string

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'parley-send-'))
  const siteDir = join(folder, 'site')
  await cp(inject('siteDir'), siteDir, { recursive: true })
  await build({
    root: fileURLToPath(new URL('./fixtures/send-page/', import.meta.url)),
    base: './',
    logLevel: 'error',
    build: { outDir: join(siteDir, SEND_PAGE_DIR), emptyOutDir: true },
  })
  served = await serveStatic(siteDir)
  signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await Promise.allSettled([served?.close(), signaling?.close()])
  await rm(folder, { recursive: true, force: true })
})

/** An HTTP endpoint on 127.0.0.1 and a promise that resolves on its first request. */
async function resolvedSignal(): Promise<{ url: string; arrived: Promise<void>; close(): void }> {
  let arrive = (): void => undefined
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve
  })
  const server = createServer((_request, response) => {
    arrive()
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/resolved`,
    arrived,
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

describe('a browser killed right after a send', () => {
  it(
    'has the message when it reopens the room, and sends it to a peer who comes later',
    async () => {
      const room = uniqueRoom('killed')
      const profile = join(folder, 'profile')
      const text = 'sent just before the crash'

      const first = await launchPersistentChromium(profile)
      const page = await withStepTimeouts(first.context).newPage()
      const sendPage = `${served.url}${SEND_PAGE_DIR}/?signaling=${encodeURIComponent(signaling.url)}&room=${encodeURIComponent(room)}&name=Alice`
      await page.goto(sendPage)
      await page.waitForFunction(() => 'sendPage' in window)
      // The page calls this URL once Room.send has resolved, then hangs; the kill follows at once.
      const resolved = await resolvedSignal()
      try {
        void page
          .evaluate(
            ({ message, signalUrl }) =>
              (window as unknown as { sendPage: { sendThenHang(text: string, url: string): Promise<void> } }).sendPage.sendThenHang(
                message,
                signalUrl,
              ),
            { message: text, signalUrl: resolved.url },
          )
          .catch(() => undefined) // never returns: the page hangs, then its browser is killed
        await resolved.arrived
      } finally {
        resolved.close()
      }
      await first.kill()

      const url = roomUrl(served.url, signaling.url, room)
      const again = await launchPersistentChromium(profile)
      const bob = await launchChromium()
      try {
        await again.context.addInitScript(() => localStorage.setItem('parley:name', 'Alice'))
        const back = await withStepTimeouts(again.context).newPage()
        await back.goto(url)
        await expectMessages(back, [`Alice: ${text}`])
        const bobPage = await joinRoom(bob, url, 'Bob')
        await expectMessages(bobPage, [`Alice: ${text}`])
        expect(await bobPage.getByRole('log', { name: 'Messages' }).locator('article').count()).toBe(1)
      } finally {
        await Promise.allSettled([again.context.close(), bob.close()])
      }
    },
    KILL_TEST_TIMEOUT_MS,
  )
})
