// Unit tests of the signaling frame guards: every valid shape, every rejection reason.
// Pure functions only: no sockets, no server.

import { describe, expect, it } from 'vitest'
import type { RejectReason } from '../../signaling/protocol.js'
import {
  MAX_JSON_DEPTH,
  MAX_TOPIC_LENGTH_CHARS,
  MAX_TOPICS_PER_FRAME,
  encodePublish,
  encodePublishText,
  exceedsDepth,
  parseClientFrame,
  parseServerFrame,
} from '../../signaling/protocol.js'

function nested(depth: number): string {
  return '{"type":"publish","topic":"t","data":' + '['.repeat(depth) + ']'.repeat(depth) + '}'
}

describe('parseClientFrame accepts', () => {
  it('subscribe and unsubscribe with a topic list, including an empty one', () => {
    expect(parseClientFrame('{"type":"subscribe","topics":["a","b"]}')).toEqual({
      ok: true,
      frame: { type: 'subscribe', topics: ['a', 'b'] },
    })
    expect(parseClientFrame('{"type":"unsubscribe","topics":["a"]}')).toEqual({ ok: true, frame: { type: 'unsubscribe', topics: ['a'] } })
    expect(parseClientFrame('{"type":"subscribe","topics":[]}')).toEqual({ ok: true, frame: { type: 'subscribe', topics: [] } })
  })

  it('publish with any extra fields, kept untouched in `message`', () => {
    const data = { type: 'signal', from: 'p1', to: 'p2', signal: { type: 'offer', sdp: 'v=0' } }
    const result = parseClientFrame(JSON.stringify({ type: 'publish', topic: 'room', data, clients: 99 }))
    expect(result).toEqual({
      ok: true,
      frame: { type: 'publish', topic: 'room', message: { type: 'publish', topic: 'room', data, clients: 99 } },
    })
  })

  it('ping, and UTF-8 bytes as well as strings', () => {
    expect(parseClientFrame('{"type":"ping"}')).toEqual({ ok: true, frame: { type: 'ping' } })
    expect(parseClientFrame(new TextEncoder().encode('{"type":"ping","x":1}'))).toEqual({ ok: true, frame: { type: 'ping' } })
  })

  it('topics at the length and count limits', () => {
    const long = 'x'.repeat(MAX_TOPIC_LENGTH_CHARS)
    expect(parseClientFrame(JSON.stringify({ type: 'publish', topic: long })).ok).toBe(true)
    const many = Array.from({ length: MAX_TOPICS_PER_FRAME }, (_, i) => `t${i}`)
    expect(parseClientFrame(JSON.stringify({ type: 'subscribe', topics: many })).ok).toBe(true)
  })

  it('keys such as __proto__ as plain data, without touching prototypes', () => {
    const result = parseClientFrame('{"type":"publish","topic":"t","__proto__":{"polluted":true}}')
    expect(result.ok).toBe(true)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    if (result.ok && result.frame.type === 'publish') {
      expect(encodePublish(result.frame.message, 1)).toBe('{"type":"publish","topic":"t","__proto__":{"polluted":true},"clients":1}')
    }
  })
})

