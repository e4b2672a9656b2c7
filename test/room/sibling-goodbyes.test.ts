// The goodbyes a profile's tabs carry for each other, over a real BroadcastChannel (Node's) and
// real awareness: what is held, what is published on leaving, and what is ignored.
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import type { MemberMeta } from '../../src/membership/index.js'
import { SIBLING_GOODBYE_ORIGIN, SiblingGoodbyes, someTabUnlinked, type HeldGoodbye } from '../../src/room/sibling-goodbyes.js'

const goodbyeMeta = (counter: number): MemberMeta => ({
  name: 'Carol',
  typing: false,
  since: 100,
  publicKey: 'carol-key',
  signature: `sig-${counter}`,
  counter,
  left: true,
})

/** A tab's awareness state tracked as user `key`, with `meta`. */
const trackedAs = (key: string, meta: MemberMeta) => ({ presence: { key, meta, version: 1 } })

/**
 * One tab: its awareness, tracked as Carol, and its side of the siblings' goodbyes, handing over
 * `goodbye` while some tab in its awareness is not among `linked()`.
 */
function tab(topic: string, goodbye: () => HeldGoodbye | null = () => null, linked: () => number[] = () => []) {
  const awareness = new Awareness(new Y.Doc())
  awareness.setLocalState(trackedAs('carol', { ...goodbyeMeta(1), left: undefined }))
  return { awareness, siblings: new SiblingGoodbyes(topic, awareness, goodbye, linked) }
}

/** Another user's tab, for a tab to be linked to or not. */
function peer(): Awareness {
  const awareness = new Awareness(new Y.Doc())
  awareness.setLocalState(trackedAs('dave', { name: 'Dave', typing: false, since: 5 }))
  return awareness
}

/** Makes `to` know `from`'s awareness state, as a relay would. */
function relay(from: Awareness, to: Awareness): void {
  applyAwarenessUpdate(to, encodeAwarenessUpdate(from, [from.clientID]), 'relay')
}

const open: SiblingGoodbyes[] = []
afterEach(() => {
  for (const siblings of open.splice(0)) siblings.close()
})

describe('someTabUnlinked', () => {
  const states = (entries: [number, unknown][]) => new Map<number, unknown>(entries)
  const dave = trackedAs('dave', { name: 'Dave', typing: false, since: 5 })

  it('is false when every other tab is linked, a sibling (same user) or gone', () => {
    const gone = trackedAs('erin', { ...goodbyeMeta(4), name: 'Erin' })
    const room = states([
      [1, trackedAs('carol', goodbyeMeta(1))],
      [2, dave],
      [3, trackedAs('carol', goodbyeMeta(9))],
      [4, gone],
    ])
    expect(someTabUnlinked(room, 1, 'carol', new Set([2]))).toBe(false)
    expect(someTabUnlinked(states([[1, {}]]), 1, 'carol', new Set())).toBe(false)
  })

  it('is true while some other user’s tab has no link, linked to others or not, tracked or not', () => {
    expect(
      someTabUnlinked(
        states([
          [1, {}],
          [2, dave],
          [3, dave],
        ]),
        1,
        'carol',
        new Set([2]),
      ),
    ).toBe(true)
    expect(
      someTabUnlinked(
        states([
          [1, {}],
          [2, {}],
        ]),
        1,
        'carol',
        new Set(),
      ),
    ).toBe(true)
    expect(
      someTabUnlinked(
        states([
          [1, {}],
          [2, { presence: 'garbage' }],
        ]),
        1,
        'carol',
        new Set(),
      ),
    ).toBe(true)
  })
})

