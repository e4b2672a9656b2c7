// `npm start` as a user meets it: the dev server and the signaling server in one process,
// the URL it prints opened in Chromium. The other e2e files test the production build; this
// one catches what only the unbundled dev modules do (module order, dev-mode Lit).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { hostname, networkInterfaces } from 'node:os'
import type { Browser } from 'playwright-core'
import { freePort } from '../signaling/redis-harness.js'
import { killProcessGroup, portAnswers, processGroupAlive, spawnNpmScript } from '../support/process-tree.js'
import { composer, launchChromium, sendMessage, shownMembers, shownMessages, uniqueRoom } from './harness.js'

/** How long the dev server may take to print its URL (it optimizes dependencies first). */
const START_TIMEOUT_MS = 60_000

let app: ChildProcess
let printedUrl: string
let browser: Browser

/** Resolves with the first URL `child` prints after "Open ", failing if it exits first. */
function printedOpenUrl(child: ChildProcess): Promise<string> {
  let output = ''
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL:\n${output}`)), START_TIMEOUT_MS)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Open (\S+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('exit', (code) => reject(new Error(`npm start exited with ${String(code)}:\n${output}`)))
  })
}

beforeAll(async () => {
  const [sitePort, signalingPort] = [await freePort(), await freePort()]
  app = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/start.ts'], {
    env: { ...process.env, PORT: String(sitePort), SIGNALING_PORT: String(signalingPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  printedUrl = await printedOpenUrl(app)
  browser = await launchChromium()
}, START_TIMEOUT_MS + 10_000)

afterAll(async () => {
  await browser?.close()
  if (app !== undefined && app.exitCode === null) {
    app.kill('SIGTERM')
    await once(app, 'exit')
  }
})

it('serves a working chat at the URL it prints: signed messages, presence, no page errors', async () => {
  const url = new URL(printedUrl)
  url.searchParams.set('ice', '')
  url.hash = uniqueRoom('start')
  const errors: string[] = []
  const page = await (await browser.newContext()).newPage()
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(url.toString())
  await page.getByRole('textbox', { name: 'Your name' }).fill('Alice')
  await page.getByRole('button', { name: 'Join' }).click()
  await composer(page).waitFor()
  await expect.poll(() => shownMembers(page), { timeout: 15_000 }).toEqual(['Alice (you)'])
  await sendMessage(page, 'hello from npm start')
  await expect.poll(() => shownMessages(page), { timeout: 15_000 }).toEqual(['Alice: hello from npm start'])
  expect(errors).toEqual([])
})

// systemd with KillMode=process, `docker stop` and process supervisors signal npm alone. npm
// passes the signal to its child; the script must be that child (not a shell around it).
it('stops everything it started when npm alone gets SIGTERM', { timeout: START_TIMEOUT_MS + 30_000 }, async () => {
  const [sitePort, signalingPort] = [await freePort(), await freePort()]
  const npm = spawnNpmScript('start', [], { env: { PORT: String(sitePort), SIGNALING_PORT: String(signalingPort) } })
  const group = npm.pid ?? 0
  try {
    await printedOpenUrl(npm)
    expect([await portAnswers(sitePort), await portAnswers(signalingPort)]).toEqual([true, true])
    const exited = once(npm, 'exit')
    npm.kill('SIGTERM')
    await exited
    await expect.poll(() => processGroupAlive(group), { timeout: 15_000 }).toBe(false)
    expect([await portAnswers(sitePort), await portAnswers(signalingPort)]).toEqual([false, false])
  } finally {
    killProcessGroup(group)
  }
})

/** The status the server on 127.0.0.1:`port` answers a GET / with, sent with a Host header of `host`. */
function statusFor(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: `${host}:${port}` } }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    req.once('error', reject)
    req.end()
  })
}

it("with HOST=0.0.0.0 prints a link per LAN address and answers to the machine's name", {
  timeout: START_TIMEOUT_MS + 30_000,
}, async () => {
  const [sitePort, signalingPort] = [await freePort(), await freePort()]
  const exposed = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/start.ts'], {
    env: { ...process.env, HOST: '0.0.0.0', PORT: String(sitePort), SIGNALING_PORT: String(signalingPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  exposed.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  try {
    await printedOpenUrl(exposed)
    await expect.poll(() => output, { timeout: 5_000 }).toContain('Signaling server:')
    const lan = Object.values(networkInterfaces())
      .flatMap((infos) => infos ?? [])
      .filter((info) => info.family === 'IPv4' && !info.internal)
      .map((info) => info.address)
    for (const address of lan) {
      expect(output).toContain(`http://${address}:${sitePort}/?signaling=ws://${address}:${signalingPort}#lobby`)
    }
    for (const address of ['localhost', ...lan]) expect(await statusFor(sitePort, address)).toBe(200)
    expect(await statusFor(sitePort, hostname())).toBe(200)
    expect(await statusFor(sitePort, `${hostname()}.local`)).toBe(200)
    // Vite's guard against DNS rebinding stays up for every other name.
    expect(await statusFor(sitePort, 'rebound.example')).toBe(403)
  } finally {
    const exited = once(exposed, 'exit')
    exposed.kill('SIGTERM')
    await exited
  }
})
