// A Room in Node without WebRTC or signaling: what it counts, and the messages snapshot it
// hands out. Another peer's writes arrive as Yjs updates applied to the room's document.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { CHECKED_NEWEST, FORGERIES_SHOWN, forgedLaneOf, keysOf, messagesOf, type MessageRecord } from '../../src/history/index.js'
import { fromBase64url, generateSigningKeys, messageBytes, signerFor } from '../../src/identity/index.js'
import { Room, type Author, type ReadonlyList } from '../../src/room/index.js'

const rooms: Room[] = []
let nextRoom = 0

afterEach(() => {
  for (const room of rooms.splice(0)) room.close()
})

/** A room over `doc` that talks to nobody (no signaling, no storage), and a peer that writes to it. */
function openRoom(): { room: Room; peer: Y.Doc } {
  const doc = new Y.Doc()
  // Unique names: y-webrtc links rooms of one topic in a process over BroadcastChannel.
  const room = new Room({ name: `room-test-${process.pid}-${nextRoom++}`, signalingUrls: [], persist: false, doc })
  rooms.push(room)
  const peer = new Y.Doc()
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
  peer.on('update', (update: Uint8Array) => Y.applyUpdate(doc, update, 'peer'))
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== 'peer') Y.applyUpdate(peer, update)
  })
  return { room, peer }
}

const alice: Author = { name: 'Alice', userId: 'u-alice', signer: null }
const record = (n: number): MessageRecord => ({
  id: `m${n}`,
  authorId: 'u-bob',
  authorName: 'Bob',
  text: `message ${n}`,
  sentAt: 1000 + n * 1000,
})

describe('Room.stats', () => {
  it('counts records another peer wrote that fail validation as skipped, and shows none of them', () => {
    const { room, peer } = openRoom()
    messagesOf(peer).push([record(1), { id: 'm2', text: 42 }, 'not a record'])
    expect([...room.messages].map((m) => m.id)).toEqual(['m1'])
    expect(room.stats().skippedRecords).toBe(2)
    messagesOf(peer).push([{ id: 'm3' }])
    expect(room.stats().skippedRecords).toBe(3)
  })

  it('counts a message another peer deleted as restored, and puts it back', async () => {
    const { room, peer } = openRoom()
    await room.send(alice, 'hello')
    await room.send(alice, 'still here')
    messagesOf(peer).delete(0, 1)
    expect(room.stats().restoredRecords).toBe(1)
    await vi.waitFor(() => expect([...room.messages].map((m) => m.text)).toEqual(['hello', 'still here']))
    expect(messagesOf(peer).length).toBe(2)
  })

  it('starts with every transport counter at zero, and returns a copy', () => {
    const { room } = openRoom()
    const stats = room.stats()
    expect(stats).toEqual({
      skippedRecords: 0,
      restoredRecords: 0,
      hiddenRecords: 0,
      refusedRecords: 0,
      refusedMessages: 0,
      budgetChecks: 0,
      skippedAnnotations: 0,
      hiddenAnnotations: 0,
      restoredAnnotations: 0,
      forgedPresence: 0,
      presenceChecksRefused: 0,
      changeBatches: { encoded: 0, partsSkipped: 0 },
      framing: {
        droppedMessages: 0,
        violations: 0,
        framedMessages: 0,
        reassembledMessages: 0,
        refusedMessages: 0,
        handlerErrors: 0,
        deflatedMessages: 0,
        inflatedMessages: 0,
        slicedMessages: 0,
        orphanedSlices: 0,
      },
      refused: { malformed: 0, 'rate-limited': 0, screened: 0, flooding: 0, oversized: 0, 'oversized-awareness': 0 },
      bannedPeers: 0,
      bannedWriters: 0,
      droppedLinks: 0,
      garbageFrames: { framing: 0, liveness: 0, relay: 0 },
      relay: { relayed: 0, pruned: 0, repairRequests: 0, leftToRepair: 0, caughtUp: 0, caughtUpRecords: 0 },
      sent: { liveness: 0, data: 0 },
      liveLinks: 0,
      rumorWaits: { started: 0, dropped: 0, waiting: 0 },
      join: {
        invitations: 0,
        lostOffers: 0,
        reoffers: 0,
        reinvitations: 0,
        lapseOffers: 0,
        cap: { takes: 0, shed: 0, reannounced: 0, bridges: 0, bridged: 0, lateShed: 0 },
      },
      files: {
        fetching: 0,
        serving: 0,
        sentFrames: 0,
        servedBytes: 0,
        verifiedChunks: 0,
        rejectedChunks: 0,
        garbageFrames: 0,
        refusedRequests: 0,
      },
      syncReplies: { answered: 0, encoded: 0, encodedAhead: 0, heldBytes: 0, warmUps: 0, aheadMs: 0, preparingMs: 0, encodedForOlder: 0 },
      siblings: { answersSetAside: 0, bytesSetAside: 0, requestsAfterLoad: 0 },
    })
    stats.framing.violations = 5
    stats.refused.malformed = 5
    expect(room.stats().framing.violations).toBe(0)
    expect(room.stats().refused.malformed).toBe(0)
  })

  it('has the file counters once a file is shared, as a copy', async () => {
    const { room } = openRoom()
    const signer = await signerFor(await generateSigningKeys())
    await room.sendFile({ ...alice, userId: signer.userId, signer }, { name: 'a.bin', type: '', bytes: new Uint8Array(100) })
    const stats = room.stats()
    expect(stats.files).toEqual(expect.objectContaining({ fetching: 0, serving: 0, sentFrames: 0, servedBytes: 0 }))
    stats.files.fetching = 5
    expect(room.stats().files.fetching).toBe(0)
  })
})

