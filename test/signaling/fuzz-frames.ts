// A seeded generator of hostile signaling frames, each labelled with what the server must do.
// Used by the fuzz tests; the same seed always yields the same frames, so failures replay.

import type { RejectReason } from '../../signaling/protocol.js'
import { seededRandom } from '../support/seeded-random.js'

/** What the server must do with a frame. */
export type Expectation =
  | { readonly kind: 'reject'; readonly reason: RejectReason }
  | { readonly kind: 'close'; readonly code: number }
  | { readonly kind: 'accept' }

/** One generated frame. `binary` frames go out with the binary opcode. */
export interface FuzzFrame {
  readonly label: string
  readonly data: string | Uint8Array
  readonly binary: boolean
  readonly expect: Expectation
}

/** Limits of the server under test, so the generator knows which side of each limit it is on. */
export interface FuzzLimits {
  readonly maxPayloadBytes: number
  readonly maxTopicsPerFrame: number
  readonly maxTopicLengthChars: number
  readonly maxJsonDepth: number
}

/** RFC 6455 close codes the server (through `ws`) uses for frames it cannot read at all. */
const CLOSE_INVALID_UTF8 = 1007
const CLOSE_TOO_BIG = 1009
/** Topic names valid fuzz subscriptions draw from; small so subscriptions overlap. */
const FUZZ_TOPIC_POOL_SIZE = 40
const VALID_TYPES = new Set(['subscribe', 'unsubscribe', 'publish', 'ping'])

type Random = () => number

function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)]
  if (item === undefined) throw new Error('pick from an empty list')
  return item
}

const CHARSET = 'abcXYZ019 {}[]":,\\/-_.é€😀\u0000\n\t'

function randomString(random: Random, maxLength: number): string {
  let out = ''
  const length = int(random, 0, maxLength)
  for (let i = 0; i < length; i += 1) out += pick(random, [...CHARSET])
  return out
}

/** A random JSON value of bounded depth ("nested garbage"). */
function randomJson(random: Random, depth: number): unknown {
  const roll = random()
  if (depth <= 0 || roll < 0.4) {
    return pick<unknown>(random, [null, true, false, int(random, -1e6, 1e6), random() * 1e9, randomString(random, 12), '', '__proto__', -0])
  }
  if (roll < 0.7) return Array.from({ length: int(random, 0, 4) }, () => randomJson(random, depth - 1))
  const object: Record<string, unknown> = {}
  for (let i = int(random, 0, 4); i > 0; i -= 1) {
    const key = pick(random, ['type', 'topic', 'topics', 'data', 'clients', '__proto__', 'constructor', randomString(random, 6)])
    // defineProperty, so that "__proto__" becomes an own key as it does in JSON.parse output.
    Object.defineProperty(object, key, { value: randomJson(random, depth - 1), enumerable: true, writable: true, configurable: true })
  }
  return object
}

function randomNonString(random: Random): unknown {
  return pick<unknown>(random, [null, true, 0, 42, -1.5, [], ['a'], {}, { a: 'b' }, [[['x']]]])
}

function randomNonArray(random: Random): unknown {
  return pick<unknown>(random, [null, true, 0, 7, 'x', 'a,b', '', {}, { 0: 'a', length: 1 }])
}

function invalidTopic(random: Random, limits: FuzzLimits): unknown {
  return pick<unknown>(random, ['', 'x'.repeat(limits.maxTopicLengthChars + int(random, 1, 100)), randomNonString(random)])
}

