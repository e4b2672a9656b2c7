// The rule for joins past the link cap: who takes a lonely announcer, and which link is shed after.
import { describe, expect, it } from 'vitest'
import {
  CAP_ALLOWANCE,
  CONNECTING_MOST_MS,
  CONNECTING_QUIET_MS,
  isLonely,
  lateLinkToShed,
  LONELY_LINKS,
  linkToShed,
  type NeighbourAdvert,
  mayYetConnect,
  takesInvitation,
  takesPastCap,
} from '../../src/transport/cap-rule.js'

const full = { links: 3, held: 0, maxConns: 3 }
const marked = (links: number | undefined) => ({ marked: true, links, lonely: true })

describe('takesPastCap', () => {
  it('takes a lonely Parley peer announcing again with fewer than LONELY_LINKS links, at its cap', () => {
    expect(takesPastCap(full, marked(0))).toBe(true)
    expect(takesPastCap(full, marked(LONELY_LINKS - 1))).toBe(true)
    expect(takesPastCap(full, marked(LONELY_LINKS))).toBe(false)
    expect(takesPastCap(full, marked(undefined))).toBe(false) // an older Parley peer: its count is unknown
  })

  it('leaves peers below their cap to the offer rule, and holds at most CAP_ALLOWANCE places past it', () => {
    expect(takesPastCap({ links: 2, held: 0, maxConns: 3 }, marked(0))).toBe(false)
    expect(takesPastCap({ links: 3, held: CAP_ALLOWANCE, maxConns: 3 }, marked(0))).toBe(false)
    expect(takesPastCap({ links: 3 + CAP_ALLOWANCE, held: 0, maxConns: 3 }, marked(0))).toBe(false)
  })

  it("leaves y-webrtc's own announcements to the peers with room, and stock peers to y-webrtc", () => {
    expect(takesPastCap(full, { marked: true, links: 0, lonely: false })).toBe(false) // y-webrtc's own announcement
    expect(takesPastCap(full, { marked: false, links: undefined, lonely: true })).toBe(false)
  })
})

describe('takesInvitation', () => {
  it('offers to a peer at its cap only while lonely, and never twice', () => {
    expect(takesInvitation(0, false)).toBe(true)
    expect(takesInvitation(LONELY_LINKS - 1, false)).toBe(true)
    expect(takesInvitation(LONELY_LINKS, false)).toBe(false)
    expect(takesInvitation(0, true)).toBe(false)
  })
})

describe('linkToShed', () => {
  const links = (entries: Array<[string, string[] | undefined]>) =>
    new Map(entries.map(([peer, neighbours]) => [peer, neighbours === undefined ? undefined : new Set(neighbours)]))

  it('sheds the best-linked neighbour that shares a neighbour with us, never the newcomer', () => {
    // K4 of a, b, c, d with cap 3, and e taken past the caps of a and b.
    const ofA = links([
      ['b', ['a', 'c', 'd', 'e']],
      ['c', ['a', 'b', 'd']],
      ['d', ['a', 'b', 'c']],
      ['e', ['a', 'b']],
    ])
    expect(linkToShed('a', ofA)).toBe('b')
    const ofB = links([
      ['a', ['b', 'c', 'd', 'e']],
      ['c', ['a', 'b', 'd']],
      ['d', ['a', 'b', 'c']],
      ['e', ['a', 'b']],
    ])
    expect(linkToShed('b', ofB)).toBe('a') // the same link: both back at their cap
  })

  it('breaks ties by the smaller id', () => {
    const ofA = links([
      ['d', ['a', 'c', 'x']],
      ['c', ['a', 'd', 'y']],
      ['e', ['a']],
    ])
    expect(linkToShed('a', ofA)).toBe('c')
  })

  it('sheds no stock link, no peer left with fewer than 2 links, and no link without a common neighbour', () => {
    expect(
      linkToShed(
        'a',
        links([
          ['b', undefined],
          ['c', undefined],
        ]),
      ),
    ).toBe(null)
    // A stock common neighbour still joins the two ends: c may go, b (stock) may not.
    expect(
      linkToShed(
        'a',
        links([
          ['b', undefined],
          ['c', ['a', 'b', 'x']],
        ]),
      ),
    ).toBe('c')
    expect(
      linkToShed(
        'a',
        links([
          ['b', ['a', 'c']],
          ['c', ['a', 'b']],
        ]),
      ),
    ).toBe(null)
    expect(
      linkToShed(
        'a',
        links([
          ['b', ['a', 'x', 'y']],
          ['c', ['a', 'z', 'w']],
        ]),
      ),
    ).toBe(null)
  })
})