describe('parseClientFrame rejects', () => {
  const cases: Array<[string, unknown, RejectReason]> = [
    ['non-text input', 42, 'not_text'],
    ['an ArrayBuffer', new ArrayBuffer(4), 'not_text'],
    ['invalid JSON', '{"type":', 'invalid_json'],
    ['invalid UTF-8 bytes', new Uint8Array([0xff, 0xfe]), 'invalid_json'],
    ['an empty string', '', 'invalid_json'],
    ['a JSON array', '[{"type":"ping"}]', 'not_object'],
    ['a JSON string', '"ping"', 'not_object'],
    ['JSON null', 'null', 'not_object'],
    ['a missing type', '{"topics":["a"]}', 'missing_type'],
    ['an unknown type', '{"type":"pong"}', 'unknown_type'],
    ['a non-string type', '{"type":1}', 'unknown_type'],
    ['topics as a string', '{"type":"subscribe","topics":"x"}', 'bad_topics'],
    ['topics missing', '{"type":"unsubscribe"}', 'bad_topics'],
    ['topics as an object', '{"type":"subscribe","topics":{"0":"a"}}', 'bad_topics'],
    ['a number in topics', '{"type":"subscribe","topics":["a",1]}', 'bad_topic'],
    ['an empty topic', '{"type":"subscribe","topics":[""]}', 'bad_topic'],
    ['a nested array topic', '{"type":"subscribe","topics":[["a"]]}', 'bad_topic'],
    ['publish without topic', '{"type":"publish","data":1}', 'bad_topic'],
    ['publish with numeric topic', '{"type":"publish","topic":7}', 'bad_topic'],
    ['publish with an over-long topic', JSON.stringify({ type: 'publish', topic: 'x'.repeat(MAX_TOPIC_LENGTH_CHARS + 1) }), 'bad_topic'],
    [
      'too many topics',
      JSON.stringify({ type: 'subscribe', topics: Array.from({ length: MAX_TOPICS_PER_FRAME + 1 }, (_, i) => `t${i}`) }),
      'too_many_topics',
    ],
    ['deep nesting', nested(MAX_JSON_DEPTH + 5), 'too_deep'],
    ['very deep nesting', nested(20_000), 'too_deep'],
  ]
  it.each(cases)('%s', (_, input, reason) => {
    expect(parseClientFrame(input)).toEqual({ ok: false, reason })
  })

  it('applies custom limits', () => {
    expect(parseClientFrame('{"type":"subscribe","topics":["a","b"]}', { maxTopicsPerFrame: 1 })).toEqual({
      ok: false,
      reason: 'too_many_topics',
    })
    expect(parseClientFrame('{"type":"publish","topic":"abc"}', { maxTopicLengthChars: 2 })).toEqual({ ok: false, reason: 'bad_topic' })
  })
})

describe('exceedsDepth', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(exceedsDepth(1, 0)).toBe(false)
    expect(exceedsDepth({}, 0)).toBe(true)
    expect(exceedsDepth({ a: [{}] }, 3)).toBe(false)
    expect(exceedsDepth({ a: [{}] }, 2)).toBe(true)
  })
})

describe('parseServerFrame', () => {
  it('reads pong and publish with clients', () => {
    expect(parseServerFrame('{"type":"pong"}')).toEqual({ ok: true, frame: { type: 'pong' } })
    const result = parseServerFrame('{"type":"publish","topic":"t","clients":2,"data":"x"}')
    expect(result).toEqual({
      ok: true,
      frame: { type: 'publish', topic: 't', clients: 2, message: { type: 'publish', topic: 't', clients: 2, data: 'x' } },
    })
  })

  it('rejects a publish without a valid clients count', () => {
    expect(parseServerFrame('{"type":"publish","topic":"t"}')).toEqual({ ok: false, reason: 'bad_clients' })
    expect(parseServerFrame('{"type":"publish","topic":"t","clients":-1}')).toEqual({ ok: false, reason: 'bad_clients' })
    expect(parseServerFrame('{"type":"subscribe"}')).toEqual({ ok: false, reason: 'unknown_type' })
  })
})

describe('encodePublishText', () => {
  it("adds clients to the sender's own text, meaning what encodePublish means", () => {
    const text = '{ "type": "publish", "topic": "t", "data": {"nested": "}"} }\n'
    const parsed = parseClientFrame(text)
    expect(parsed.ok && parsed.frame.type === 'publish' && parsed.frame.text).toBe(text)
    if (!parsed.ok || parsed.frame.type !== 'publish') return
    const spliced = encodePublishText(text, 4)
    expect(JSON.parse(spliced)).toEqual(JSON.parse(encodePublish(parsed.frame.message, 4)))
    expect(spliced.startsWith('{ "type": "publish", "topic": "t", "data": {"nested": "}"} ')).toBe(true)
  })

  it('is not offered when the sender set clients itself', () => {
    const parsed = parseClientFrame('{"type":"publish","topic":"t","clients":1000}')
    expect(parsed.ok && parsed.frame.type === 'publish' && parsed.frame.text).toBeUndefined()
  })
})

describe('encodePublish', () => {
  it('sets clients, overriding any client-supplied value, without mutating the message', () => {
    const message = { type: 'publish' as const, topic: 't', clients: 1000, data: { a: 1 } }
    const snapshot = structuredClone(message)
    expect(JSON.parse(encodePublish(message, 3))).toEqual({ type: 'publish', topic: 't', clients: 3, data: { a: 1 } })
    expect(message).toEqual(snapshot)
  })
})
