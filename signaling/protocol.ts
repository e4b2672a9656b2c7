// The y-webrtc signaling wire protocol: frame types, limits, close codes and guards.
// Shared by the signaling server, its tests and any client code; it has no Node or DOM imports.
//
// Wire format (WebSocket text frames, each one JSON object; binary frames are rejected):
//
//   client → server
//     {"type":"subscribe","topics":["room-a","room-b"]}    join topics (an empty list is fine)
//     {"type":"unsubscribe","topics":["room-a"]}           leave topics
//     {"type":"publish","topic":"room-a", ...anything}     relay to every subscriber of the topic
//     {"type":"ping"}                                       application-level keep-alive
//
//   server → client
//     {"type":"publish","topic":"room-a","clients":N, ...}  the publisher's object, unchanged
//        except `clients` = number of subscribers of the topic (the sender gets it too when it
//        is subscribed, exactly like node_modules/y-webrtc/bin/server.js; with Redis, it counts
//        the subscribers on the instance that delivers the frame)
//     {"type":"pong"}                                       answer to ping
//
// A topic is a non-empty string of at most MAX_TOPIC_LENGTH_CHARS characters. Frames that do
// not match are rejected with a RejectReason and ignored; they never reach other clients.

/** Longest topic (room name) accepted, in UTF-16 code units. */
export const MAX_TOPIC_LENGTH_CHARS = 512
/** Most topics accepted in one subscribe or unsubscribe frame. */
export const MAX_TOPICS_PER_FRAME = 256
/** Deepest object/array nesting accepted in a frame (y-webrtc needs about 5). */
export const MAX_JSON_DEPTH = 32

/** Close code when the server shuts down (RFC 6455 "going away"). */
export const CLOSE_GOING_AWAY = 1001
/** Close code sent by `ws` itself when a frame exceeds maxPayload (RFC 6455 "message too big"). */
export const CLOSE_MESSAGE_TOO_BIG = 1009
/** Close code when a connection sends more frames than its rate limit allows. */
export const CLOSE_RATE_LIMITED = 4029

/**
 * Why a client frame was rejected; also the `reason` label of the rejected-frames metric.
 * `topic_full` is the server's own refusal (a subscribe to a topic at its subscriber cap).
 */
export type RejectReason =
  | 'binary_frame'
  | 'not_text'
  | 'invalid_json'
  | 'too_deep'
  | 'not_object'
  | 'missing_type'
  | 'unknown_type'
  | 'bad_topics'
  | 'bad_topic'
  | 'too_many_topics'
  | 'topic_full'
  | 'bad_clients'

/** Every RejectReason, for metrics and exhaustive tests. */
export const REJECT_REASONS: readonly RejectReason[] = [
  'binary_frame',
  'not_text',
  'invalid_json',
  'too_deep',
  'not_object',
  'missing_type',
  'unknown_type',
  'bad_topics',
  'bad_topic',
  'too_many_topics',
  'topic_full',
  'bad_clients',
]

/** A publish frame exactly as the client sent it: any extra fields are relayed untouched. */
export interface PublishMessage {
  readonly type: 'publish'
  readonly topic: string
  readonly [field: string]: unknown
}

/** A valid frame from a client. */
export type ClientFrame =
  | { readonly type: 'subscribe'; readonly topics: readonly string[] }
  | { readonly type: 'unsubscribe'; readonly topics: readonly string[] }
  | {
      readonly type: 'publish'
      readonly topic: string
      readonly message: PublishMessage
      /** The frame's JSON text as received, when the message has no `clients` field of its own. */
      readonly text?: string
    }
  | { readonly type: 'ping' }

/** A valid frame from the server. */
export type ServerFrame =
  | { readonly type: 'pong' }
  | {
      readonly type: 'publish'
      readonly topic: string
      readonly clients: number
      readonly message: PublishMessage
    }

/** Outcome of a guard: the frame, or why it was rejected. */
export type ParseResult<T> = { readonly ok: true; readonly frame: T } | { readonly ok: false; readonly reason: RejectReason }

/** Limits the client-frame guard enforces; all optional, defaulting to the constants above. */
export interface ParseLimits {
  readonly maxTopicsPerFrame?: number
  readonly maxTopicLengthChars?: number
  readonly maxJsonDepth?: number
}

const textDecoder = new TextDecoder('utf-8', { fatal: true })

function reject<T>(reason: RejectReason): ParseResult<T> {
  return { ok: false, reason }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** True if nesting of objects/arrays in `value` exceeds `maxDepth` (iterative, no recursion). */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }]
  while (stack.length > 0) {
    const item = stack.pop()
    if (item === undefined || typeof item.value !== 'object' || item.value === null) continue
    const depth = item.depth + 1
    if (depth > maxDepth) return true
    const children = Array.isArray(item.value) ? item.value : Object.values(item.value)
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth })
    }
  }
  return false
}

/** True if `topic` is a string the server accepts as a topic name. */
export function isValidTopic(topic: unknown, maxLengthChars = MAX_TOPIC_LENGTH_CHARS): topic is string {
  return typeof topic === 'string' && topic.length > 0 && topic.length <= maxLengthChars
}