describe('lateLinkToShed', () => {
  /** What `self` sees of its links in a graph whose every peer advertised its links and its cap. */
  const seenBy = (self: string, graph: Map<string, Set<string>>, caps: Map<string, number | undefined>) =>
    new Map<string, NeighbourAdvert>(
      [...(graph.get(self) ?? [])].map((peer) => [peer, { neighbours: graph.get(peer) ?? new Set(), cap: caps.get(peer) }]),
    )
  const graphOf = (edges: string[]) => {
    const graph = new Map<string, Set<string>>()
    for (const [a, b] of edges.map((edge) => edge.split('-'))) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ]) {
        if (!graph.has(from)) graph.set(from, new Set())
        graph.get(from)?.add(to)
      }
    }
    return graph
  }

  it('sheds a link of the triangle a stalled newcomer left past a cap of 1, where linkToShed sheds none', () => {
    // p0 (cap 1) linked to p1; p2's link to p1 stalled, p0 took p2, then the stalled link connected.
    const graph = graphOf(['p0-p1', 'p1-p2', 'p0-p2'])
    const caps = new Map([
      ['p0', 1],
      ['p1', 2],
      ['p2', 2],
    ])
    const view = seenBy('p0', graph, caps)
    expect(linkToShed('p0', new Map([...view].map(([peer, advert]) => [peer, advert.neighbours])))).toBe(null)
    expect(lateLinkToShed('p0', view)).toBe('p1') // both far ends hold 2 links: the smaller id
  })

  it('sheds no link whose far end or common neighbour is past its cap or did not say its cap', () => {
    const graph = graphOf(['a-b', 'b-c', 'a-c', 'c-x'])
    // c holds 3 links against a cap of 2: it may be shedding b (or us) meanwhile, so b may not go
    // (its path to us runs through c), nor c itself.
    const caps = new Map<string, number | undefined>([
      ['a', 1],
      ['b', 2],
      ['c', 2],
    ])
    expect(lateLinkToShed('a', seenBy('a', graph, caps))).toBe(null)
    const unsaid = new Map<string, number | undefined>([
      ['a', 1],
      ['b', 2],
      ['c', undefined],
    ])
    expect(lateLinkToShed('a', seenBy('a', graphOf(['a-b', 'b-c', 'a-c']), unsaid))).toBe(null)
  })

  it('sheds no stock link and no link without a common neighbour', () => {
    expect(
      lateLinkToShed(
        'a',
        new Map<string, NeighbourAdvert | undefined>([
          ['b', undefined],
          ['c', { neighbours: new Set(['a', 'b']), cap: 2 }],
        ]),
      ),
    ).toBe(null)
    const square = graphOf(['a-b', 'b-c', 'c-d', 'd-a'])
    expect(lateLinkToShed('a', seenBy('a', square, new Map([...square.keys()].map((peer) => [peer, peer === 'a' ? 1 : 2]))))).toBe(null)
  })

  it('keeps the graph in one piece when every peer past its cap sheds at once (random graphs)', () => {
    // A small linear congruential generator: the same graphs every run.
    let seed = 12345
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const connected = (graph: Map<string, Set<string>>) => {
      const [start] = graph.keys()
      const seen = new Set([start])
      const queue = [start]
      while (queue.length > 0) {
        for (const next of graph.get(queue.pop() as string) ?? []) {
          if (seen.has(next)) continue
          seen.add(next)
          queue.push(next)
        }
      }
      return seen.size === graph.size
    }
    let shedRooms = 0
    for (let room = 0; room < 2000; room++) {
      const size = 3 + Math.floor(random() * 6)
      const peers = Array.from({ length: size }, (_, n) => `p${n}`)
      const graph = new Map(peers.map((peer) => [peer, new Set<string>()]))
      const link = (a: string, b: string) => {
        graph.get(a)?.add(b)
        graph.get(b)?.add(a)
      }
      for (let n = 1; n < size; n++) link(peers[n], peers[Math.floor(random() * n)]) // a tree: connected
      for (let extra = Math.floor(random() * size * 2); extra > 0; extra--) {
        const [a, b] = [peers[Math.floor(random() * size)], peers[Math.floor(random() * size)]]
        if (a !== b) link(a, b)
      }
      const caps = new Map(peers.map((peer) => [peer, Math.max(1, (graph.get(peer)?.size ?? 0) - Math.floor(random() * 2))]))
      const shed: Array<[string, string]> = []
      for (const peer of peers) {
        if ((graph.get(peer)?.size ?? 0) <= (caps.get(peer) ?? 0)) continue
        const far = lateLinkToShed(peer, seenBy(peer, graph, caps))
        if (far !== null) shed.push([peer, far])
      }
      if (shed.length > 0) shedRooms++
      for (const [a, b] of shed) {
        graph.get(a)?.delete(b)
        graph.get(b)?.delete(a)
      }
      expect(connected(graph), `room ${room}: shed ${JSON.stringify(shed)}`).toBe(true)
    }
    expect(shedRooms, 'rooms where some peer shed').toBeGreaterThan(100)
  })
})

