// The goodbyes a profile's tabs carry for each other, over a real BroadcastChannel (Node's) and
// real awareness: what is held, what is published on leaving, and what is ignored.
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import type { MemberMeta } from '../../src/membership/index.js'
import { SIBLING_GOODBYE_ORIGIN, SiblingGoodbyes, type HeldGoodbye } from '../../src/room/sibling-goodbyes.js'

const goodbyeMeta = (counter: number): MemberMeta => ({
  name: 'Carol',
  typing: false,
  since: 100,
  publicKey: 'carol-key',
  signature: `sig-${counter}`,
  counter,
  left: true,
})

/** One tab: its awareness, tracked as Carol, and its side of the siblings' goodbyes. */
function tab(topic: string, toCarry: () => HeldGoodbye | null = () => null) {
  const awareness = new Awareness(new Y.Doc())
  awareness.setLocalState({ presence: { key: 'carol', meta: { ...goodbyeMeta(1), left: undefined }, version: 1 } })
  return { awareness, siblings: new SiblingGoodbyes(topic, awareness, toCarry) }
}

/** Makes `to` know `from`'s awareness state, as a relay would. */
function relay(from: Awareness, to: Awareness): void {
  applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [from.clientID]), 'relay')
}

const open: SiblingGoodbyes[] = []
afterEach(() => {
  for (const siblings of open.splice(0)) siblings.close()
})

describe('SiblingGoodbyes', () => {
  it("publishes, on leaving, the goodbye a sibling with no link of its own handed over, and that sibling's only", async () => {
    const topic = `goodbyes-${Math.random()}`
    let carried: HeldGoodbye | null = { key: 'carol', meta: goodbyeMeta(2) }
    const second = tab(topic, () => carried)
    const first = tab(topic)
    const stranger = tab(topic, () => ({ key: 'mallory', meta: goodbyeMeta(7) }))
    open.push(first.siblings, second.siblings, stranger.siblings)
    relay(second.awareness, first.awareness)
    relay(stranger.awareness, first.awareness)
    const origins: unknown[] = []
    first.awareness.on('change', (_change: unknown, origin: unknown) => origins.push(origin))
    const stateOf = (client: number) => first.awareness.getStates().get(client) as { presence: { key: string; meta: MemberMeta } }

    second.siblings.refresh()
    stranger.siblings.refresh()
    // Delivery is async: wait until publishing has something to do.
    await expect
      .poll(() => {
        first.siblings.publish('carol')
        return stateOf(second.awareness.clientID).presence.meta.left
      })
      .toBe(true)
    expect(stateOf(second.awareness.clientID).presence).toMatchObject({ key: 'carol', meta: goodbyeMeta(2), version: 2 })
    expect(origins).toContain(SIBLING_GOODBYE_ORIGIN)
    // Another user's tab (not this profile's) is never published for.
    expect(stateOf(stranger.awareness.clientID).presence.meta.left).toBeUndefined()

    // Withdrawn once the sibling has a link of its own: publishing leaves its state alone.
    carried = null
    second.siblings.refresh()
    const clock = () => first.awareness.meta.get(second.awareness.clientID)?.clock
    await expect
      .poll(() => {
        const before = clock()
        first.siblings.publish('carol')
        return clock() === before
      })
      .toBe(true)
  })

  it('ignores malformed messages and unsigned goodbyes', async () => {
    const topic = `goodbyes-${Math.random()}`
    const first = tab(topic)
    const second = tab(topic)
    open.push(first.siblings, second.siblings)
    relay(second.awareness, first.awareness)
    const channel = new BroadcastChannel(`parley-goodbyes/${topic}`)
    const client = second.awareness.clientID
    const { publicKey: _k, signature: _s, counter: _c, ...unsigned } = goodbyeMeta(3)
    for (const message of [
      null,
      'garbage',
      { client: -1, key: 'carol', meta: goodbyeMeta(3) },
      { client, key: '', meta: goodbyeMeta(3) },
      { client, key: 'carol', meta: unsigned },
      { client, key: 'carol', meta: { ...goodbyeMeta(3), left: undefined } }, // not a goodbye
    ])
      channel.postMessage(message)
    // A well-formed message after them: once it is held, the others have been read.
    const other = tab(topic)
    open.push(other.siblings)
    relay(other.awareness, first.awareness)
    channel.postMessage({ client: other.awareness.clientID, key: 'carol', meta: goodbyeMeta(4) })
    const leftOf = (id: number) => (first.awareness.getStates().get(id) as { presence: { meta: MemberMeta } }).presence.meta.left
    await expect
      .poll(() => {
        first.siblings.publish('carol')
        return leftOf(other.awareness.clientID)
      })
      .toBe(true)
    expect(leftOf(client)).toBeUndefined()
    channel.close()
  })
})