/** Text as a string, from a string or UTF-8 bytes. */
function decodeText(data: unknown): ParseResult<string> {
  if (typeof data === 'string') return { ok: true, frame: data }
  if (!(data instanceof Uint8Array)) return reject('not_text')
  try {
    return { ok: true, frame: textDecoder.decode(data) }
  } catch {
    return reject('invalid_json') // not UTF-8, so it cannot be JSON text
  }
}

function parseJson(text: string): ParseResult<unknown> {
  try {
    return { ok: true, frame: JSON.parse(text) as unknown }
  } catch {
    return reject('invalid_json') // JSON.parse reports only a SyntaxError here
  }
}

/** Decodes text (string or UTF-8 bytes) and parses it as JSON, rejecting anything malformed. */
export function parseJsonText(data: unknown): ParseResult<unknown> {
  const text = decodeText(data)
  return text.ok ? parseJson(text.frame) : text
}

function parseTopicList(topics: unknown, limits: Required<ParseLimits>): ParseResult<string[]> {
  if (!Array.isArray(topics)) return reject('bad_topics')
  if (topics.length > limits.maxTopicsPerFrame) return reject('too_many_topics')
  const valid: string[] = []
  for (const topic of topics as unknown[]) {
    if (!isValidTopic(topic, limits.maxTopicLengthChars)) return reject('bad_topic')
    valid.push(topic)
  }
  return { ok: true, frame: valid }
}

function withDefaults(limits: ParseLimits): Required<ParseLimits> {
  return {
    maxTopicsPerFrame: limits.maxTopicsPerFrame ?? MAX_TOPICS_PER_FRAME,
    maxTopicLengthChars: limits.maxTopicLengthChars ?? MAX_TOPIC_LENGTH_CHARS,
    maxJsonDepth: limits.maxJsonDepth ?? MAX_JSON_DEPTH,
  }
}

/** Guards an already-decoded JSON value as a client frame. */
export function parseClientValue(value: unknown, limits: ParseLimits = {}): ParseResult<ClientFrame> {
  const resolved = withDefaults(limits)
  if (!isRecord(value)) return reject('not_object')
  if (exceedsDepth(value, resolved.maxJsonDepth)) return reject('too_deep')
  const type = value['type']
  if (type === undefined) return reject('missing_type')
  switch (type) {
    case 'subscribe':
    case 'unsubscribe': {
      const topics = parseTopicList(value['topics'], resolved)
      if (!topics.ok) return topics
      return { ok: true, frame: { type: type === 'subscribe' ? 'subscribe' : 'unsubscribe', topics: topics.frame } }
    }
    case 'publish': {
      const topic = value['topic']
      if (!isValidTopic(topic, resolved.maxTopicLengthChars)) return reject('bad_topic')
      const message: PublishMessage = { ...value, type: 'publish', topic }
      return { ok: true, frame: { type: 'publish', topic, message } }
    }
    case 'ping':
      return { ok: true, frame: { type: 'ping' } }
    default:
      return reject('unknown_type')
  }
}

/**
 * Guards one frame received from a client: JSON text (string or UTF-8 bytes) → ClientFrame.
 * A publish keeps its text, so delivery can reuse it (see encodePublishText).
 */
export function parseClientFrame(data: unknown, limits: ParseLimits = {}): ParseResult<ClientFrame> {
  const text = decodeText(data)
  if (!text.ok) return text
  const json = parseJson(text.frame)
  if (!json.ok) return json
  const parsed = parseClientValue(json.frame, limits)
  if (!parsed.ok || parsed.frame.type !== 'publish' || Object.hasOwn(parsed.frame.message, 'clients')) return parsed
  return { ok: true, frame: { ...parsed.frame, text: text.frame } }
}

/** Guards one frame received from the server (used by clients, tests and the load generator). */
export function parseServerFrame(data: unknown): ParseResult<ServerFrame> {
  const json = parseJsonText(data)
  if (!json.ok) return json
  const value = json.frame
  if (!isRecord(value)) return reject('not_object')
  switch (value['type']) {
    case 'pong':
      return { ok: true, frame: { type: 'pong' } }
    case 'publish': {
      const topic = value['topic']
      const clients = value['clients']
      if (!isValidTopic(topic, Number.MAX_SAFE_INTEGER)) return reject('bad_topic')
      if (typeof clients !== 'number' || !Number.isInteger(clients) || clients < 0) {
        return reject('bad_clients')
      }
      const message: PublishMessage = { ...value, type: 'publish', topic }
      return { ok: true, frame: { type: 'publish', topic, clients, message } }
    }
    case undefined:
      return reject('missing_type')
    default:
      return reject('unknown_type')
  }
}

/** Serialises a publish message for delivery, with `clients` set as the stock server does. */
export function encodePublish(message: PublishMessage, clients: number): string {
  return JSON.stringify({ ...message, clients })
}

/**
 * The delivery of a publish received as `text`, a JSON object without a `clients` field: the
 * sender's own text with `"clients":N` added before its closing brace. It means the same as
 * encodePublish's output without serialising the message once more for every publish.
 */
export function encodePublishText(text: string, clients: number): string {
  return `${text.slice(0, text.lastIndexOf('}'))},"clients":${clients}}`
}

/** The one pong frame, pre-serialised. */
export const PONG_TEXT = JSON.stringify({ type: 'pong' })