describe('isLonely', () => {
  const links = (entries: Array<[string, string[] | undefined]>) =>
    new Map(entries.map(([peer, neighbours]) => [peer, neighbours === undefined ? undefined : new Set(neighbours)]))

  it('is a peer alone, or two newcomers linked only to each other', () => {
    expect(isLonely('x', 0, 3, links([]), 0)).toBe(true)
    expect(isLonely('x', 1, 3, links([['y', ['x']]]), 0)).toBe(true)
  })

  it('is a newcomer whose one link, still connecting, stalled', () => {
    expect(isLonely('x', 1, 2, links([]), 0)).toBe(true)
  })

  it('is not a peer whose one link reaches further, or whose neighbour has not advertised, or with enough links', () => {
    expect(isLonely('x', 1, 3, links([['y', ['x', 'z']]]), 0)).toBe(false) // the line 1, 2, 3: p2 hangs off p1
    expect(isLonely('x', 1, 3, links([['y', undefined]]), 0)).toBe(false)
    expect(isLonely('x', LONELY_LINKS, 3, links([]), 0)).toBe(false)
    expect(isLonely('x', 1, 1, links([['y', ['x']]]), 0)).toBe(false) // its cap is 1: it has what it may
  })

  it('is not a newcomer whose one link is still connecting and may yet connect: it may reach further', () => {
    // The line 1, 2, 2, 2 under load: p2's link to p1 took 3.3 s, and p2, lonely at 2 s, was taken past p0's cap.
    expect(isLonely('x', 1, 2, links([]), 1)).toBe(false)
  })
})

describe('mayYetConnect', () => {
  const started = 1_000_000

  it('counts a link that progressed lately, however long ago it began (within CONNECTING_MOST_MS)', () => {
    const link = { startedAt: started, lastProgressAt: started + 5000 }
    expect(mayYetConnect(link, started + 5000 + CONNECTING_QUIET_MS - 1)).toBe(true)
    expect(mayYetConnect({ startedAt: started, lastProgressAt: started }, started + CONNECTING_QUIET_MS - 1)).toBe(true) // just begun
  })

  it('stops counting a link quiet for CONNECTING_QUIET_MS: a stalled link still leads to announcing again', () => {
    const link = { startedAt: started, lastProgressAt: started + 1000 }
    expect(mayYetConnect(link, started + 1000 + CONNECTING_QUIET_MS)).toBe(false)
  })

  it('stops counting a link CONNECTING_MOST_MS after its start, however it progresses', () => {
    const now = started + CONNECTING_MOST_MS
    expect(mayYetConnect({ startedAt: started, lastProgressAt: now - 1 }, now)).toBe(false)
  })
})
