// Files peer to peer, loaded on first use: this page serves the files it holds to peers that ask,
// and fetches a file from whichever peer has it, refusing a bad chunk at once and going on elsewhere.
//
// Serving: a peer asks `want` (hash and root); if this page holds that file the request is
// opened (at most MAX_REQUESTS_PER_LINK per link), and each `get` queues one chunk or list part
// (at most MAX_QUEUED_GETS_PER_LINK), sent while the channel's buffer is under BUFFER_HIGH_BYTES.
// Fetching: every open link is asked; the first that has it serves the chunk-hash list (checked
// against the signed root), then the chunks, DOWNLOAD_WINDOW at a time, each checked against its
// hash on arrival. A bad chunk, a bad list or a link silent for STALL_MS drops that link and the
// rest comes from the next that has it; the whole file is checked against its hash at the end.
// Only frames this page asked for are kept, so a peer cannot make it hold more than the file.
import type { FileChannelHandler, FileChannels } from './file-channels.js'
import { chunkMatches, hashFile, sha256, type HeldFile } from './file-hash.js'
import { noFileTransfers, type FileTransferStats } from './file-stats.js'
import {
  CHUNK_BYTES,
  HASH_BYTES,
  chunkCount,
  chunkOf,
  dataFits,
  encodeControlFrame,
  encodeDataFrame,
  hashText,
  parseControlFrame,
  parseDataFrame,
  partCount,
  partOf,
  type FileControlFrame,
  type FileDataFrame,
  type FileRef,
} from './file-protocol.js'

/** Requests a link may have open with this page at once; more are answered `none`. */
export const MAX_REQUESTS_PER_LINK = 4
/** Chunk requests a link may have queued here; more are dropped (an honest peer asks DOWNLOAD_WINDOW). */
export const MAX_QUEUED_GETS_PER_LINK = 64
/** Sending pauses while a channel holds more than this many bytes, in bytes. */
export const BUFFER_HIGH_BYTES = 1024 * 1024
/** Sending resumes when the channel's buffer drains below this, in bytes. */
export const BUFFER_LOW_BYTES = 256 * 1024
/** Chunks (or list parts) a fetch has asked for and not yet received, at most. */
export const DOWNLOAD_WINDOW = 16
/** Time for the asked links to say whether they have a file, in ms. */
export const WANT_TIMEOUT_MS = 5000
/** How long a fetch made with no link open waits for one (a tab just opened, its history already here), in ms. */
export const FIRST_LINK_WAIT_MS = 20_000
/** A serving link that sends nothing for this long is given up, in ms. */
export const STALL_MS = 10_000
/** Bytes of fetched files a tab keeps to serve on; past it the oldest fetched are forgotten (shared ones never), in bytes. */
export const MAX_KEPT_FETCHED_BYTES = 128 * 1024 * 1024
/** How often a paused sender looks at its buffer again if no `bufferedamountlow` came, in ms. */
const PUMP_RETRY_MS = 100

/** Why a fetch ended without the file. */
export type FetchFailure = 'unavailable' | 'corrupt' | 'cancelled' | 'closed'

/** A fetch that ended without the file; `reason` says why. */
export class FileFetchError extends Error {
  readonly reason: FetchFailure
  constructor(reason: FetchFailure) {
    super(`file fetch failed: ${reason}`)
    this.reason = reason
  }
}

/** Options of one fetch. */
export interface FetchOptions {
  /** Called with the verified bytes so far and the file's size. */
  onProgress?: (received: number, size: number) => void
  /** Aborting it cancels the fetch (rejects with reason 'cancelled'). */
  signal?: AbortSignal
  /** Only this tab's own copy: rejects with reason 'unavailable' instead of asking peers. */
  localOnly?: boolean
}

/** One link's requests to this page. */
interface Served {
  files: Map<number, HeldFile>
  queue: Array<{ q: number; index: number; part: boolean }>
  waiting: boolean
}

/** The files this page holds, served to its peers, and fetches from them. */
export class FileTransfers implements FileChannelHandler {
  /** The counters, live: `fetching` and `serving` say what is under way now. */
  readonly stats: FileTransferStats = noFileTransfers()
  /** Files held here (shared or fetched and verified), by SHA-256. */
  readonly #held = new Map<string, HeldFile>()
  /** The fetched ones among them, oldest first (shared files are kept while the tab lives). */
  readonly #fetched = new Set<string>()
  readonly #served = new Map<RTCDataChannel, Served>()
  readonly #open = new Set<RTCDataChannel>()
  /** Called when a link opens: the fetches waiting for a first one. */
  readonly #linkWaiters = new Set<() => void>()
  /** Fetches in progress, by the request id they asked a link under. */
  readonly #fetches = new Map<number, Fetch>()
  #nextRequest = 1

