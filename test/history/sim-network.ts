// A seeded in-memory network of Yjs peers speaking y-protocols sync as y-webrtc does: updates
// broadcast as they happen, sync step 1/2 exchanged when links (re)connect. It drops, delays,
// reorders and partitions messages; every random choice comes from the seed, so a run replays.
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import { seededRandom } from '../support/seeded-random.js'

/** How unreliable the network is. */
export interface NetworkFaults {
  /** Chance that a message is lost (0–1). */
  dropRate: number
  /** Longest delivery delay, in ticks; each message gets a random delay up to it (so they reorder). */
  maxDelayTicks: number
}

interface Packet {
  from: number
  to: number
  at: number
  bytes: Uint8Array
}

/** Origin of updates applied from the wire, so they are not re-broadcast. */
const WIRE = Symbol('wire')

/** Peers, each a Y.Doc, linked by a faulty network with virtual time. */
export class SimNetwork {
  readonly docs: Y.Doc[]
  readonly random: () => number
  faults: NetworkFaults
  now = 0
  #inFlight: Packet[] = []
  /** Group of each peer; peers talk only within their group. */
  #group: number[]

  constructor(peers: number, seed: number, faults: NetworkFaults) {
    this.random = seededRandom(seed)
    this.faults = faults
    this.docs = Array.from({ length: peers }, () => new Y.Doc())
    this.#group = this.docs.map(() => 0)
    this.docs.forEach((doc, index) => {
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === WIRE) return
        const encoder = encoding.createEncoder()
        syncProtocol.writeUpdate(encoder, update)
        this.#broadcast(index, encoding.toUint8Array(encoder))
      })
    })
  }

  /** Splits the peers into groups (`groups[i]` is peer i's group); messages across groups are lost. */
  partition(groups: number[]): void {
    this.#group = [...groups]
  }

  /** Joins every group again and has each newly reachable pair exchange sync step 1, as a new connection does. */
  heal(): void {
    const before = this.#group
    this.#group = this.docs.map(() => 0)
    for (let a = 0; a < this.docs.length; a++) {
      for (let b = 0; b < this.docs.length; b++) if (a !== b && before[a] !== before[b]) this.connect(a, b)
    }
  }

  /** Peer `from` sends sync step 1 to `to` (what y-webrtc does when a connection opens). */
  connect(from: number, to: number): void {
    const encoder = encoding.createEncoder()
    syncProtocol.writeSyncStep1(encoder, this.docs[from])
    this.#send(from, to, encoding.toUint8Array(encoder))
  }

  /** Advances time by one tick, delivering what is due (in random order among equals). */
  tick(): void {
    this.now++
    const due = this.#inFlight.filter((packet) => packet.at <= this.now)
    this.#inFlight = this.#inFlight.filter((packet) => packet.at > this.now)
    for (const packet of due) this.#deliver(packet)
  }

  /** Whether messages are still travelling. */
  get busy(): boolean {
    return this.#inFlight.length > 0
  }

  destroy(): void {
    for (const doc of this.docs) doc.destroy()
  }

  #broadcast(from: number, bytes: Uint8Array): void {
    for (let to = 0; to < this.docs.length; to++) if (to !== from) this.#send(from, to, bytes)
  }

  #send(from: number, to: number, bytes: Uint8Array): void {
    if (this.#group[from] !== this.#group[to]) return
    if (this.random() < this.faults.dropRate) return
    this.#inFlight.push({ from, to, bytes, at: this.now + 1 + Math.floor(this.random() * this.faults.maxDelayTicks) })
  }

  #deliver(packet: Packet): void {
    if (this.#group[packet.from] !== this.#group[packet.to]) return // cut while in flight
    const decoder = decoding.createDecoder(packet.bytes)
    const reply = encoding.createEncoder()
    syncProtocol.readSyncMessage(decoder, reply, this.docs[packet.to], WIRE)
    if (encoding.length(reply) > 0) this.#send(packet.to, packet.from, encoding.toUint8Array(reply))
  }
}
