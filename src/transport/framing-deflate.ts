// Compression of large framed messages between Parley peers: raw deflate through the platform's
// CompressionStream, and inflation that stops at a byte limit (a small message must not unpack into gigabytes).

/** Whether this platform compresses and inflates raw deflate (browsers and Node 20 do). */
export function deflateAvailable(): boolean {
  return typeof CompressionStream === 'function' && typeof DecompressionStream === 'function'
}

/** `bytes` compressed with raw deflate (RFC 1951, no header). */
export async function deflate(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return collect(streamOf(bytes).pipeThrough(new CompressionStream('deflate-raw')), () => true)
}

/**
 * `bytes` inflated from raw deflate; null if they are not valid deflate data or the output would
 * not fit: `reserve` is asked for each output chunk's bytes before it is kept, and a refusal stops it.
 */
export async function inflate(bytes: Uint8Array, reserve: (bytes: number) => boolean): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return await collect(streamOf(bytes).pipeThrough(new DecompressionStream('deflate-raw')), reserve)
  } catch {
    // Malformed or truncated deflate data, or refused output: the caller treats it as a protocol violation.
    return null
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
async function collect(stream: ReadableStream<Uint8Array>, reserve: (bytes: number) => boolean): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (!reserve(value.byteLength)) {
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
