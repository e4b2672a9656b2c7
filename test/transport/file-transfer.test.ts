// File transfers between FileTransfers instances over in-memory channel pairs (the WebRTC data
// channel's surface, delivering in order and asynchronously): fetching, serving on, refusing a
// corrupt chunk and going on elsewhere, cancelling, the per-link limits against a hostile peer,
// and the counters of what is under way and what went over the wire.
import { afterEach, describe, expect, it } from 'vitest'
import { FileChannels } from '../../src/transport/file-channels.js'
import {
  CHUNK_BYTES,
  HASH_BYTES,
  encodeControlFrame,
  encodeDataFrame,
  parseControlFrame,
  type FileRef,
} from '../../src/transport/file-protocol.js'
import { FileFetchError, FileTransfers, MAX_QUEUED_GETS_PER_LINK, MAX_REQUESTS_PER_LINK } from '../../src/transport/file-transfer.js'

/** One end of an in-memory channel: what FileTransfers uses of an RTCDataChannel. */
class MemoryChannel extends EventTarget {
  readyState: RTCDataChannelState = 'open'
  bufferedAmount = 0
  bufferedAmountLowThreshold = 0
  peer: MemoryChannel | null = null
  /** Who reads what arrives here. */
  reader: (data: unknown) => void = () => {}
  /** Frames this end sent, decoded when text. */
  readonly sent: unknown[] = []
  /** While set, frames from this end wait here instead of arriving. */
  held: unknown[] | null = null

  send(data: string | Uint8Array): void {
    const wire = typeof data === 'string' ? data : data.slice().buffer
    this.sent.push(typeof data === 'string' ? parseControlFrame(data) : wire)
    if (this.held !== null) this.held.push(wire)
    else this.#deliver(wire)
  }

  release(): void {
    const held = this.held ?? []
    this.held = null
    for (const data of held) this.#deliver(data)
  }

  close(): void {
    this.readyState = 'closed'
  }

  #deliver(data: unknown): void {
    setTimeout(() => {
      if (this.readyState === 'open') this.peer?.reader(data)
    }, 0)
  }
}

const asChannel = (channel: MemoryChannel) => channel as unknown as RTCDataChannel

/** Links two transfers (or a transfer and a hand-driven end) with a channel pair. */
function link(a: FileTransfers | null, b: FileTransfers | null): [MemoryChannel, MemoryChannel] {
  const ab = new MemoryChannel()
  const ba = new MemoryChannel()
  ab.peer = ba
  ba.peer = ab
  if (a !== null) {
    ab.reader = (data) => a.message(asChannel(ab), data)
    a.opened(asChannel(ab))
  }
  if (b !== null) {
    ba.reader = (data) => b.message(asChannel(ba), data)
    b.opened(asChannel(ba))
  }
  return [ab, ba]
}

const peers: FileTransfers[] = []
function peer(): FileTransfers {
  const transfers = new FileTransfers(new FileChannels())
  peers.push(transfers)
  return transfers
}
afterEach(() => {
  peers.length = 0
})

/**
 * Whether two byte arrays hold the same bytes. Vitest's `toEqual` walks a typed array element by
 * element through its generic equality: 5–9 s for a 41-chunk file on these cores, past the
 * default timeout; Buffer.equals compares them at once.
 */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)

/** A file of `size` bytes that differ from chunk to chunk. */
const fileOf = (size: number) => new Uint8Array(size).map((_, index) => (index * 7 + (index >> 14)) % 256)

