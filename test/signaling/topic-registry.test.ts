// Unit tests of the topic registry with fake connections: no sockets involved.
// Checks both indexes stay in step and that no empty topic or connection entry survives.

import { describe, expect, it } from 'vitest'
import {
  createTopicRegistry,
  publish,
  registrySize,
  removeConnection,
  subscribe,
  subscriberCount,
  topicCount,
  unsubscribe,
} from '../../signaling/topic-registry.js'
import type { OutgoingFrame, TopicConnection, TopicRegistry } from '../../signaling/topic-registry.js'

interface FakeConnection extends TopicConnection {
  readonly name: string
  readonly sent: OutgoingFrame[]
}

function fakeConnection(name: string): FakeConnection {
  const sent: OutgoingFrame[] = []
  return { name, sent, send: (text) => void sent.push(text) }
}

function setup(): { registry: TopicRegistry<FakeConnection>; a: FakeConnection; b: FakeConnection } {
  return { registry: createTopicRegistry<FakeConnection>(), a: fakeConnection('a'), b: fakeConnection('b') }
}

describe('topic registry', () => {
  it('subscribes and reports topics that are new to the registry', () => {
    const { registry, a, b } = setup()
    expect(subscribe(registry, a, ['x', 'y'])).toEqual({ ok: true, openedTopics: ['x', 'y'], fullTopics: [] })
    expect(subscribe(registry, b, ['y', 'z'])).toEqual({ ok: true, openedTopics: ['z'], fullTopics: [] })
    expect(subscribe(registry, b, ['y', 'y'])).toEqual({ ok: true, openedTopics: [], fullTopics: [] })
    expect(subscriberCount(registry, 'y')).toBe(2)
    expect(topicCount(registry, a)).toBe(2)
    expect(registrySize(registry)).toEqual({ topics: 3, connections: 2, subscriptions: 4 })
  })

  it('publishes to every subscriber once, with the subscriber count, encoding once', () => {
    const { registry, a, b } = setup()
    subscribe(registry, a, ['x'])
    subscribe(registry, b, ['x'])
    let encodes = 0
    const delivered = publish(registry, 'x', (clients) => {
      encodes += 1
      return `clients=${clients}`
    })
    expect(delivered).toBe(2)
    expect(encodes).toBe(1)
    expect(a.sent).toEqual(['clients=2'])
    expect(b.sent).toEqual(['clients=2'])
  })

  it('does not encode or send for a topic without subscribers', () => {
    const { registry } = setup()
    expect(
      publish(registry, 'nobody', () => {
        throw new Error('must not encode')
      }),
    ).toBe(0)
  })

  it('unsubscribes, reporting topics that became empty, and removes empty entries', () => {
    const { registry, a, b } = setup()
    subscribe(registry, a, ['x', 'y'])
    subscribe(registry, b, ['x'])
    expect(unsubscribe(registry, a, ['x', 'y', 'never'])).toEqual(['y'])
    expect(registrySize(registry)).toEqual({ topics: 1, connections: 1, subscriptions: 1 })
    expect(unsubscribe(registry, b, ['x'])).toEqual(['x'])
    expect(registrySize(registry)).toEqual({ topics: 0, connections: 0, subscriptions: 0 })
    expect(registry.subscribers.size + registry.topicsOf.size).toBe(0)
  })

  it('unsubscribing a topic held by another connection leaves that subscription alone', () => {
    const { registry, a, b } = setup()
    subscribe(registry, a, ['x'])
    expect(unsubscribe(registry, b, ['x'])).toEqual([])
    expect(subscriberCount(registry, 'x')).toBe(1)
  })

  it('removes a connection from all its topics', () => {
    const { registry, a, b } = setup()
    subscribe(registry, a, ['x', 'y'])
    subscribe(registry, b, ['y'])
    expect(removeConnection(registry, a)).toEqual(['x'])
    expect(removeConnection(registry, a)).toEqual([])
    expect(registrySize(registry)).toEqual({ topics: 1, connections: 1, subscriptions: 1 })
    publish(registry, 'y', () => 'hi')
    expect(a.sent).toEqual([])
    expect(b.sent).toEqual(['hi'])
  })

  it('enforces the per-connection topic limit all or nothing', () => {
    const { registry, a } = setup()
    expect(subscribe(registry, a, ['x', 'y'], 3).ok).toBe(true)
    expect(subscribe(registry, a, ['x', 'z', 'w'], 3)).toEqual({ ok: false, reason: 'too_many_topics' })
    expect(topicCount(registry, a)).toBe(2)
    expect(subscriberCount(registry, 'z')).toBe(0)
    expect(subscribe(registry, a, ['x', 'y', 'z'], 3).ok).toBe(true)
    expect(topicCount(registry, a)).toBe(3)
  })

  it('leaves out a topic at its subscriber cap and joins the others of the same frame', () => {
    const { registry, a, b } = setup()
    const c = fakeConnection('c')
    expect(subscribe(registry, a, ['x'], Number.POSITIVE_INFINITY, 2).ok).toBe(true)
    expect(subscribe(registry, b, ['x'], Number.POSITIVE_INFINITY, 2).ok).toBe(true)
    expect(subscribe(registry, c, ['x', 'y', 'x'], Number.POSITIVE_INFINITY, 2)).toEqual({
      ok: true,
      openedTopics: ['y'],
      fullTopics: ['x'],
    })
    expect(subscriberCount(registry, 'x')).toBe(2)
    expect(topicCount(registry, c)).toBe(1)
    // A subscriber already in counts as in: resubscribing is not refused.
    expect(subscribe(registry, a, ['x'], Number.POSITIVE_INFINITY, 2)).toEqual({ ok: true, openedTopics: [], fullTopics: [] })
    // A place that frees up can be taken.
    unsubscribe(registry, a, ['x'])
    expect(subscribe(registry, c, ['x'], Number.POSITIVE_INFINITY, 2)).toEqual({ ok: true, openedTopics: [], fullTopics: [] })
    expect(subscriberCount(registry, 'x')).toBe(2)
    expect(registrySize(registry)).toEqual({ topics: 2, connections: 2, subscriptions: 3 })
  })

  it('does not count full topics against the per-connection limit', () => {
    const { registry, a, b } = setup()
    subscribe(registry, a, ['x'], 2, 1)
    expect(subscribe(registry, b, ['x', 'y', 'z'], 2, 1)).toEqual({ ok: true, openedTopics: ['y', 'z'], fullTopics: ['x'] })
    expect(subscribe(registry, b, ['w'], 2, 1)).toEqual({ ok: false, reason: 'too_many_topics' })
    expect(topicCount(registry, b)).toBe(2)
  })

  it('does not mutate the topic list it is given', () => {
    const { registry, a } = setup()
    const topics = Object.freeze(['x', 'y'])
    subscribe(registry, a, topics)
    unsubscribe(registry, a, topics)
    expect(topics).toEqual(['x', 'y'])
  })

  it('keeps delivering to the others when a send removes a connection mid-publish', () => {
    const registry = createTopicRegistry<TopicConnection>()
    const received: OutgoingFrame[] = []
    const dropper: TopicConnection = { send: () => void removeConnection(registry, dropper) }
    const other: TopicConnection = { send: (text) => void received.push(text) }
    subscribe(registry, dropper, ['x'])
    subscribe(registry, other, ['x'])
    expect(publish(registry, 'x', () => 'm')).toBe(2)
    expect(received).toEqual(['m'])
    expect(subscriberCount(registry, 'x')).toBe(1)
  })

  it('skips a connection that an earlier send removed, and does not count it', () => {
    const registry = createTopicRegistry<TopicConnection>()
    const received: OutgoingFrame[] = []
    const later: TopicConnection = { send: (text) => void received.push(`later ${String(text)}`) }
    const remover: TopicConnection = { send: () => void removeConnection(registry, later) }
    subscribe(registry, remover, ['x'])
    subscribe(registry, later, ['x'])
    expect(publish(registry, 'x', () => 'm')).toBe(1)
    expect(received).toEqual([])
  })
})
