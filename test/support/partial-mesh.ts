// Partial meshes of child peers for tests: the links y-webrtc forms when peers with given
// `maxConns` join one after another, a starter that waits for exactly those links, and a mesh's shape.
import { expect } from 'vitest'
import type { NodePeer, NodePeerOptions, NodePeerState } from './node-peer.js'
import type { SignalingFixture } from './signaling-fixture.js'

/**
 * The links y-webrtc forms when peers with these `maxConns` join one after another, each once the
 * one before is linked: every linked peer with room left offers to the newcomer (and nobody else
 * does; offers are answered past the limit). Peer n's neighbours, by index.
 */
export function joinedOneByOne(maxConns: number[]): Set<number>[] {
  const links = maxConns.map(() => new Set<number>())
  for (let newcomer = 0; newcomer < maxConns.length; newcomer++) {
    for (let peer = 0; peer < newcomer; peer++) {
      if (links[peer].size < maxConns[peer]) {
        links[peer].add(newcomer)
        links[newcomer].add(peer)
      }
    }
  }
  return links
}

/**
 * Starts one peer per entry of `maxConns` in `topic`, one at a time, each once the links it should
 * have are up (waiting at most `timeoutMs` for each), and checks the links are those of
 * `joinedOneByOne`; returns the peers in order.
 */
export async function startOneByOne(
  signaling: SignalingFixture,
  topic: string,
  maxConns: number[],
  kinds: NodePeerOptions['kind'][],
  timeoutMs: number,
): Promise<NodePeer[]> {
  const expected = joinedOneByOne(maxConns)
  const peers: NodePeer[] = []
  const states = (): Promise<NodePeerState[]> => Promise.all(peers.map((peer) => peer.state()))
  for (const [n, kind] of kinds.entries()) {
    peers.push(await signaling.startPeer({ kind, topic, maxConns: maxConns[n], awareness: { name: `p${n}` } }))
    // Each peer's link count, so that a failure shows which peer has more or fewer (a newcomer
    // whose link stalled for 8 s announces as lonely, and a peer at its cap may take it).
    await expect
      .poll(async () => (await states()).map((state) => state.links.length), { timeout: timeoutMs, interval: 250 })
      .toEqual(peers.map((_, m) => [...expected[m]].filter((other) => other <= n).length))
  }
  const final = await states()
  const ids = final.map((state) => state.peerId)
  for (const [n, state] of final.entries()) {
    expect(new Set(state.links), `links of p${n}`).toEqual(new Set([...expected[n]].map((m) => ids[m])))
  }
  return peers
}

/** A peer of a mesh as far as its shape goes: its y-webrtc id (null: not known) and its connected links. */
export interface MeshPeer {
  peerId: string | null
  links: readonly string[]
}

/** A mesh's shape: peers with no link, pieces of the link graph (a link counts if either end reports it), most links of one peer. */
export function meshShape(all: MeshPeer[]): { unlinked: number; components: number; mostLinks: number } {
  const idOf = (each: MeshPeer, n: number): string => each.peerId ?? `unknown-${n}`
  const adjacent = new Map<string, Set<string>>()
  for (const [n, each] of all.entries()) adjacent.set(idOf(each, n), new Set())
  for (const [n, each] of all.entries()) {
    for (const other of each.links) {
      adjacent.get(idOf(each, n))?.add(other)
      adjacent.get(other)?.add(idOf(each, n))
    }
  }
  const seen = new Set<string>()
  let components = 0
  for (const start of adjacent.keys()) {
    if (seen.has(start)) continue
    components++
    const queue = [start]
    seen.add(start)
    while (queue.length > 0) {
      for (const next of adjacent.get(queue.pop() as string) ?? []) {
        if (!seen.has(next) && adjacent.has(next)) {
          seen.add(next)
          queue.push(next)
        }
      }
    }
  }
  return {
    unlinked: all.filter((each) => each.links.length === 0).length,
    components,
    mostLinks: Math.max(0, ...all.map((each) => each.links.length)),
  }
}