function nestedArrays(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

/** A frame carrying `text` exactly. */
function rejectText(label: string, text: string, reason: RejectReason): FuzzFrame {
  return { label, data: text, binary: false, expect: { kind: 'reject', reason } }
}

/** A frame carrying `value` serialised as JSON. */
function reject(label: string, value: unknown, reason: RejectReason): FuzzFrame {
  return rejectText(label, JSON.stringify(value), reason)
}

type Generator = (random: Random, limits: FuzzLimits) => FuzzFrame

/** The hostile generators and their weights; each must label its frames exactly. */
const GENERATORS: ReadonlyArray<readonly [number, Generator]> = [
  [
    10,
    (r) => {
      const valid = JSON.stringify({ type: 'publish', topic: 'room', data: randomJson(r, 3) })
      return rejectText('truncated JSON', valid.slice(0, int(r, 0, valid.length - 1)), 'invalid_json')
    },
  ],
  // U+0001 is never valid in JSON text, inside or outside a string.
  [8, (r) => rejectText('garbage text', randomString(r, 40) + '\u0001' + randomString(r, 10), 'invalid_json')],
  [
    8,
    (r) =>
      reject(
        'non-object JSON',
        pick<unknown>(r, [0, -1, 'ping', null, true, [], [{ type: 'ping' }], randomString(r, 5), [randomJson(r, 3)]]),
        'not_object',
      ),
  ],
  [
    6,
    (r) => {
      const object = randomJson(r, 2)
      const record = typeof object === 'object' && object !== null && !Array.isArray(object) ? object : {}
      const text = JSON.stringify(record)
      const withoutType: Record<string, unknown> = JSON.parse(text) as Record<string, unknown>
      delete withoutType['type']
      return reject('missing type', withoutType, 'missing_type')
    },
  ],
  [
    8,
    (r) => {
      let type: unknown = pick<unknown>(r, [
        randomString(r, 10),
        'Subscribe',
        'PING',
        'pong',
        'publish ',
        null,
        1,
        true,
        [],
        ['ping'],
        { type: 'ping' },
      ])
      if (typeof type === 'string' && VALID_TYPES.has(type)) type = type.toUpperCase()
      return reject('unknown type', { type, topics: ['room'], topic: 'room' }, 'unknown_type')
    },
  ],
  [
    8,
    (r) => {
      const frame: Record<string, unknown> = { type: pick(r, ['subscribe', 'unsubscribe']) }
      if (r() < 0.8) frame['topics'] = randomNonArray(r)
      return reject('topics not an array', frame, 'bad_topics')
    },
  ],
  [
    8,
    (r, limits) => {
      const topics: unknown[] = Array.from({ length: int(r, 0, 5) }, (_, i) => `t${i}`)
      topics.splice(int(r, 0, topics.length), 0, invalidTopic(r, limits))
      return reject('bad topic in list', { type: pick(r, ['subscribe', 'unsubscribe']), topics }, 'bad_topic')
    },
  ],
  [
    5,
    (r, limits) => {
      const topics = Array.from({ length: limits.maxTopicsPerFrame + int(r, 1, 40) }, () =>
        r() < 0.9 ? `t${int(r, 0, 9)}` : randomNonString(r),
      )
      return reject('too many topics', { type: pick(r, ['subscribe', 'unsubscribe']), topics }, 'too_many_topics')
    },
  ],
  [
    8,
    (r, limits) => {
      const frame: Record<string, unknown> = { type: 'publish', data: randomJson(r, 3) }
      if (r() < 0.8) frame['topic'] = invalidTopic(r, limits)
      return reject('publish with bad topic', frame, 'bad_topic')
    },
  ],
  [
    6,
    (r, limits) => {
      const maxDepth = Math.floor((limits.maxPayloadBytes - 100) / 2)
      const depth = int(r, limits.maxJsonDepth, Math.min(maxDepth, 20_000))
      const type = pick(r, ['publish', 'subscribe', 'nope'])
      return rejectText('deep nesting', `{"type":"${type}","topic":"room","topics":["a"],"data":${nestedArrays(depth)}}`, 'too_deep')
    },
  ],
  [
    6,
    (r) => {
      const bytes =
        r() < 0.5
          ? new TextEncoder().encode(JSON.stringify({ type: 'publish', topic: 'room', data: 'binary' }))
          : Uint8Array.from({ length: int(r, 0, 64) }, () => int(r, 0, 255))
      return { label: 'binary frame', data: bytes, binary: true, expect: { kind: 'reject', reason: 'binary_frame' } }
    },
  ],
  [
    2,
    (r, limits) => ({
      label: 'over maxPayload',
      data: JSON.stringify({ type: 'publish', topic: 'room', data: 'x'.repeat(limits.maxPayloadBytes + int(r, 1, 1000)) }),
      binary: false,
      expect: { kind: 'close', code: CLOSE_TOO_BIG },
    }),
  ],
  [
    1,
    (r) => ({
      label: 'invalid UTF-8 in a text frame',
      data: Uint8Array.from([0x7b, 0xff, 0xfe, int(r, 0x80, 0xbf), 0x7d]),
      binary: false,
      expect: { kind: 'close', code: CLOSE_INVALID_UTF8 },
    }),
  ],
  [
    3,
    (r) => ({
      label: 'valid subscribe',
      data: JSON.stringify({
        type: 'subscribe',
        topics: Array.from({ length: int(r, 1, 3) }, () => `fuzz-${int(r, 0, FUZZ_TOPIC_POOL_SIZE - 1)}`),
      }),
      binary: false,
      expect: { kind: 'accept' },
    }),
  ],
  [
    3,
    (r) => ({
      label: 'valid publish',
      data: `{"type":"publish","topic":"fuzz-${int(r, 0, FUZZ_TOPIC_POOL_SIZE - 1)}","__proto__":{"x":1},"constructor":1,"data":${JSON.stringify(randomJson(r, 3))}}`,
      binary: false,
      expect: { kind: 'accept' },
    }),
  ],
]

const TOTAL_WEIGHT = GENERATORS.reduce((sum, [weight]) => sum + weight, 0)

/** Generates `count` labelled frames from `seed`. */
export function generateFrames(seed: number, count: number, limits: FuzzLimits): FuzzFrame[] {
  const random = seededRandom(seed)
  const frames: FuzzFrame[] = []
  for (let i = 0; i < count; i += 1) {
    let roll = random() * TOTAL_WEIGHT
    for (const [weight, generate] of GENERATORS) {
      roll -= weight
      if (roll < 0) {
        frames.push(generate(random, limits))
        break
      }
    }
  }
  return frames
}
