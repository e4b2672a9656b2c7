// The relay's pure core: the forwarding rule on its own, the rule run over seeded random meshes
// (every peer gets every change, in fewer sends than flooding), digests, repair pacing, what a
// link left out of a batch is owed and the parts it is sent, and frames.
import { describe, expect, it } from 'vitest'
import {
  LOCAL_SOURCE,
  REPAIR_MIN_INTERVAL_MS,
  catchUpCut,
  droppedNeighbours,
  knownWithSent,
  owedWith,
  relayTargets,
  repairWaitMs,
  stateVectorDigest,
  type ChangeSource,
} from '../../src/transport/relay-policy.js'
import { MAX_NEIGHBOURS, encodeRelayFrame, parseRelayFrame, type RelayFrame } from '../../src/transport/relay-protocol.js'
import { seededRandom as random } from '../support/seeded-random.js'

const from = (peerId: string, neighbours: string[] | null): ChangeSource => ({
  from: 'link',
  peerId,
  neighbours: neighbours === null ? null : new Set(neighbours),
})

describe('relayTargets', () => {
  it('sends a local change, or one of unknown source, to every link', () => {
    expect(relayTargets(['a', 'b'], [LOCAL_SOURCE])).toBe('all')
    expect(relayTargets(['a', 'b'], [])).toBe('all')
    expect(relayTargets(['a', 'b'], [from('a', ['b']), LOCAL_SOURCE])).toBe('all')
  })

  it('leaves out the sender and its advertised neighbours', () => {
    expect(relayTargets(['a', 'b', 'c', 'd'], [from('a', ['b', 'c', 'me'])])).toEqual(new Set(['d']))
    // A full mesh: the author reached everyone itself.
    expect(relayTargets(['a', 'b', 'c'], [from('a', ['b', 'c', 'me'])])).toEqual(new Set())
  })

  it('prunes nothing but the sender when its neighbours are unknown (stock y-webrtc)', () => {
    expect(relayTargets(['a', 'b', 'c'], [from('a', null)])).toEqual(new Set(['b', 'c']))
  })

  it('sends a batch from several links wherever one of them needs it', () => {
    expect(relayTargets(['a', 'b', 'c'], [from('a', ['b', 'c']), from('b', ['a'])])).toEqual(new Set(['c']))
  })
})

/** A connected random mesh of `size` peers, each with about `degree` links (a random tree plus chords). */
function randomMesh(size: number, degree: number, next: () => number): Map<string, Set<string>> {
  const mesh = new Map<string, Set<string>>()
  const id = (n: number): string => `p${n}`
  for (let n = 0; n < size; n++) mesh.set(id(n), new Set())
  const link = (a: string, b: string): void => {
    if (a === b) return
    mesh.get(a)?.add(b)
    mesh.get(b)?.add(a)
  }
  for (let n = 1; n < size; n++) link(id(n), id(Math.floor(next() * n)))
  for (let chord = 0; chord < (size * (degree - 2)) / 2; chord++) link(id(Math.floor(next() * size)), id(Math.floor(next() * size)))
  return mesh
}

/**
 * One change from `author` over `mesh`, deliveries in a random order: each peer relays on first
 * receipt, Parley peers by the rule, stock peers (in `stock`) to every link. Returns who got it and the sends.
 */
function spread(mesh: Map<string, Set<string>>, author: string, stock: Set<string>, next: () => number) {
  const got = new Set([author])
  const queue: Array<{ sender: string; to: string }> = []
  const send = (sender: string, targets: Iterable<string>): void => {
    for (const to of targets) queue.push({ sender, to })
  }
  send(author, mesh.get(author) ?? [])
  let sends = 0
  while (queue.length > 0) {
    const [{ sender, to }] = queue.splice(Math.floor(next() * queue.length), 1)
    sends++
    if (got.has(to)) continue
    got.add(to)
    const links = mesh.get(to) ?? new Set<string>()
    if (stock.has(to)) {
      send(to, links)
      continue
    }
    const targets = relayTargets(links, [from(sender, stock.has(sender) ? null : [...(mesh.get(sender) ?? [])])])
    send(to, targets === 'all' ? links : targets)
  }
  return { got, sends }
}