  /** Reads the channels of `channels`, open now and later. */
  constructor(channels: FileChannels) {
    channels.attach(this)
  }

  /** Hashes `bytes` and keeps them, to serve to peers; resolves to how the file is named. */
  async share(bytes: Uint8Array<ArrayBuffer>): Promise<FileRef> {
    const held = await hashFile(bytes)
    this.#held.set(held.ref.sha256, held)
    this.#fetched.delete(held.ref.sha256)
    return held.ref
  }

  /** The bytes of the file `ref` if this page holds them (shared here, or fetched and verified). */
  local(ref: FileRef): Uint8Array<ArrayBuffer> | null {
    const held = this.#held.get(ref.sha256)
    return held !== undefined && held.ref.root === ref.root && held.ref.size === ref.size ? held.bytes : null
  }

  /** Fetches the file `ref` from the peers that have it; resolves to its verified bytes. */
  fetch(ref: FileRef, options: FetchOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
    const local = this.local(ref)
    if (local !== null) return Promise.resolve(local)
    if (options.localOnly === true) return Promise.reject(new FileFetchError('unavailable'))
    if (options.signal?.aborted) return Promise.reject(new FileFetchError('cancelled'))
    // Each fetch on its own, even of a file being fetched already: each caller cancels its own.
    if (this.#open.size > 0) return new Fetch(this, ref, options).start([...this.#open])
    // No link yet: asking nobody would fail at once, as an image's preview in a tab just opened did.
    return this.#firstLink(options.signal).then(() => new Fetch(this, ref, options).start([...this.#open]))
  }

  /** Resolves once a link is open, or FIRST_LINK_WAIT_MS on (the fetch then finds none); rejects if `signal` aborts. */
  #firstLink(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer)
        this.#linkWaiters.delete(done)
        signal?.removeEventListener('abort', aborted)
      }
      const done = (): void => {
        stop()
        resolve()
      }
      const aborted = (): void => {
        stop()
        reject(new FileFetchError('cancelled'))
      }
      const timer = setTimeout(done, FIRST_LINK_WAIT_MS)
      this.#linkWaiters.add(done)
      signal?.addEventListener('abort', aborted, { once: true })
    })
  }

  opened(channel: RTCDataChannel): void {
    this.#open.add(channel)
    for (const waiter of [...this.#linkWaiters]) waiter()
    channel.bufferedAmountLowThreshold = BUFFER_LOW_BYTES
  }

  closed(channel: RTCDataChannel): void {
    this.#open.delete(channel)
    this.stats.serving -= this.#served.get(channel)?.files.size ?? 0
    this.#served.delete(channel)
    for (const fetch of new Set(this.#fetches.values())) fetch.lost(channel)
  }

  message(channel: RTCDataChannel, data: unknown): void {
    if (typeof data === 'string') {
      const frame = parseControlFrame(data)
      if (frame === null) this.stats.garbageFrames++
      else this.#onControl(channel, frame)
      return
    }
    const frame = parseDataFrame(data)
    const fetch = frame === null ? undefined : this.#fetches.get(frame.q)
    if (frame === null || fetch === undefined || !fetch.take(channel, frame)) this.stats.garbageFrames++
  }

  /** A new request id for `fetch`, under which frames for it are routed. */
  register(fetch: Fetch): number {
    const q = this.#nextRequest++
    this.#fetches.set(q, fetch)
    return q
  }

  /** Stops routing frames of request `q`. */
  unregister(q: number): void {
    this.#fetches.delete(q)
  }

  /** Keeps a fetched, verified file, to serve it on. */
  keep(held: HeldFile): void {
    const sha = held.ref.sha256
    if (this.#held.has(sha) && !this.#fetched.has(sha)) return // shared here: kept already
    this.#held.set(sha, held)
    this.#fetched.delete(sha)
    this.#fetched.add(sha)
    let total = 0
    for (const each of this.#fetched) total += this.#held.get(each)?.bytes.length ?? 0
    for (const oldest of this.#fetched) {
      if (total <= MAX_KEPT_FETCHED_BYTES || oldest === sha) break
      total -= this.#held.get(oldest)?.bytes.length ?? 0
      this.#held.delete(oldest)
      this.#fetched.delete(oldest)
    }
  }

  /** Sends a control frame, if the channel is still open. */
  send(channel: RTCDataChannel, frame: FileControlFrame): void {
    if (channel.readyState !== 'open') return
    try {
      channel.send(encodeControlFrame(frame))
    } catch {
      // closed between the check and the send; its onclose ends what depended on it
    }
  }

  #onControl(channel: RTCDataChannel, frame: FileControlFrame): void {
    switch (frame.t) {
      case 'want':
        this.#onWant(channel, frame.q, frame.h, frame.r)
        return
      case 'get': {
        const served = this.#served.get(channel)
        if (served?.files.has(frame.q) !== true) {
          this.stats.garbageFrames++
          return
        }
        if (served.queue.length >= MAX_QUEUED_GETS_PER_LINK) {
          this.stats.refusedRequests++
          return
        }
        served.queue.push({ q: frame.q, index: frame.i, part: frame.l === 1 })
        this.#pump(channel)
        return
      }
      case 'cancel': {
        const served = this.#served.get(channel)
        if (served === undefined) return
        if (served.files.delete(frame.q)) this.stats.serving--
        served.queue = served.queue.filter((each) => each.q !== frame.q)
        return
      }
      case 'have':
      case 'none': {
        const fetch = this.#fetches.get(frame.q)
        if (fetch === undefined) this.stats.garbageFrames++
        else fetch.answer(channel, frame.t === 'have')
        return
      }
    }
  }

  #onWant(channel: RTCDataChannel, q: number, sha: string, root: string): void {
    const held = this.#held.get(sha)
    const served = this.#served.get(channel) ?? { files: new Map(), queue: [], waiting: false }
    this.#served.set(channel, served)
    if (held === undefined || held.ref.root !== root) {
      this.send(channel, { t: 'none', q })
      return
    }
    if (served.files.size >= MAX_REQUESTS_PER_LINK && !served.files.has(q)) {
      this.stats.refusedRequests++
      this.send(channel, { t: 'none', q })
      return
    }
    if (!served.files.has(q)) this.stats.serving++
    served.files.set(q, held)
    this.send(channel, { t: 'have', q })
  }

  /** Sends queued chunks while the channel's buffer allows; resumes when it drains. */
  #pump(channel: RTCDataChannel): void {
    const served = this.#served.get(channel)
    if (served === undefined || served.waiting) return
    while (served.queue.length > 0 && channel.readyState === 'open') {
      if (channel.bufferedAmount > BUFFER_HIGH_BYTES) {
        served.waiting = true
        const resume = (): void => {
          if (!served.waiting) return
          served.waiting = false
          clearTimeout(timer)
          channel.removeEventListener('bufferedamountlow', resume)
          this.#pump(channel)
        }
        // Some WebRTC stacks fire bufferedamountlow late or not at all: look again now and then.
        const timer = setTimeout(resume, PUMP_RETRY_MS)
        channel.addEventListener('bufferedamountlow', resume)
        return
      }
      const next = served.queue.shift()
      const held = next === undefined ? undefined : served.files.get(next.q)
      if (next === undefined || held === undefined) continue
      const count = next.part ? partCount(held.ref.size) : chunkCount(held.ref.size)
      if (next.index >= count) {
        this.stats.garbageFrames++
        continue
      }
      const payload = next.part ? partOf(held.list, next.index) : chunkOf(held.bytes, next.index)
      try {
        channel.send(encodeDataFrame({ kind: next.part ? 'part' : 'chunk', q: next.q, index: next.index, payload }))
        this.stats.sentFrames++
        this.stats.servedBytes += payload.length
      } catch {
        return // closed meanwhile; its onclose forgets the queue
      }
    }
  }
}

/** One fetch of one file: which links were asked, which one serves, what arrived and checked out. */
class Fetch {
  readonly #transfers: FileTransfers
  readonly #ref: FileRef
  readonly #options: FetchOptions
  readonly #bytes: Uint8Array<ArrayBuffer>
  readonly #list: Uint8Array<ArrayBuffer>
  readonly #chunks: number
  readonly #parts: number
  /** Links asked and not answered yet, with the request id each was asked under. */
  readonly #asked = new Map<RTCDataChannel, number>()
  /** Links that have the file and were not tried yet. */
  readonly #candidates: Array<{ channel: RTCDataChannel; q: number }> = []
  #source: { channel: RTCDataChannel; q: number } | null = null
  /** What the source was asked for and has not sent: 'c<index>' or 'p<index>'. */
  readonly #outstanding = new Set<string>()
  /** What arrived from the source and waits for its hash check: not asked for again meanwhile. */
  readonly #arrived = new Set<string>()
  readonly #haveParts = new Set<number>()
  #listChecked = false
  readonly #haveChunks: Uint8Array
  #verified = 0
  #receivedBytes = 0
  /** Whether some link sent a chunk or list that failed its hash. */
  #corruptSeen = false
  /** Checks run one after another, in arrival order. */
  #work: Promise<void> = Promise.resolve()
  #stallTimer: ReturnType<typeof setTimeout> | null = null
  #wantTimer: ReturnType<typeof setTimeout> | null = null
  #settled = false
  #resolve: (bytes: Uint8Array<ArrayBuffer>) => void = () => {}
  #reject: (error: FileFetchError) => void = () => {}

  constructor(transfers: FileTransfers, ref: FileRef, options: FetchOptions) {
    this.#transfers = transfers
    this.#ref = ref
    this.#options = options
    this.#bytes = new Uint8Array(ref.size)
    this.#chunks = chunkCount(ref.size)
    this.#parts = partCount(ref.size)
    this.#list = new Uint8Array(this.#chunks * HASH_BYTES)
    this.#haveChunks = new Uint8Array(this.#chunks)
  }

  /** Asks every link in `channels` for the file; resolves to its verified bytes. */
  start(channels: readonly RTCDataChannel[]): Promise<Uint8Array<ArrayBuffer>> {
    const done = new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.#options.signal?.addEventListener('abort', this.#onAbort)
    this.#transfers.stats.fetching++
    for (const channel of channels) {
      const q = this.#transfers.register(this)
      this.#asked.set(channel, q)
      this.#transfers.send(channel, { t: 'want', q, h: this.#ref.sha256, r: this.#ref.root })
    }
    this.#wantTimer = setTimeout(() => {
      this.#wantTimer = null
      for (const q of this.#asked.values()) this.#transfers.unregister(q)
      this.#asked.clear()
      this.#next()
    }, WANT_TIMEOUT_MS)
    this.#next()
    return done
  }

  /** A link's answer to `want`. */
  answer(channel: RTCDataChannel, has: boolean): void {
    const q = this.#asked.get(channel)
    if (q === undefined) return
    this.#asked.delete(channel)
    if (has) this.#candidates.push({ channel, q })
    else this.#transfers.unregister(q)
    this.#next()
  }

  /** A data frame for this fetch; false if it was not asked for (the caller counts it as garbage). */
  take(channel: RTCDataChannel, frame: FileDataFrame): boolean {
    const source = this.#source
    const key = `${frame.kind === 'chunk' ? 'c' : 'p'}${frame.index}`
    if (source === null || source.channel !== channel || source.q !== frame.q || !this.#outstanding.delete(key)) return false
    this.#armStall()
    if (!dataFits(frame, this.#ref.size)) {
      this.#drop(true)
      return true
    }
    const payload = frame.payload.slice()
    this.#arrived.add(key)
    this.#work = this.#work.then(() => this.#check(source, frame.kind, frame.index, payload))
    return true
  }

  /** The link of `channel` closed. */
  lost(channel: RTCDataChannel): void {
    const q = this.#asked.get(channel)
    if (q !== undefined) {
      this.#asked.delete(channel)
      this.#transfers.unregister(q)
    }
    const at = this.#candidates.findIndex((each) => each.channel === channel)
    if (at >= 0) this.#candidates.splice(at, 1)
    if (this.#source?.channel === channel) this.#drop(false)
    else this.#next()
  }

  async #check(source: { channel: RTCDataChannel; q: number }, kind: 'chunk' | 'part', index: number, payload: Uint8Array): Promise<void> {
    if (this.#settled || this.#source !== source) return
    this.#arrived.delete(`${kind === 'chunk' ? 'c' : 'p'}${index}`)
    if (kind === 'part') {
      this.#list.set(payload, index * CHUNK_BYTES)
      this.#haveParts.add(index)
      if (this.#haveParts.size === this.#parts) {
        if (hashText(await sha256(this.#list)) !== this.#ref.root) return this.#drop(true)
        this.#listChecked = true
      }
    } else {
      if (!(await chunkMatches(this.#list, index, payload))) return this.#drop(true)
      if (this.#settled || this.#haveChunks[index] === 1) return
      this.#haveChunks[index] = 1
      this.#bytes.set(payload, index * CHUNK_BYTES)
      this.#verified++
      this.#receivedBytes += payload.length
      this.#transfers.stats.verifiedChunks++
      this.#options.onProgress?.(this.#receivedBytes, this.#ref.size)
    }
    if (this.#verified === this.#chunks) return this.#finish()
    this.#request()
  }

  async #finish(): Promise<void> {
    if (hashText(await sha256(this.#bytes)) !== this.#ref.sha256) {
      // Every chunk matched a list whose root the author signed, yet the whole does not: the
      // signed record itself is inconsistent. No other peer can do better.
      this.#corruptSeen = true
      return this.#fail('corrupt')
    }
    this.#transfers.keep({ ref: this.#ref, bytes: this.#bytes, list: this.#list })
    this.#end()
    this.#resolve(this.#bytes)
  }

  /** Gives up the serving link; with `corrupt`, because it sent something that failed its hash. */
  #drop(corrupt: boolean): void {
    const source = this.#source
    if (source === null) return
    if (corrupt) {
      this.#corruptSeen = true
      this.#transfers.stats.rejectedChunks++
    }
    this.#transfers.send(source.channel, { t: 'cancel', q: source.q })
    this.#transfers.unregister(source.q)
    this.#source = null
    this.#outstanding.clear()
    this.#arrived.clear()
    // A list that came from a bad link is fetched again from the next.
    if (!this.#listChecked) this.#haveParts.clear()
    this.#next()
  }

  /** Moves to the next link that has the file, or ends the fetch when none is left to ask. */
  #next(): void {
    if (this.#settled || this.#source !== null) return
    const next = this.#candidates.shift()
    if (next !== undefined) {
      this.#source = next
      this.#armStall()
      this.#request()
      return
    }
    if (this.#asked.size === 0 || this.#wantTimer === null) this.#fail(this.#corruptSeen ? 'corrupt' : 'unavailable')
  }

  /** Asks the source for what is missing, up to DOWNLOAD_WINDOW at a time: the list first, then chunks. */
  #request(): void {
    const source = this.#source
    if (source === null || this.#settled) return
    const count = this.#listChecked ? this.#chunks : this.#parts
    for (let index = 0; index < count && this.#outstanding.size < DOWNLOAD_WINDOW; index++) {
      const part = !this.#listChecked
      if (part ? this.#haveParts.has(index) : this.#haveChunks[index] === 1) continue
      const key = `${part ? 'p' : 'c'}${index}`
      if (this.#outstanding.has(key) || this.#arrived.has(key)) continue
      this.#outstanding.add(key)
      this.#transfers.send(source.channel, part ? { t: 'get', q: source.q, i: index, l: 1 } : { t: 'get', q: source.q, i: index })
    }
  }

  #armStall(): void {
    if (this.#stallTimer !== null) clearTimeout(this.#stallTimer)
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = null
      this.#drop(false)
    }, STALL_MS)
  }

  #onAbort = (): void => {
    this.#fail('cancelled')
  }

  #fail(reason: FetchFailure): void {
    if (this.#settled) return
    this.#end()
    this.#reject(new FileFetchError(reason))
  }

  /** Ends the fetch: timers stopped, and every link that holds a request of it told to close it. */
  #end(): void {
    // Once: a fetch cancelled while its whole file was being hashed still finishes here.
    if (!this.#settled) this.#transfers.stats.fetching--
    this.#settled = true
    const open = [...this.#asked, ...this.#candidates.map(({ channel, q }) => [channel, q] as const)]
    if (this.#source !== null) open.push([this.#source.channel, this.#source.q])
    for (const [channel, q] of open) this.#transfers.send(channel, { t: 'cancel', q })
    for (const timer of [this.#stallTimer, this.#wantTimer]) if (timer !== null) clearTimeout(timer)
    this.#stallTimer = null
    this.#wantTimer = null
    this.#options.signal?.removeEventListener('abort', this.#onAbort)
    for (const q of this.#asked.values()) this.#transfers.unregister(q)
    for (const each of this.#candidates) this.#transfers.unregister(each.q)
    if (this.#source !== null) this.#transfers.unregister(this.#source.q)
    this.#asked.clear()
    this.#candidates.length = 0
  }
}
