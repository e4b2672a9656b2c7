// Awareness bytes over real WebRTC: a Parley transport in this process and a peer in a child
// process, Parley (framed, deflated messages) or stock y-webrtc (plain ones). A liar's huge
// awareness is refused and its link dropped; an honest room's whole awareness passes.
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { DeferredUpdates } from '../../src/history/index.js'
import { AWARENESS_BYTES_BURST, MAX_AWARENESS_MESSAGE_BYTES } from '../../src/transport/peer-guard.js'
import type { LocalTransport } from '../support/local-transport.js'
import { openLocalTransport } from '../support/local-transport.js'
import type { NodePeer, NodePeerOptions } from '../support/node-peer.js'
import { signedTabsUpdate } from '../support/signed-awareness.js'
import { useSignalingServer } from '../support/signaling-fixture.js'

/** Time for a child peer to start and connect over WebRTC on a loaded machine, in ms. */
const CONNECT_TIMEOUT_MS = 30_000
const TEST_TIMEOUT_MS = 90_000
/** Members of the honest room: each a tab with a signed state of its own. */
const HONEST_MEMBERS = 100
/** The first made-up client id of a liar's states. */
const JUNK_CLIENT = 7_000_000
const MIB = 1024 * 1024
/** Bytes of a Parley liar's awareness message: 16 times the cap, some 16 KiB of deflated frames. */
const HUGE_MESSAGE_BYTES = 16 * MIB
/** Bytes of one awareness message a stock liar sends: under the 256 KiB a data channel carries. */
const STOCK_MESSAGE_BYTES = 200 * 1024
/** Such messages it sends: twice the byte burst, far under the update rate's burst (60). */
const STOCK_MESSAGES = 21

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const signaling = useSignalingServer('awareness-bytes')

/** A Parley transport here and a peer of `kind` in a child process, linked. */
async function linked(
  kind: NodePeerOptions['kind'],
  deferJoin = false,
): Promise<{ local: LocalTransport; remote: NodePeer; topic: string }> {
  const topic = signaling.topic()
  const doc = new Y.Doc()
  const changes = new DeferredUpdates(doc)
  signaling.track(() => changes.destroy())
  const local = openLocalTransport(signaling, topic, changes, doc)
  // node-datachannel on both ends: @roamhq/wrtc in the child died of SIGSEGV in CI, sending junk
  // into a link this side was closing under it (what the stock test does on purpose).
  const remote = await signaling.startPeer({ kind, topic, deferJoin, rtc: 'node-datachannel' })
  return { local, remote, topic }
}

/**
 * Waits until both ends count their link as connected: each end's channel opens in its own time,
 * and a remote that sends before its own end is up sends on no link.
 */
async function bothLinked(local: LocalTransport, remote: NodePeer): Promise<void> {
  await expect.poll(() => local.transport.links().length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
  await expect.poll(async () => (await remote.state()).links.length, { timeout: CONNECT_TIMEOUT_MS }).toBe(1)
}

/** How many of the `count` made-up clients from JUNK_CLIENT on `local` holds a state of. */
function junkHeld(local: LocalTransport, count: number): number {
  let held = 0
  for (let client = JUNK_CLIENT; client < JUNK_CLIENT + count; client++) if (local.awareness.getStates().has(client)) held++
  return held
}

describe('awareness bytes over WebRTC', { timeout: TEST_TIMEOUT_MS }, () => {
  it('refuses a Parley peer’s deflated awareness message past the cap while inflating it, and drops the link', async () => {
    const { local, remote } = await linked('parley')
    await bothLinked(local, remote)
    expect(await remote.sendJunkAwareness(HUGE_MESSAGE_BYTES, 1, JUNK_CLIENT)).toBe(1) // one message on one link
    const settled = (): boolean => junkHeld(local, 1) === 1 || local.transport.stats().droppedLinks === 1
    await expect.poll(settled, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
    expect(junkHeld(local, 1)).toBe(0) // on main: inflated whole, parsed and applied
    const stats = local.transport.stats()
    expect(HUGE_MESSAGE_BYTES).toBeGreaterThan(MAX_AWARENESS_MESSAGE_BYTES)
    expect([stats.refused['oversized-awareness'], stats.droppedLinks, stats.bannedPeers]).toEqual([1, 1, 0]) // free to link again
    // Stopped while it was inflated: never held whole.
    expect([stats.framing.inflatedMessages, stats.framing.refusedMessages]).toEqual([0, 1])
  })

  it('drops a stock peer’s link once its plain awareness messages pass the byte budget', async () => {
    const { local, remote } = await linked('stock')
    await bothLinked(local, remote)
    // Sent until the link closes under it: more than the byte burst holds, on main all of them.
    const sent = await remote.sendJunkAwareness(STOCK_MESSAGE_BYTES, STOCK_MESSAGES, JUNK_CLIENT)
    const burst = Math.floor(AWARENESS_BYTES_BURST / STOCK_MESSAGE_BYTES)
    expect(sent).toBeGreaterThan(burst + 1)
    const settled = (): boolean => junkHeld(local, STOCK_MESSAGES) === sent || local.transport.stats().droppedLinks === 1
    await expect.poll(settled, { timeout: CONNECT_TIMEOUT_MS }).toBe(true)
    // Those within the burst (and what the rate refilled while they came) were applied; on main all of them.
    expect(junkHeld(local, STOCK_MESSAGES)).toBeLessThan(sent)
    expect(junkHeld(local, STOCK_MESSAGES)).toBeGreaterThanOrEqual(burst)
    const stats = local.transport.stats()
    expect(stats.refused['oversized-awareness']).toBeGreaterThanOrEqual(1)
    expect([stats.droppedLinks, stats.bannedPeers]).toEqual([1, 0])
  })

  it('takes the whole signed awareness of a 100-member room from a Parley or a stock peer as their link opens', async () => {
    for (const kind of ['parley', 'stock'] as const) {
      const { local, remote, topic } = await linked(kind, true)
      const { update, clients } = await signedTabsUpdate(HONEST_MEMBERS, topic)
      await remote.applyAwareness(update)
      await remote.join()
      const held = (): number => clients.filter((client) => local.awareness.getStates().has(client)).length
      await expect.poll(held, { timeout: CONNECT_TIMEOUT_MS }).toBe(HONEST_MEMBERS)
      const stats = local.transport.stats()
      expect([stats.refused['oversized-awareness'], stats.droppedLinks]).toEqual([0, 0])
    }
  })
})