/**
 * A room where Alice (signing) said hello, then a peer wrote `count` forgeries claiming her id
 * and her real key, signed by another key (only a check tells), claiming the times `sentAt` gives.
 */
async function aliceAndAForger(
  count: number,
  sentAt: (n: number) => number,
): Promise<{ room: Room; signer: Awaited<ReturnType<typeof signerFor>>; author: Author }> {
  const { room, peer } = openRoom()
  const signer = await signerFor(await generateSigningKeys())
  const forger = await signerFor(await generateSigningKeys())
  const author: Author = { name: 'Alice', userId: signer.userId, signer }
  await room.send(author, 'hello', 1000)
  const forgeries = Array.from({ length: count }, (_, n) => {
    const unsigned = {
      id: `forged-${n}`,
      authorId: signer.userId,
      authorName: 'Alice',
      text: `forged ${n}`,
      sentAt: sentAt(n),
      publicKey: signer.publicKey,
    }
    return forger.sign(messageBytes(room.topic, unsigned)).then((signature) => ({ ...unsigned, signature }))
  })
  for (const forged of await Promise.all(forgeries)) messagesOf(peer).push([forged])
  return { room, signer, author }
}

describe('Room.hidden', () => {
  it('shows an author only as fast as a person writes, and counts the rest', () => {
    const { room, peer } = openRoom()
    const flood = Array.from({ length: 500 }, (_, n): MessageRecord => ({ ...record(n), sentAt: 1000 + n }))
    for (const message of flood) messagesOf(peer).push([message])
    const shown = room.messages.length
    expect(shown).toBeGreaterThan(0)
    expect(shown).toBeLessThan(100)
    expect([...room.messages]).toEqual(flood.slice(0, shown))
    // Unsigned records claim nobody's key: they are charged as unverified, apart from any signer's.
    expect(room.hidden.get(forgedLaneOf('u-bob'))).toEqual({ authorName: 'Bob', count: 500 - shown, after: shown, forged: true })
    expect(room.stats().hiddenRecords).toBe(500 - shown)
  })

  it('gives an author back what forgeries under their id spent, once their signatures fail', { timeout: 30_000 }, async () => {
    const { room, signer, author } = await aliceAndAForger(300, (n) => 2000 + n)
    await room.send(author, 'still here', 3000)
    await room.send(author, 'and here', 4000)
    await vi.waitFor(() => expect(room.hidden.has(signer.userId)).toBe(false), { timeout: 20_000 })
    const texts = [...room.messages].map((message) => message.text)
    expect(texts.filter((text) => !text.startsWith('forged'))).toEqual(['hello', 'still here', 'and here'])
    expect(texts.filter((text) => text.startsWith('forged')).length).toBeLessThan(100)
    expect(room.hidden.get(forgedLaneOf(signer.userId))?.forged).toBe(true)
  })
})