describe('the rule over random meshes', () => {
  it('brings every change to every peer of a partial mesh, in fewer sends than flooding', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed)
      const size = 8 + Math.floor(next() * 43)
      const mesh = randomMesh(size, 4, next)
      const peers = [...mesh.keys()]
      const stock = new Set(peers.filter(() => next() < 0.1))
      const author = peers[Math.floor(next() * size)]
      const { got, sends } = spread(mesh, author, stock, next)
      const flooding = [...mesh.values()].reduce((sum, links) => sum + links.size, 0)
      expect(got.size, `seed ${seed}`).toBe(size)
      expect(sends, `seed ${seed}`).toBeLessThanOrEqual(flooding)
    }
  })

  it('costs N−1 sends in a full mesh of Parley peers', () => {
    const size = 16
    const mesh = new Map<string, Set<string>>()
    const peers = Array.from({ length: size }, (_, n) => `p${n}`)
    for (const peer of peers) mesh.set(peer, new Set(peers.filter((other) => other !== peer)))
    expect(spread(mesh, 'p3', new Set(), random(7)).sends).toBe(size - 1)
  })
})

describe('droppedNeighbours', () => {
  it('is true only when a neighbour advertised before is gone', () => {
    expect(droppedNeighbours(undefined, new Set(['a']))).toBe(false)
    expect(droppedNeighbours(new Set(['a']), new Set(['a', 'b']))).toBe(false)
    expect(droppedNeighbours(new Set(['a', 'b']), new Set(['b']))).toBe(true)
  })
})

describe('stateVectorDigest', () => {
  it('depends on the entries, not their order', () => {
    const digest = stateVectorDigest(
      new Map([
        [5, 10],
        [2, 3],
      ]),
    )
    expect(digest).toMatch(/^[0-9a-f]{8}$/)
    expect(
      stateVectorDigest(
        new Map([
          [2, 3],
          [5, 10],
        ]),
      ),
    ).toBe(digest)
    expect(
      stateVectorDigest(
        new Map([
          [2, 3],
          [5, 11],
        ]),
      ),
    ).not.toBe(digest)
    expect(stateVectorDigest(new Map([[2, 3]]))).not.toBe(digest)
  })
})

describe('repairWaitMs', () => {
  it('asks a link at most once per REPAIR_MIN_INTERVAL_MS, and says how long until it may be asked again', () => {
    expect(repairWaitMs(undefined, 0)).toBe(0)
    expect(repairWaitMs(1000, 1000)).toBe(REPAIR_MIN_INTERVAL_MS)
    expect(repairWaitMs(1000, 1000 + REPAIR_MIN_INTERVAL_MS - 1)).toBe(1)
    expect(repairWaitMs(1000, 1000 + REPAIR_MIN_INTERVAL_MS)).toBe(0)
    expect(repairWaitMs(1000, 1000 + 2 * REPAIR_MIN_INTERVAL_MS)).toBe(0)
  })
})

describe('what a link left out of a batch is owed', () => {
  it('merges the ranges of the batches left out, per writer', () => {
    const owed = owedWith(undefined, [
      { client: 1, from: 10, to: 20 },
      { client: 2, from: 0, to: 5 },
    ])
    const later = owedWith(owed, [
      { client: 1, from: 25, to: 30 },
      { client: 3, from: 4, to: 6 },
    ])
    expect([...later.values()]).toEqual([
      { client: 1, from: 10, to: 30 },
      { client: 2, from: 0, to: 5 },
      { client: 3, from: 4, to: 6 },
    ])
    expect(owed.get(1)).toEqual({ client: 1, from: 10, to: 20 }) // not changed
  })

  it('is sent in parts of at most the cap, writer after writer, until nothing is owed', () => {
    const owed = owedWith(undefined, [
      { client: 1, from: 0, to: 150 },
      { client: 2, from: 40, to: 140 },
    ])
    const held = new Map([
      [1, 150],
      [2, 140],
    ])
    const first = catchUpCut(owed, held, new Map(), 200)
    expect(first).toEqual({
      ranges: [
        { client: 1, from: 0, to: 150 },
        { client: 2, from: 40, to: 90 },
      ],
      records: 200,
      rest: new Map([[2, { client: 2, from: 90, to: 140 }]]),
    })
    const second = catchUpCut(first.rest, held, new Map(), 200)
    expect(second).toEqual({ ranges: [{ client: 2, from: 90, to: 140 }], records: 50, rest: new Map() })
  })

  it('owes only what the document holds (records Yjs holds pending come as a batch of their own)', () => {
    const owed = owedWith(undefined, [
      { client: 1, from: 0, to: 10 },
      { client: 2, from: 5, to: 10 },
    ])
    const cut = catchUpCut(
      owed,
      new Map([
        [1, 6],
        [2, 3],
      ]),
      new Map(),
      200,
    )
    expect(cut).toEqual({ ranges: [{ client: 1, from: 0, to: 6 }], records: 6, rest: new Map() })
  })

  it('owes nothing the link is known to hold (its sync request, the changes it brought)', () => {
    const owed = owedWith(undefined, [
      { client: 1, from: 0, to: 100 },
      { client: 2, from: 0, to: 50 },
    ])
    const held = new Map([
      [1, 100],
      [2, 50],
    ])
    const known = new Map([
      [1, 80],
      [2, 50],
    ])
    expect(catchUpCut(owed, held, known, 200)).toEqual({ ranges: [{ client: 1, from: 80, to: 100 }], records: 20, rest: new Map() })
  })
})

