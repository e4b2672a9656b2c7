// Compression of large framed messages between Parley peers: raw deflate through the platform's
// CompressionStream, and inflation that stops at a byte limit (a small message must not unpack into gigabytes).
// Chromium deflates on the page's thread, in the task that hands the stream its input: a large
// message is handed over DEFLATE_STEP_BYTES a task, so that a warm history answer's deflate (12–17 ms
// of CPU in one task of a flooded page, BENCHMARKS.md "Twelfth session") leaves room for the page between.
import { nextTask } from '../tasks/index.js'

/** Bytes of input deflated in one task. */
export const DEFLATE_STEP_BYTES = 64 * 1024

/** Whether this platform compresses and inflates raw deflate (browsers and Node 20 do). */
export function deflateAvailable(): boolean {
  return typeof CompressionStream === 'function' && typeof DecompressionStream === 'function'
}

/** `bytes` compressed with raw deflate (RFC 1951, no header). */
export async function deflate(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  if (bytes.byteLength <= DEFLATE_STEP_BYTES) return collect(streamOf(bytes).pipeThrough(new CompressionStream('deflate-raw')), () => true)
  const stream = new CompressionStream('deflate-raw')
  const writer = stream.writable.getWriter()
  const deflated = collect(stream.readable, () => true)
  try {
    for (let at = 0; at < bytes.byteLength; at += DEFLATE_STEP_BYTES) {
      if (at > 0) await new Promise<void>((resolve) => nextTask(resolve))
      await writer.write(bytes.subarray(at, at + DEFLATE_STEP_BYTES) as Uint8Array<ArrayBuffer>)
    }
    await writer.close()
  } catch (error) {
    void deflated.catch(() => {}) // the stream's own failure, reported once below
    throw error
  }
  return deflated
}

/**
 * `bytes` inflated from raw deflate; null if they are not valid deflate data or the output would
 * not fit: `reserve` is asked for each output chunk (its bytes, and the first one shows what the
 * message is) before it is kept, and a refusal stops the inflation there.
 */
export async function inflate(bytes: Uint8Array, reserve: (chunk: Uint8Array) => boolean): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return await collect(streamOf(bytes).pipeThrough(new DecompressionStream('deflate-raw')), reserve)
  } catch {
    // Malformed or truncated deflate data, or refused output: the caller treats it as a protocol violation.
    return null
  }
}

/**
 * Deflated forms of messages by the message object (null: it did not shrink, or deflating
 * failed), shared by a room's channels: a message sent again as the same object, or prepared
 * before it is sent (a cached sync answer), is deflated once, and a deflate under way is joined.
 */
export class DeflatedForms {
  readonly #forms = new WeakMap<object, Uint8Array | null>()
  readonly #pending = new WeakMap<object, Promise<Uint8Array | null>>()

  /** The deflated form of `message` if it is ready (null: it stays as it is); undefined while it is not. */
  ready(message: object): Uint8Array | null | undefined {
    return this.#forms.get(message)
  }

  /** The deflated form of `message` (whose bytes are `bytes`), deflating it unless that is done or under way; null if it does not shrink. */
  of(message: object, bytes: Uint8Array): Promise<Uint8Array | null> {
    const ready = this.#forms.get(message)
    if (ready !== undefined) return Promise.resolve(ready)
    let pending = this.#pending.get(message)
    if (pending === undefined) {
      pending = deflate(bytes).then(
        (packed) => (packed.byteLength < bytes.byteLength ? packed : null),
        () => null,
      )
      this.#pending.set(message, pending)
      void pending.then((packed) => {
        this.#forms.set(message, packed)
        this.#pending.delete(message)
      })
    }
    return pending
  }
}

/**
 * A message held only in its deflated form (a cached history kept warm): sent as deflated frames
 * to peers that inflate, and inflated again, each time, for a peer that needs its plain bytes.
 */
export class DeflatedMessage {
  /** `deflated`: the message compressed with raw deflate; `byteLength`: the message's own length. */
  constructor(
    readonly deflated: Uint8Array,
    readonly byteLength: number,
  ) {}

  /** The message, inflated anew; null if the deflated bytes do not give exactly `byteLength` bytes. */
  async inflated(): Promise<Uint8Array<ArrayBuffer> | null> {
    let total = 0
    const plain = await inflate(this.deflated, (chunk) => {
      total += chunk.byteLength
      return total <= this.byteLength
    })
    return plain?.byteLength === this.byteLength ? plain : null
  }
}

function streamOf(bytes: Uint8Array): ReadableStream<BufferSource> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes as Uint8Array<ArrayBuffer>)
      controller.close()
    },
  })
}

/** Reads a stream to its end into one array, asking `reserve` for each chunk; throws when it refuses. */
async function collect(stream: ReadableStream<Uint8Array>, reserve: (chunk: Uint8Array) => boolean): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (!reserve(value)) {
      await reader.cancel()
      throw new RangeError('inflated message over its limit')
    }
    chunks.push(value)
    total += value.byteLength
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}