describe('SiblingGoodbyes', () => {
  it("publishes, on leaving, the goodbye of a sibling that some peer has no link to, and that sibling's only", async () => {
    const topic = `goodbyes-${Math.random()}`
    // The second tab is linked to one peer, not to the other.
    const [linkedPeer, unlinkedPeer] = [peer(), peer()]
    let linked = [linkedPeer.clientID]
    const second = tab(
      topic,
      () => ({ key: 'carol', meta: goodbyeMeta(2) }),
      () => linked,
    )
    relay(linkedPeer, second.awareness)
    relay(unlinkedPeer, second.awareness)
    const first = tab(topic)
    const stranger = tab(topic, () => ({ key: 'mallory', meta: goodbyeMeta(7) }))
    relay(peer(), stranger.awareness)
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

    // Withdrawn once the sibling is linked to every other tab: publishing leaves its state alone.
    linked = [linkedPeer.clientID, unlinkedPeer.clientID]
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
    // (A tab of its own that speaks only through this channel, so that nothing else speaks for it.)
    const other = { awareness: new Awareness(new Y.Doc()) }
    other.awareness.setLocalState(trackedAs('carol', { ...goodbyeMeta(1), left: undefined }))
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

  it('hands a goodbye over again to a sibling that opened after it was handed over', async () => {
    const topic = `goodbyes-${Math.random()}`
    const unlinked = peer()
    const first = tab(topic, () => ({ key: 'carol', meta: goodbyeMeta(2) }))
    relay(unlinked, first.awareness)
    const before = tab(topic)
    open.push(first.siblings, before.siblings)
    relay(first.awareness, before.awareness)
    first.siblings.refresh()
    const leftAt = (awareness: Awareness) =>
      (awareness.getStates().get(first.awareness.clientID) as { presence: { meta: MemberMeta } }).presence.meta.left
    const published = (sibling: { awareness: Awareness; siblings: SiblingGoodbyes }) => {
      sibling.siblings.publish('carol')
      return leftAt(sibling.awareness)
    }
    await expect.poll(() => published(before), { timeout: 5_000 }).toBe(true)

    // Nothing changed for the first tab since; the sibling that opens now still gets its goodbye.
    const later = tab(topic)
    open.push(later.siblings)
    relay(first.awareness, later.awareness)
    later.siblings.refresh()
    await expect.poll(() => published(later), { timeout: 5_000 }).toBe(true)
  })

  it('leaves the goodbye with its siblings once the tab is leaving, whatever it says next', async () => {
    const topic = `goodbyes-${Math.random()}`
    let goodbye: HeldGoodbye | null = { key: 'carol', meta: goodbyeMeta(2) }
    const leaving = tab(topic, () => goodbye)
    relay(peer(), leaving.awareness)
    const staying = tab(topic)
    open.push(staying.siblings)
    relay(leaving.awareness, staying.awareness)
    const heard: unknown[] = []
    const listener = new BroadcastChannel(`parley-goodbyes/${topic}`)
    listener.onmessage = (event: MessageEvent<unknown>) => heard.push(event.data)
    leaving.siblings.refresh()
    await expect.poll(() => heard.length, { timeout: 5_000 }).toBeGreaterThan(0)

    // Its own goodbye said (none left to hand over), then the room closed: no withdrawal.
    leaving.siblings.keep()
    goodbye = null
    leaving.siblings.refresh()
    leaving.siblings.close()
    // A message after those (another tab opening): once it is heard, they would have been.
    const later = tab(topic)
    open.push(later.siblings)
    later.siblings.refresh()
    await expect
      .poll(() => heard.some((data) => (data as { client: number }).client === later.awareness.clientID), { timeout: 5_000 })
      .toBe(true)
    const fromLeaving = heard.filter((data) => (data as { client: number }).client === leaving.awareness.clientID)
    expect(fromLeaving.length).toBeGreaterThan(0)
    expect(fromLeaving.filter((data) => (data as { meta: unknown }).meta === null)).toEqual([])
    staying.siblings.publish('carol')
    const stateOf = staying.awareness.getStates().get(leaving.awareness.clientID) as { presence: { meta: MemberMeta } }
    expect(stateOf.presence.meta.left).toBe(true)
    listener.close()
  })
})
