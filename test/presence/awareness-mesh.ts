// Real y-protocols awareness instances wired in memory, relaying like y-webrtc does.
// Every 'update' is re-encoded to every reachable peer, whatever its origin; peers can be cut off.

import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'

/** The origin of every update the mesh applies. */
export const WIRE_ORIGIN = 'test-wire'

/** One tab: a doc and its awareness. */
export type Peer = { doc: Y.Doc; awareness: Awareness }

/** A fully connected set of peers; an isolated peer neither sends nor receives. */
export type AwarenessMesh = {
  peers: Peer[]
  isolate(peer: Peer): void
  /** Reconnects a peer and exchanges full states with it, as y-webrtc does on a new connection. */
  reconnect(peer: Peer): void
  destroy(): void
}

type Change = { added: number[]; updated: number[]; removed: number[] }

/** `count` peers wired to each other. */
export function createAwarenessMesh(count: number): AwarenessMesh {
  const peers: Peer[] = Array.from({ length: count }, () => {
    const doc = new Y.Doc()
    return { doc, awareness: new Awareness(doc) }
  })
  const isolated = new Set<Peer>()
  const send = (from: Peer, clients: number[]): void => {
    if (isolated.has(from) || clients.length === 0) return
    const update = encodeAwarenessUpdate(from.awareness, clients)
    for (const to of peers) {
      if (to !== from && !isolated.has(to)) applyAwarenessUpdate(to.awareness, update, WIRE_ORIGIN)
    }
  }
  for (const peer of peers) {
    peer.awareness.on('update', ({ added, updated, removed }: Change) => {
      send(peer, [...added, ...updated, ...removed])
    })
  }
  const sendAll = (from: Peer): void => send(from, [...from.awareness.getStates().keys()])
  for (const peer of peers) sendAll(peer)
  return {
    peers,
    isolate: (peer) => {
      isolated.add(peer)
    },
    reconnect: (peer) => {
      isolated.delete(peer)
      sendAll(peer)
      for (const other of peers) if (other !== peer) sendAll(other)
    },
    destroy: () => {
      for (const peer of peers) peer.doc.destroy()
    },
  }
}

/** A raw awareness update carrying arbitrary JSON text as one client's state, like a hostile peer could send. */
export function rawAwarenessUpdate(entries: { clientID: number; clock: number; json: string }[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const { clientID, clock, json } of entries) {
    encoding.writeVarUint(encoder, clientID)
    encoding.writeVarUint(encoder, clock)
    encoding.writeVarString(encoder, json)
  }
  return encoding.toUint8Array(encoder)
}