describe('what a link is known to hold once it sent records', () => {
  it('grows by the records it sent that start within what it holds, new here or not', () => {
    const known = new Map([
      [1, 10],
      [2, 5],
    ])
    const after = knownWithSent(known, [
      { client: 1, from: 4, to: 30 }, // overlaps: it holds up to 30
      { client: 2, from: 5, to: 8 }, // continues: up to 8
      { client: 3, from: 0, to: 100 }, // a writer it held nothing of: from its first record
    ])
    expect(after).toEqual(
      new Map([
        [1, 30],
        [2, 8],
        [3, 100],
      ]),
    )
    expect(known.get(1)).toBe(10) // not changed
  })

  it('learns nothing from records past a gap (Yjs sends records it holds pending too), nor lower ones', () => {
    const known = new Map([[1, 10]])
    expect(
      knownWithSent(known, [
        { client: 1, from: 12, to: 20 },
        { client: 2, from: 3, to: 9 },
      ]),
    ).toEqual(known)
    expect(knownWithSent(known, [{ client: 1, from: 0, to: 6 }])).toEqual(known)
  })
})

describe('relay frames', () => {
  it('round-trip', () => {
    const frames: RelayFrame[] = [
      { t: 'nbrs', ids: ['0f8e2c4a-1b2c-4d5e-8f90-123456789abc', 'b'] },
      { t: 'nbrs', ids: [] },
      { t: 'nbrs', ids: ['a', 'b'], cap: 2 },
      { t: 'nbrs', ids: [], cap: 0 },
      { t: 'digest', sv: '0123abcd' },
      { t: 'digest', sv: '0123abcd', r: true },
    ]
    for (const frame of frames) expect(parseRelayFrame(encodeRelayFrame(frame))).toEqual(frame)
  })

  it('refuse anything else', () => {
    const tooMany = { t: 'nbrs', ids: Array.from({ length: MAX_NEIGHBOURS + 1 }, (_, n) => `p${n}`) }
    for (const data of [
      new ArrayBuffer(4),
      'not json',
      'null',
      '[]',
      '{"t":"nbrs"}',
      '{"t":"nbrs","ids":[1]}',
      '{"t":"nbrs","ids":["a b"]}',
      `{"t":"nbrs","ids":["${'x'.repeat(65)}"]}`,
      JSON.stringify(tooMany),
      '{"t":"nbrs","ids":[],"cap":-1}',
      '{"t":"nbrs","ids":[],"cap":1.5}',
      '{"t":"nbrs","ids":[],"cap":"2"}',
      `{"t":"nbrs","ids":[],"cap":${MAX_NEIGHBOURS + 1}}`,
      '{"t":"digest","sv":"0123ABCD"}',
      '{"t":"digest","sv":"123"}',
      '{"t":"digest","sv":"0123abcd","r":1}',
      '{"t":"beat"}',
    ]) {
      expect(parseRelayFrame(data), String(data).slice(0, 40)).toBeNull()
    }
  })
})