describe('file transfers', () => {
  it('fetch a file with progress, and the fetcher serves it on', async () => {
    const [alice, bob, carol] = [peer(), peer(), peer()]
    const bytes = fileOf(CHUNK_BYTES * 5 + 123)
    const ref = await alice.share(bytes)
    link(alice, bob)
    const progress: number[] = []
    const fetched = await bob.fetch(ref, { onProgress: (received) => progress.push(received) })
    expect(sameBytes(fetched, bytes)).toBe(true)
    expect(progress.at(-1)).toBe(bytes.length)
    expect(bob.stats.verifiedChunks).toBe(6)
    // Carol is linked to Bob only: he serves what he fetched and checked.
    link(bob, carol)
    expect(sameBytes(await carol.fetch(ref), bytes)).toBe(true)
  })

  it('asks for each chunk once: none again while an arrived one waits for its hash check', async () => {
    const [alice, bob] = [peer(), peer()]
    const bytes = fileOf(CHUNK_BYTES * 40 + 5)
    const ref = await alice.share(bytes)
    const [fromAlice, fromBob] = link(alice, bob)
    expect(sameBytes(await bob.fetch(ref), bytes)).toBe(true)
    const gets = fromBob.sent.filter((frame) => (frame as { t?: string } | null)?.t === 'get')
    // 41 chunks and one part of the chunk-hash list, each asked for and sent once.
    expect(gets).toHaveLength(42)
    expect(fromAlice.sent.filter((frame) => frame instanceof ArrayBuffer)).toHaveLength(42)
  })

  it('counts fetches and requests under way, chunks sent and verified, and bytes served', async () => {
    const [alice, bob] = [peer(), peer()]
    const bytes = fileOf(CHUNK_BYTES - 5)
    const ref = await alice.share(bytes)
    const [fromAlice, fromBob] = link(alice, bob)
    fromAlice.held = [] // Alice's answers wait: the fetch stays under way
    const fetching = bob.fetch(ref)
    await expect.poll(() => alice.stats.serving).toBe(1)
    expect(bob.stats.fetching).toBe(1)
    fromAlice.release()
    expect(sameBytes(await fetching, bytes)).toBe(true)
    expect(bob.stats).toMatchObject({ fetching: 0, verifiedChunks: 1, rejectedChunks: 0 })
    // The chunk-hash list (one hash) and the one chunk.
    expect(alice.stats).toMatchObject({ sentFrames: 2, servedBytes: HASH_BYTES + bytes.length })
    // The finished fetch closed its request at Alice's.
    await expect.poll(() => alice.stats.serving).toBe(0)
    expect(fromBob.sent.at(-1)).toMatchObject({ t: 'cancel' })

    // A link that closes with requests open takes them with it.
    const again = peer()
    const [aliceEnd, againEnd] = link(alice, again)
    aliceEnd.held = []
    const stalled = again.fetch(ref)
    await expect.poll(() => alice.stats.serving).toBe(1)
    for (const [transfers, end] of [
      [alice, aliceEnd],
      [again, againEnd],
    ] as const) {
      end.close()
      transfers.closed(asChannel(end))
    }
    expect(alice.stats.serving).toBe(0)
    await expect(stalled).rejects.toMatchObject({ reason: 'unavailable' })
    expect(again.stats.fetching).toBe(0)
  })

  it('fetches more files from one peer than a link may hold requests open: each finished fetch closes its own', async () => {
    const [alice, bob] = [peer(), peer()]
    const files = Array.from({ length: MAX_REQUESTS_PER_LINK * 2 }, (_, index) => fileOf(100 + index))
    const refs = await Promise.all(files.map((bytes) => alice.share(bytes)))
    link(alice, bob)
    for (const [index, ref] of refs.entries()) expect(await bob.fetch(ref)).toEqual(files[index])
    expect(alice.stats.refusedRequests).toBe(0)
  })

  it('refuses a corrupt chunk at once and gets it from another peer that has the file', async () => {
    const [mallory, alice, bob] = [peer(), peer(), peer()]
    const bytes = fileOf(CHUNK_BYTES * 3)
    const served = bytes.slice()
    const ref = await mallory.share(served)
    await alice.share(bytes.slice())
    served[CHUNK_BYTES + 10] ^= 0xff // Mallory's copy now differs in its second chunk
    link(mallory, bob) // asked first, answers first
    link(alice, bob)
    expect(sameBytes(await bob.fetch(ref), bytes)).toBe(true)
    expect(bob.stats.rejectedChunks).toBe(1)
  })

  it('fails with "corrupt" when the only peer that has the file sends a bad chunk', async () => {
    const [mallory, bob] = [peer(), peer()]
    const bytes = fileOf(CHUNK_BYTES * 2)
    const ref = await mallory.share(bytes)
    bytes[0] ^= 1
    link(mallory, bob)
    const error = await bob.fetch(ref).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(FileFetchError)
    expect((error as FileFetchError).reason).toBe('corrupt')
    expect(bob.local(ref)).toBeNull()
  })

  it('fails with "unavailable" when no linked peer has the file', async () => {
    const [alice, bob] = [peer(), peer()]
    const ref = await peer().share(fileOf(10))
    link(alice, bob)
    await expect(bob.fetch(ref)).rejects.toMatchObject({ reason: 'unavailable' })
  })

  it('waits for a first link when none is open, and fetches over it (a tab just opened)', async () => {
    const [alice, bob] = [peer(), peer()]
    const bytes = fileOf(10)
    const ref = await alice.share(bytes)
    const fetched = bob.fetch(ref)
    // Asked with no link, it used to fail 'unavailable' at once; the link opens a task later.
    await new Promise((resolve) => setTimeout(resolve, 0))
    link(alice, bob)
    expect(await fetched).toEqual(bytes)
  })

  it('a fetch waiting for a first link is cancelled by its signal', async () => {
    const ref = await peer().share(fileOf(10))
    const abort = new AbortController()
    const fetched = peer().fetch(ref, { signal: abort.signal })
    abort.abort()
    await expect(fetched).rejects.toMatchObject({ reason: 'cancelled' })
  })

  it('cancels: the fetch rejects and the serving peer is told to stop', async () => {
    const [alice, bob] = [peer(), peer()]
    const ref = await alice.share(fileOf(CHUNK_BYTES * 40))
    const [fromAlice, fromBob] = link(alice, bob)
    const controller = new AbortController()
    let received = 0
    const fetching = bob.fetch(ref, {
      signal: controller.signal,
      onProgress: (bytes) => {
        received = bytes
        if (bytes >= CHUNK_BYTES * 2) {
          fromAlice.held = [] // what Alice sends from now on is in flight when the user cancels
          controller.abort()
        }
      },
    })
    await expect(fetching).rejects.toMatchObject({ reason: 'cancelled' })
    expect(fromBob.sent.at(-1)).toMatchObject({ t: 'cancel' })
    fromAlice.release()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(received).toBeLessThan(ref.size)
    expect(bob.local(ref)).toBeNull()
  })

  it('keeps only frames it asked for, and holds a hostile requester to the per-link limits', async () => {
    const alice = peer()
    const ref: FileRef = await alice.share(fileOf(CHUNK_BYTES * 100))
    const [, mallory] = link(alice, null)
    const answers: unknown[] = []
    mallory.reader = (data) => answers.push(typeof data === 'string' ? parseControlFrame(data) : data)
    // More requests than a link may hold open: the extra ones are answered "none".
    for (let q = 1; q <= MAX_REQUESTS_PER_LINK + 2; q++) mallory.send(encodeControlFrame({ t: 'want', q, h: ref.sha256, r: ref.root }))
    await expect.poll(() => answers.length).toBe(MAX_REQUESTS_PER_LINK + 2)
    expect(answers.filter((answer) => (answer as { t: string }).t === 'have')).toHaveLength(MAX_REQUESTS_PER_LINK)
    // Alice's channel looks full, so gets queue; past the queue's bound they are dropped.
    const aliceEnd = mallory.peer as MemoryChannel
    aliceEnd.bufferedAmount = Number.MAX_SAFE_INTEGER
    for (let index = 0; index < MAX_QUEUED_GETS_PER_LINK + 10; index++) mallory.send(encodeControlFrame({ t: 'get', q: 1, i: index % 100 }))
    await expect.poll(() => alice.stats.refusedRequests).toBe(2 + 10)
    aliceEnd.bufferedAmount = 0
    await expect.poll(() => answers.length).toBe(MAX_REQUESTS_PER_LINK + 2 + MAX_QUEUED_GETS_PER_LINK)
    // Frames nobody asked for: counted and dropped, never kept.
    mallory.send(encodeDataFrame({ kind: 'chunk', q: 1, index: 0, payload: new Uint8Array(CHUNK_BYTES) }))
    mallory.send(encodeControlFrame({ t: 'get', q: 99, i: 0 }))
    mallory.send('garbage')
    await expect.poll(() => alice.stats.garbageFrames).toBe(3)
  })
})