describe('Room.hidden under a forged flood', () => {
  it('shows a few forgeries under an id and counts the rest, and the page’s own messages at once', { timeout: 30_000 }, async () => {
    // Claimed a second apart, slower than a lane refills: a rate alone would show every one.
    const { room, signer, author } = await aliceAndAForger(200, (n) => 2000 + n * 1000)
    const forgedShown = () => [...room.messages].filter((message) => message.text.startsWith('forged')).length
    await vi.waitFor(() => expect(room.hidden.get(forgedLaneOf(signer.userId))?.count).toBe(200 - FORGERIES_SHOWN), { timeout: 20_000 })
    expect(forgedShown()).toBe(FORGERIES_SHOWN)
    // Alice's id is suspect now, yet what this page signs shows as it is written, not after a check.
    await room.send(author, 'still me', 300_000)
    expect(room.messages.at(-1)?.text).toBe('still me')
  })
})

describe('Room budget checks', () => {
  it('checks the newest of a whole history that arrives at once, not every record, and still finds a forger spacing its times after it', {
    timeout: 60_000,
  }, async () => {
    // A joiner's history comes in one update, and so does a page's own from storage
    // (history/persistence.ts applies what it stored in one transaction).
    const { room, peer } = openRoom()
    const alice = await signerFor(await generateSigningKeys())
    const bob = await signerFor(await generateSigningKeys())
    const forger = await signerFor(await generateSigningKeys())
    const signed = (signer: typeof alice, claimed: typeof alice, id: string, sentAt: number): Promise<MessageRecord> => {
      const unsigned = { id, authorId: claimed.userId, authorName: 'name', text: id, sentAt, publicKey: claimed.publicKey }
      return signer.sign(messageBytes(room.topic, unsigned)).then((signature) => ({ ...unsigned, signature }))
    }
    const history = 4 * CHECKED_NEWEST
    // Claimed a second apart: Alice's lane never hides one.
    const real = await Promise.all(Array.from({ length: history }, (_, n) => signed(alice, alice, `real-${n}`, 1000 + n * 1000)))
    // Forgeries under Bob's id, claimed a second apart too: his lane never hides one either.
    const forged = FORGERIES_SHOWN + 5
    const forgeries = await Promise.all(
      Array.from({ length: forged }, (_, n) => signed(forger, bob, `forged-${n}`, 1000 + (history + n) * 1000)),
    )
    messagesOf(peer).push(real)
    for (const forgery of forgeries) messagesOf(peer).push([forgery])
    // Found, though Bob's lane hid nothing: all but FORGERIES_SHOWN of them counted, not shown.
    await vi.waitFor(() => expect(room.hidden.get(forgedLaneOf(bob.userId))?.count).toBe(forged - FORGERIES_SHOWN), { timeout: 50_000 })
    expect([...room.messages].filter((message) => message.id.startsWith('forged')).length).toBe(FORGERIES_SHOWN)
    expect([...room.messages].filter((message) => message.id.startsWith('real')).length).toBe(history)
    // The newest of the history, then each forgery as it came; once the forgeries are found, the
    // newest shown are all checked already. Not the rest of Alice's history: her lane hid nothing.
    expect(room.stats().budgetChecks).toBe(CHECKED_NEWEST + forged)
  })
})

describe('Room.messages', () => {
  it('is the same snapshot on every read until the messages change, and a new one after', async () => {
    const { room, peer } = openRoom()
    await room.send(alice, 'one')
    const first = room.messages
    expect(room.messages).toBe(first)
    await room.send(alice, 'two')
    const second = room.messages
    expect(second).not.toBe(first)
    expect([...first].map((m) => m.text)).toEqual(['one'])
    expect([...second].map((m) => m.text)).toEqual(['one', 'two'])
    // A change that adds no message (only an invalid record) keeps the snapshot.
    messagesOf(peer).push([{ id: 'broken' }])
    expect(room.messages).toBe(second)
  })

  it('hands listeners the snapshot it returns, one per change however many messages it brought', () => {
    const { room, peer } = openRoom()
    const seen: Array<ReadonlyList<MessageRecord>> = []
    room.onMessages((_change, messages) => seen.push(messages))
    messagesOf(peer).push(Array.from({ length: 1000 }, (_, n) => record(n)))
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBe(room.messages)
    expect(seen[0]).toHaveLength(1000)
    messagesOf(peer).push([record(1000)])
    expect(seen).toHaveLength(2)
    expect(seen[1]).toBe(room.messages)
    expect(seen[0]).toHaveLength(1000)
  })
})

