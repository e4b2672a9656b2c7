// Interoperability: a stock y-webrtc client in Node (WebRTC from @roamhq/wrtc) and a Parley
// page in Chromium share a room through Parley's signaling server, both ways.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { inject } from 'vitest'
import wrtc from '@roamhq/wrtc'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import type { Browser } from 'playwright-core'
import { startSignalingServer } from '../../signaling/index.js'
import { topicFor } from '../../src/room/room-address.js'
import { messagesOf, type MessageRecord } from '../../src/room/schema.js'
import { expectMessages, joinRoom, launchChromium, roomUrl, sendMessage, serveStatic, uniqueRoom, type Running } from './harness.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

let site: Running
let signaling: Running
let browser: Browser

beforeAll(async () => {
  site = await serveStatic(inject('siteDir'))
  signaling = await startSignalingServer({ port: 0, host: '127.0.0.1' })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await Promise.allSettled([signaling?.close(), site?.close()])
})

it('a stock y-webrtc client syncs with a Parley page through our server', async () => {
  const room = uniqueRoom('stock')
  const page = await joinRoom(browser, roomUrl(site.url, signaling.url, room), 'Alice')
  await sendMessage(page, 'from the browser')

  const doc = new Y.Doc()
  // Parley names its y-webrtc room by the hashed topic; a stock client just uses that name.
  const provider = new WebrtcProvider(topicFor({ name: room, secret: null }), doc, {
    signaling: [signaling.url],
    peerOpts: { wrtc, config: { iceServers: [] } },
  })
  try {
    const texts = () => messagesOf(doc).toArray().map(record => (record as MessageRecord).text)
    await expect.poll(texts, { timeout: 15_000, interval: 50 }).toEqual(['from the browser'])

    const record: MessageRecord = { id: 'node-1', authorId: 'node', authorName: 'Node', text: 'from stock y-webrtc', sentAt: Date.now() }
    messagesOf(doc).push([record])
    // Stock clients do not sign: their messages arrive, marked as unverified.
    await expectMessages(page, ['Alice: from the browser', '⚠ Node (unverified): from stock y-webrtc'])
  } finally {
    provider.disconnect()
    provider.destroy()
    doc.destroy()
    await page.close()
  }
})
