// Interoperability: a stock y-webrtc client in Node (WebRTC from node-datachannel) and a Parley
// page in Chromium share a room through Parley's signaling server, both ways.
import { expect, it } from 'vitest'
import { nodeRtc } from './history-harness.js'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { WebrtcProvider } from 'y-webrtc'
import { topicFor } from '../../src/address/index.js'
import { messagesOf, type MessageRecord } from '../../src/history/index.js'
import { expectMessages, joinRoom, roomUrl, sendMessage, uniqueRoom, useChatStack } from './harness.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const stack = useChatStack(1)

it('a stock y-webrtc client syncs with a Parley page through our server', async () => {
  const room = uniqueRoom('stock')
  const page = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, room), 'Alice')
  await sendMessage(page, 'from the browser')

  const doc = new Y.Doc()
  // Parley names its y-webrtc room by the hashed topic; a stock client just uses that name.
  const provider = new WebrtcProvider(topicFor({ name: room, secret: null }), doc, {
    signaling: [stack.signaling.url],
    peerOpts: { wrtc: nodeRtc, config: { iceServers: [] } },
  })
  try {
    const texts = () =>
      messagesOf(doc)
        .toArray()
        .map((record) => (record as MessageRecord).text)
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