describe('Room.send', () => {
  it('writes binary records, the key once per author, and shows them beside full records of older builds', async () => {
    const { room, peer } = openRoom()
    const signer = await signerFor(await generateSigningKeys())
    const author: Author = { name: 'Alice', userId: signer.userId, signer }
    // An older build's record, key and signature inline, already in the room.
    const unsigned = { id: 'old-1', authorId: signer.userId, authorName: 'Alice', text: 'from an older build', sentAt: 1000 }
    const old = { ...unsigned, publicKey: signer.publicKey }
    messagesOf(peer).push([{ ...old, signature: await signer.sign(messageBytes(room.topic, old)) }])
    await room.send(author, 'one', 2000)
    await room.send(author, 'two', 3000)
    expect(
      messagesOf(peer)
        .toArray()
        .map((stored) =>
          Object.keys(stored as object)
            .sort()
            .join(),
        ),
    ).toEqual(['authorId,authorName,id,publicKey,sentAt,signature,text', 'r,text', 'r,text'])
    expect(keysOf(peer).toArray()).toEqual([fromBase64url(signer.publicKey)])
    expect([...room.messages].map((m) => [m.text, m.publicKey])).toEqual([
      ['from an older build', signer.publicKey],
      ['one', signer.publicKey],
      ['two', signer.publicKey],
    ])
    expect(room.stats().skippedRecords).toBe(0)
  })

  it('makes nothing on a message’s way out but its signed bytes: its id was made before, what the budgets keep of it after', async () => {
    const doc = new Y.Doc()
    const room = new Room({ name: `room-test-${process.pid}-${nextRoom++}`, signalingUrls: [], persist: false, doc })
    rooms.push(room)
    const signer = await signerFor(await generateSigningKeys())
    const author: Author = { name: 'Alice', userId: signer.userId, signer }
    await room.send(author, 'first')
    const random = vi.spyOn(crypto, 'getRandomValues')
    const stringify = vi.spyOn(JSON, 'stringify')
    // What was made from the send's call until its transaction's change goes out (as Yjs is about to call the observers).
    const madeBeforeOut: string[] = []
    doc.on('beforeObserverCalls', (transaction: Y.Transaction) => {
      if (transaction.local) madeBeforeOut.push(`${random.mock.calls.length} random, ${stringify.mock.calls.length} strings`)
    })
    try {
      const sent = await room.send(author, 'second')
      // The signed bytes are one string; a verdict still finds the message good without a check.
      expect(madeBeforeOut).toEqual(['0 random, 1 strings'])
      expect([...room.messages].map((m) => [m.text, m.id === sent.id])).toEqual([
        ['first', false],
        ['second', true],
      ])
      // Had the budgets not known it good, they would check it in the checks' next task.
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(room.stats().budgetChecks).toBe(0)
    } finally {
      random.mockRestore()
      stringify.mockRestore()
    }
  })
})

describe('Room.signedHere', () => {
  it('answers once a message, for the last messages this tab signed, and not for a copy with another text', async () => {
    const { room } = openRoom()
    const signer = await signerFor(await generateSigningKeys())
    const author: Author = { name: 'Alice', userId: signer.userId, signer }
    const sent = []
    for (let n = 0; n < 260; n++) sent.push(await room.send(author, `line ${n}`))
    const last = sent[sent.length - 1]
    expect(room.signedHere({ ...last, text: 'not what she signed' })).toBe(false)
    expect(room.signedHere(last)).toBe(true)
    // The asker remembers it; the room lets it go.
    expect(room.signedHere(last)).toBe(false)
    // A page that never asked keeps the last 256: older ones are checked like anyone's.
    expect(room.signedHere(sent[0])).toBe(false)
    expect(room.signedHere(sent[sent.length - 256])).toBe(true)
  }, 30_000)
})
