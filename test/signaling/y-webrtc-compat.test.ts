// Compatibility test: the stock y-webrtc client, unchanged, signals through Parley's server.
// A real WebrtcProvider (WebRTC from node-datachannel, host candidates only) talks to a raw ws client posing as a peer.

import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { WebrtcProvider } from 'y-webrtc'
import * as Y from 'yjs'
import type { ServerFrame } from '../../signaling/protocol.js'
import { nodeRtc } from '../support/node-rtc.js'
import { TestClient, cleanup, startTestServer, track } from './helpers.js'

afterEach(cleanup)

type GlobalWithWebSocket = { WebSocket?: unknown }

/** lib0's WebSocket client uses the global WebSocket, which Node 20 lacks; lend it `ws`. */
function lendGlobalWebSocket(): void {
  const global = globalThis as GlobalWithWebSocket
  const previous = global.WebSocket
  global.WebSocket = NodeWebSocket
  track(async () => {
    global.WebSocket = previous
  })
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

/** The y-webrtc payload (`data`) of a relayed publish, or {} for any other frame. */
function dataOf(frame: ServerFrame): Readonly<Record<string, unknown>> {
  return frame.type === 'publish' ? asRecord(frame.message['data']) : {}
}

describe('stock y-webrtc client against the Parley signaling server', () => {
  it('subscribes, announces, and sends a real WebRTC offer to an announced peer', { timeout: 15_000 }, async () => {
    lendGlobalWebSocket()
    const server = await startTestServer()
    const room = `compat-${Math.random().toString(36).slice(2)}`
    const fakePeer = await TestClient.connect(server.url)
    fakePeer.send({ type: 'subscribe', topics: [room] })
    await fakePeer.sync()

    const doc = new Y.Doc()
    const provider = new WebrtcProvider(room, doc, {
      signaling: [server.url],
      peerOpts: { wrtc: nodeRtc('node-datachannel'), config: { iceServers: [] } },
    })
    track(async () => {
      provider.disconnect()
      provider.destroy()
      doc.destroy()
    })
    const peersAdded: string[] = []
    provider.on('peers', (event: { added: string[] }) => void peersAdded.push(...event.added))

    const announce = await fakePeer.waitFor(
      (f) => f.type === 'publish' && f.topic === room && dataOf(f)['type'] === 'announce',
      'the provider announces itself',
    )
    expect(announce).toMatchObject({ clients: 2 })
    const providerPeerId = dataOf(announce)['from']
    expect(typeof providerPeerId).toBe('string')

    fakePeer.send({ type: 'publish', topic: room, data: { type: 'announce', from: 'fake-peer' } })
    const offer = await fakePeer.waitFor((f) => {
      const data = dataOf(f)
      return data['type'] === 'signal' && data['to'] === 'fake-peer' && asRecord(data['signal'])['type'] === 'offer'
    }, 'the provider sends an offer to the fake peer')
    expect(dataOf(offer)['from']).toBe(providerPeerId)
    expect(peersAdded).toContain('fake-peer')
  })
})
