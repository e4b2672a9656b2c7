// Which closes liveness takes as evidence, over real WebRTC (node-datachannel) in this process: a
// link this peer closes on purpose (closeHere) drops only its peer; one its far end closes, or one
// closed here by anything else (simple-peer on an error), with no bye, also takes the tabs it carried.
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import type { WebrtcConn } from 'y-webrtc'
import { closeHere } from '../../src/transport/closed-here.js'
import { Liveness } from '../../src/transport/liveness.js'
import { nodeRtc } from '../support/node-rtc.js'

/** How long a link may take to come up, or a close to be noticed, on a loaded machine, in ms. */
const LINK_TIMEOUT_MS = 20_000

const ends: Array<() => void> = []
afterEach(() => {
  for (const end of ends.splice(0)) end()
})

/** A tab: its awareness with a state, and its liveness (`siblingsOf` as the room would answer). */
function tab(siblingsOf?: (client: number) => readonly number[]) {
  const awareness = new Awareness(new Y.Doc())
  awareness.setLocalState({ tab: true })
  const liveness = new Liveness(awareness, () => true, siblingsOf)
  ends.push(() => {
    liveness.destroy()
    awareness.destroy()
  })
  return { awareness, liveness }
}

/** Links two connections in this process, as simple-peer would: offer, answer, candidates both ways. */
async function link(offerer: RTCPeerConnection, answerer: RTCPeerConnection): Promise<void> {
  offerer.addEventListener('icecandidate', (event) => {
    if (event.candidate !== null) void answerer.addIceCandidate(event.candidate)
  })
  answerer.addEventListener('icecandidate', (event) => {
    if (event.candidate !== null) void offerer.addIceCandidate(event.candidate)
  })
  const offer = await offerer.createOffer()
  await offerer.setLocalDescription(offer)
  await answerer.setRemoteDescription(offer)
  const answer = await answerer.createAnswer()
  await answerer.setLocalDescription(answer)
  await offerer.setRemoteDescription(answer)
}

/**
 * Carol linked to Bob's first tab only, and holding the state of his second tab, which she heard
 * through the first (its sibling). Resolves once the link's liveness speaks on both sides.
 */
async function carolLinkedToBob() {
  const bob = tab()
  const bobsSecondTab = new Awareness(new Y.Doc())
  bobsSecondTab.setLocalState({ tab: true })
  ends.push(() => bobsSecondTab.destroy())
  const siblings = new Map([
    [bob.awareness.clientID, bobsSecondTab.clientID],
    [bobsSecondTab.clientID, bob.awareness.clientID],
  ])
  const carol = tab((client) => {
    const sibling = siblings.get(client)
    return sibling === undefined ? [] : [sibling]
  })
  for (const awareness of [bob.awareness, bobsSecondTab])
    applyAwarenessUpdate(carol.awareness, encodeAwarenessUpdate(awareness, [awareness.clientID]), 'test')
  const rtc = nodeRtc('node-datachannel')
  const toBob = new (carol.liveness.wrap(rtc).RTCPeerConnection)({ iceServers: [] })
  const toCarol = new (bob.liveness.wrap(rtc).RTCPeerConnection)({ iceServers: [] })
  ends.push(() => {
    toBob.close()
    toCarol.close()
  })
  await link(toBob, toCarol)
  await expect
    .poll(() => [carol.liveness.linkedClients(), bob.liveness.linkedClients()], { timeout: LINK_TIMEOUT_MS })
    .toEqual([[bob.awareness.clientID], [carol.awareness.clientID]])
  /** Which of Bob's tabs Carol's awareness holds. */
  const holds = () => {
    const states = carol.awareness.getStates()
    return [states.has(bob.awareness.clientID) ? 'first' : null, states.has(bobsSecondTab.clientID) ? 'second' : null].filter(
      (held) => held !== null,
    )
  }
  return { bob, carol, toBob, toCarol, holds }
}

/** A link as closeHere takes it: y-webrtc's conn, whose simple-peer holds the connection. */
const connOf = (pc: RTCPeerConnection) => ({ peer: { _pc: pc, destroy: () => pc.close() } }) as unknown as WebrtcConn

describe('liveness on a closed link (real WebRTC)', () => {
  it('drops only the peer of a link it closed on purpose: the tabs it carried stay', async () => {
    const { carol, toBob, holds } = await carolLinkedToBob()
    expect(holds()).toEqual(['first', 'second'])
    closeHere(connOf(toBob))
    await expect.poll(() => carol.liveness.linkedClients(), { timeout: LINK_TIMEOUT_MS }).toEqual([])
    expect(holds()).toEqual(['second'])
    expect(carol.liveness.rumorWaits).toEqual({ started: 0, dropped: 0, waiting: 0 })
  })

  it('takes a close by the far end, with no bye, as evidence: the tabs it carried go with its last link', async () => {
    const { carol, toCarol, holds } = await carolLinkedToBob()
    toCarol.close()
    await expect.poll(() => carol.liveness.linkedClients(), { timeout: LINK_TIMEOUT_MS }).toEqual([])
    expect(holds()).toEqual([])
  })

  it('takes a close here that it did not make on purpose (simple-peer on an error) as evidence too', async () => {
    const { carol, toBob, holds } = await carolLinkedToBob()
    toBob.close()
    await expect.poll(() => carol.liveness.linkedClients(), { timeout: LINK_TIMEOUT_MS }).toEqual([])
    expect(holds()).toEqual([])
  })

  it('leaves the tabs it carried after a bye: their goodbyes went first', async () => {
    const { bob, carol, toCarol, holds } = await carolLinkedToBob()
    bob.liveness.goodbye() // pagehide; then its connection closes
    await expect.poll(holds, { timeout: LINK_TIMEOUT_MS }).toEqual(['second'])
    toCarol.close()
    await expect.poll(() => carol.liveness.linkedClients(), { timeout: LINK_TIMEOUT_MS }).toEqual([])
    expect(holds()).toEqual(['second'])
  })
})
