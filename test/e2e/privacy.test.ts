// What the signaling server learns, and what a browser without a private room's key sees:
// a recording proxy sits between the browsers and the real server and keeps every frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { parseRoomFragment, roomFragment } from '../../src/address/index.js'
import {
  expectMessages,
  joinRoom,
  launchChromium,
  sendMessage,
  shownMembers,
  shownMessages,
  useChatStack,
  type Running,
} from './harness.js'

/** A WebSocket proxy to `upstream` that records every frame, both ways, as text. */
async function recordingProxy(upstream: string): Promise<Running & { frames: string[] }> {
  const frames: string[] = []
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  server.on('connection', (client) => {
    const pending: RawData[] = []
    const target = new WebSocket(upstream)
    const text = (data: RawData) =>
      Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8')
    client.on('message', (data) => {
      frames.push(text(data))
      if (target.readyState === WebSocket.OPEN) target.send(text(data))
      else pending.push(data)
    })
    target.on('open', () => {
      for (const data of pending.splice(0)) target.send(text(data))
    })
    target.on('message', (data) => {
      frames.push(text(data))
      if (client.readyState === WebSocket.OPEN) client.send(text(data))
    })
    client.on('close', () => target.close())
    target.on('close', () => client.close())
    client.on('error', () => target.close())
    target.on('error', () => client.close())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    frames,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      }),
  }
}

const stack = useChatStack(2)
let proxy: Running & { frames: string[] }
const alice = () => stack.browsers[0]
const bob = () => stack.browsers[1]

// Registered after useChatStack's hooks, so the signaling server is up when the proxy starts.
beforeAll(async () => {
  proxy = await recordingProxy(stack.signaling.url)
})
afterAll(async () => {
  await proxy?.close()
})

const pageUrl = (fragment: string) => `${stack.site.url}?signaling=${encodeURIComponent(proxy.url)}&ice=${fragment}`

describe('the signaling server learns nothing', () => {
  it('sees no room name, no message text and no display name, in a public room', async () => {
    const tag = randomUUID().slice(0, 8)
    const room = `quarterly-plans-${tag}`
    const names = [`Alice${tag}`, `Bob${tag}`]
    const text = `the merger closes friday ${tag}`
    proxy.frames.length = 0
    const url = pageUrl(roomFragment({ name: room, secret: null }))
    const a = await joinRoom(alice(), url, names[0])
    const b = await joinRoom(bob(), url, names[1])
    await sendMessage(a, text)
    await expectMessages(b, [`${names[0]}: ${text}`])

    const frames = proxy.frames.join('\n')
    expect(proxy.frames.some((frame) => frame.includes('"publish"'))).toBe(true)
    for (const secret of [room, tag, text, ...names]) expect(frames).not.toContain(secret)
    await Promise.all([a.close(), b.close()])
  })
})

describe('a private room', () => {
  it('works between two browsers, encrypts its signaling, and shows nothing to a browser without the key', async () => {
    proxy.frames.length = 0
    // Alice makes the room with the button, and shares the address bar's URL with Bob.
    const a = await joinRoom(alice(), pageUrl('#lobby'), 'Alice')
    await a.getByRole('button', { name: 'New private room' }).click()
    await a.getByRole('heading', { name: 'Private room' }).waitFor()
    const url = a.url()
    const address = parseRoomFragment(new URL(url).hash)
    const secret = address.secret ?? ''
    expect(secret.length).toBeGreaterThanOrEqual(16)
    const b = await joinRoom(bob(), url, 'Bob')
    await sendMessage(a, 'for your eyes only')
    await expectMessages(b, ['Alice: for your eyes only'])

    expect(proxy.frames.join('\n')).toContain('"publish"')
    // Payloads of the private room are ciphertext: base64, which may hold any short word by
    // chance ("sdp" turned up in one run), so they are checked for shape, then left out.
    const frames = proxy.frames.map((frame) => withoutCiphertext(frame)).join('\n')
    for (const leak of [address.name, secret, 'candidate', 'sdp', 'Alice', 'for your eyes only']) expect(frames).not.toContain(leak)

    // Eve knows the room id but not the key; with a wrong key she is no better off. Carol,
    // who has the key, joins after her: once Carol has the history, Eve had as long to get it.
    const othersBrowser = await launchChromium()
    try {
      for (const fragment of [
        roomFragment({ name: address.name, secret: null }),
        roomFragment({ name: address.name, secret: 'not-the-key-0123456789' }),
      ]) {
        const eve = await joinRoom(othersBrowser, pageUrl(fragment), 'Eve')
        await sendMessage(eve, 'anyone?')
        const carol = await joinRoom(othersBrowser, url, 'Carol')
        await expect.poll(() => shownMessages(carol), { timeout: 15_000 }).toContain('Alice: for your eyes only')
        expect(await shownMessages(eve)).toEqual(['Eve: anyone?'])
        expect(await shownMembers(eve)).toEqual(['Eve (you)'])
        expect((await shownMembers(a)).some((member) => member.startsWith('Eve'))).toBe(false)
        await Promise.all([eve.close(), carol.close()])
      }
    } finally {
      await othersBrowser.close()
    }
    await Promise.all([a.close(), b.close()])
  })
})

/**
 * A signaling frame with a string payload (an encrypted one, as y-webrtc sends in a private
 * room) put as `<ciphertext>`, after checking that it is base64 and nothing readable.
 */
function withoutCiphertext(frame: string): string {
  const parsed = JSON.parse(frame) as { data?: unknown }
  if (typeof parsed.data !== 'string') return frame
  expect(parsed.data).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
  return JSON.stringify({ ...parsed, data: '<ciphertext>' })
}
