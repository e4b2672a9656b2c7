// RoomPresence and the room's messages: a state asked for while a message is being signed (the
// typing state a send ends) is signed and published only after the message has left, and a
// verified message from a typing user ends their typing mark (spoke).
import { describe, expect, it, vi } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness'
import { generateSigningKeys, signerFor, type Signer } from '../../src/identity/index.js'
import type { MemberMeta } from '../../src/membership/members.js'
import { RoomPresence } from '../../src/membership/room-presence.js'
import { TYPING_ENDED_MAX_MS, TYPING_ENDED_RECENT_MS } from '../../src/membership/typing-ended.js'

/** The typing flag this tab publishes in its awareness state, if any. */
function publishedTyping(awareness: Awareness): boolean | undefined {
  const state = awareness.getLocalState() as { presence?: { meta: MemberMeta } | null } | null
  return state?.presence?.meta.typing
}

/** An awareness state as the tests read it. */
type State = { presence?: { meta: MemberMeta } } | null

/**
 * Alice's and Bob's presence in one room; every change of Alice's state reaches Bob through his
 * screen, as over a link, while `link.open`, changed on the way by `relay` (an older tab, or a
 * liar). `screened()` counts the updates the screen refused as sent.
 */
async function aliceAndBob(relay: (state: State, clientID: number) => State = (state) => state) {
  const signer = await signerFor(await generateSigningKeys())
  const aliceAwareness = new Awareness(new Y.Doc())
  const bobAwareness = new Awareness(new Y.Doc())
  const alice = new RoomPresence(aliceAwareness, 'topic')
  const bob = new RoomPresence(bobAwareness, 'topic')
  const aliceID = aliceAwareness.clientID
  const link = { open: true }
  let screened = 0
  aliceAwareness.on('update', () => {
    if (!link.open) return
    const clock = aliceAwareness.meta.get(aliceID)?.clock ?? 0
    const state = relay(aliceAwareness.getLocalState() as State, aliceID)
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 1)
    encoding.writeVarUint(encoder, aliceID)
    encoding.writeVarUint(encoder, clock)
    encoding.writeVarString(encoder, JSON.stringify(state))
    if (bob.screenAwareness([{ client: aliceID, clock, state }]))
      applyAwarenessUpdate(bobAwareness, encoding.toUint8Array(encoder), 'network')
    else screened++
  })
  return { signer, alice, bob, aliceID, link, screened: () => screened }
}

/** A new signer that counts the signatures it makes. */
async function countingSigner(): Promise<{ signer: Signer; signatures: () => number }> {
  const real = await signerFor(await generateSigningKeys())
  let count = 0
  const signer: Signer = {
    ...real,
    sign: async (bytes) => {
      count++
      return real.sign(bytes)
    },
  }
  return { signer, signatures: () => count }
}

/** A message the test sends and lets leave: what RoomPresence is told is in flight. */
function messageInFlight(): { inFlight: () => Promise<void> | null; start(): void; leave(): void } {
  let pending: Promise<void> | null = null
  let left = (): void => {}
  return {
    inFlight: () => pending,
    start: () => {
      pending = new Promise<void>((resolve) => {
        left = resolve
      })
    },
    leave: () => {
      pending = null
      left()
    },
  }
}

describe('RoomPresence with messages in flight', () => {
  it('signs a state asked for while messages are in flight only once they have left, then publishes it', async () => {
    const awareness = new Awareness(new Y.Doc())
    const { signer, signatures } = await countingSigner()
    const message = messageInFlight()
    const presence = new RoomPresence(awareness, 'topic', message.inFlight)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      presence.input()
      await expect.poll(() => publishedTyping(awareness)).toBe(true)

      message.start()
      const before = signatures()
      presence.stopTyping('send')
      // Everything the request set going has run: nothing signed (WebCrypto would run the
      // signatures ahead of the message's own continuation), nothing published.
      await new Promise((resolve) => setImmediate(resolve))
      expect(signatures()).toBe(before)
      expect(publishedTyping(awareness)).toBe(true)

      message.leave()
      await expect.poll(() => publishedTyping(awareness)).toBe(false)
      expect(signatures()).toBe(before + 2) // the state and its goodbye
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })

  it('signs only the newest of the states asked for while messages are in flight', async () => {
    const awareness = new Awareness(new Y.Doc())
    const { signer, signatures } = await countingSigner()
    const message = messageInFlight()
    const presence = new RoomPresence(awareness, 'topic', message.inFlight)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      message.start()
      const before = signatures()
      presence.input()
      presence.stopTyping('send')
      message.leave()
      await expect.poll(signatures).toBe(before + 2)
      await new Promise((resolve) => setImmediate(resolve))
      expect(signatures()).toBe(before + 2)
      expect(publishedTyping(awareness)).toBe(false)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })

  it('publishes at once when no message is in flight', async () => {
    const awareness = new Awareness(new Y.Doc())
    const signer = await signerFor(await generateSigningKeys())
    const presence = new RoomPresence(awareness, 'topic', () => null)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      presence.input()
      await expect.poll(() => publishedTyping(awareness)).toBe(true)
      presence.stopTyping('send')
      await expect.poll(() => publishedTyping(awareness)).toBe(false)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})

describe('RoomPresence leaving without closing', () => {
  it('says goodbye first, so a peer that verified the tab drops it at once', async () => {
    const { signer, alice, bob, screened } = await aliceAndBob()
    const members = () => bob.view.members.map((m) => `${m.name} ${m.verdict}`)
    try {
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      await expect.poll(members).toEqual(['Alice verified'])
      alice.leave()
      await expect.poll(members).toEqual([])
      // Not applied as sent: her first state and the goodbye (held until they verified, then
      // applied) and the untracked state (refused before the goodbye verified: not needed).
      expect(screened()).toBe(3)
    } finally {
      alice.destroy()
      bob.destroy()
    }
  })
})

/** One tab's presence with a fresh key of its own, in a room of its own ('topic'). */
async function signedTab() {
  const signer = await signerFor(await generateSigningKeys())
  const awareness = new Awareness(new Y.Doc())
  return { signer, awareness, presence: new RoomPresence(awareness, 'topic') }
}

describe('RoomPresence.userKey', () => {
  it('names the user from join() on, before the first state is signed, and after the tab left', async () => {
    const { signer, awareness, presence } = await signedTab()
    try {
      expect(presence.userKey).toBeNull()
      const joined = presence.join({ userId: signer.userId, name: 'Alice', signer })
      // Signing is async: no goodbye yet, but the tab's siblings' goodbyes are the user's to publish.
      expect(presence.goodbye).toBeNull()
      expect(presence.userKey).toBe(signer.userId)
      await joined
      presence.sayGoodbye()
      presence.leave()
      expect(presence.userKey).toBe(signer.userId)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})

describe('RoomPresence.onGoodbye', () => {
  it('tells of each new goodbye before the state it belongs to is published', async () => {
    const { signer, awareness, presence } = await signedTab()
    const told: { goodbye: number | undefined; published: boolean | undefined }[] = []
    presence.onGoodbye(() => told.push({ goodbye: presence.goodbye?.meta.counter, published: publishedTyping(awareness) }))
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      presence.input()
      await expect.poll(() => publishedTyping(awareness)).toBe(true)
      // Each goodbye is the next counter of its state, and was told while the state before it stood.
      expect(told).toEqual([
        { goodbye: 2, published: undefined },
        { goodbye: 4, published: false },
      ])
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})

describe('RoomPresence when a sibling published its goodbye', () => {
  it('says a new state above the goodbye while it stays', async () => {
    const { signer, awareness, presence } = await signedTab()
    const published = () => (awareness.getLocalState() as { presence: { meta: MemberMeta } } | null)?.presence.meta
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      const goodbye = presence.goodbye
      expect(goodbye?.meta).toMatchObject({ counter: 2, left: true })
      // What a sibling that left sends back over the BroadcastChannel: this tab's own goodbye.
      const state = awareness.getLocalState() as { presence: { version: number } }
      const clock = (awareness.meta.get(awareness.clientID)?.clock ?? 0) + 1
      const field = { key: signer.userId, meta: goodbye?.meta, version: state.presence.version + 1 }
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, 1)
      encoding.writeVarUint(encoder, awareness.clientID)
      encoding.writeVarUint(encoder, clock)
      encoding.writeVarString(encoder, JSON.stringify({ presence: field }))
      applyAwarenessUpdate(awareness, encoding.toUint8Array(encoder), 'broadcast channel')
      await expect.poll(() => published()?.counter).toBe(3)
      expect(published()?.left).toBeUndefined()
      expect(presence.goodbye?.meta.counter).toBe(4)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})

describe('RoomPresence and rumors of a tab lost (liveness without a link)', () => {
  /** Alice's states reach Bob through his screen, changed on the way by `relay` (an older tab, or a liar). */
  async function aliceSeenByBob(relay: (state: State, clientID: number) => State) {
    const { signer, alice, bob, aliceID } = await aliceAndBob(relay)
    await alice.join({ userId: signer.userId, name: 'Alice', signer })
    await expect.poll(() => bob.view.members.map((m) => `${m.name} ${m.verdict}`)).toEqual(['Alice verified'])
    const destroy = () => {
      alice.destroy()
      bob.destroy()
    }
    return { bob, aliceID, destroy }
  }

  const withMeta = (state: State, change: (meta: MemberMeta) => MemberMeta): State =>
    state?.presence == null ? state : { ...state, presence: { ...state.presence, meta: change(state.presence.meta) } }

  it('trusts a rumor only about a tab that signed that it answers one', async () => {
    const { bob, aliceID, destroy } = await aliceSeenByBob((state) => state)
    try {
      expect(bob.refutesRumors(12345)).toBe(true) // nothing proven of it: anyone could remove it anyway
      await expect.poll(() => bob.refutesRumors(aliceID)).toBe(true)
    } finally {
      destroy()
    }
  })

  it('leaves a proven tab that did not sign it (an older tab) to the timeout, and one whose proof is another tab’s', async () => {
    const older = await aliceSeenByBob((state) => withMeta(state, ({ refutes: _proof, ...meta }) => meta))
    // Another tab of hers signed its own proof; a liar puts it into Alice's state.
    let proof: string | undefined
    const other = await aliceSeenByBob((state) => {
      proof ??= state?.presence?.meta.refutes
      return state
    })
    expect(proof).toBeDefined()
    const borrowed = await aliceSeenByBob((state) => withMeta(state, (meta) => ({ ...meta, refutes: proof ?? '' })))
    try {
      for (let i = 0; i < 5; i++) {
        expect(older.bob.refutesRumors(older.aliceID)).toBe(false)
        expect(borrowed.bob.refutesRumors(borrowed.aliceID)).toBe(false)
        await new Promise((resolve) => setTimeout(resolve, 20)) // checks settle meanwhile
      }
    } finally {
      older.destroy()
      other.destroy()
      borrowed.destroy()
    }
  })
})

describe('RoomPresence when a verified message from a typing user arrives', () => {
  /** Alice typing as Bob sees her; her later states reach him only while `link.open` (a late stopped-typing state). */
  async function aliceTyping() {
    const { signer, alice, bob, link } = await aliceAndBob()
    await alice.join({ userId: signer.userId, name: 'Alice', signer })
    alice.input()
    await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
    return { alice, bob, userId: signer.userId, link }
  }

  /** Runs `test` with Alice typing as Bob sees her, and destroys both after. */
  const withAliceTyping = (test: (pair: Awaited<ReturnType<typeof aliceTyping>>) => Promise<void>) => async () => {
    const pair = await aliceTyping()
    try {
      await test(pair)
    } finally {
      pair.alice.destroy()
      pair.bob.destroy()
    }
  }

  it(
    'ends her typing mark at once while her own stopped-typing state is late, until her next state',
    withAliceTyping(async ({ alice, bob, userId, link }) => {
      const views: string[] = []
      bob.onChange((view) => views.push(`${view.typingLine}|${view.members.map((member) => member.typing)}`))
      link.open = false
      alice.stopTyping('send')
      // History (claimed sent long ago) ends nothing, and tells no one.
      bob.spoke(userId, Date.now() - TYPING_ENDED_RECENT_MS - 1)
      expect(views).toEqual([])
      bob.spoke(userId, Date.now())
      expect(views).toEqual(['|false'])
      bob.spoke(userId, Date.now()) // already ended: nothing more
      expect(views).toEqual(['|false'])
      // Her next keystroke is a new state: she shows typing again.
      link.open = true
      alice.input()
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
    }),
  )

  it(
    'shows her typing again once the ended mark expires, if no state of hers came',
    withAliceTyping(async ({ bob, userId, link }) => {
      link.open = false
      const now = Date.now()
      bob.spoke(userId, now, now - TYPING_ENDED_MAX_MS + 30)
      expect(bob.view.typingLine).toBe('')
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
    }),
  )

  it(
    "ends nothing of this tab's own user",
    withAliceTyping(async ({ alice, bob, userId }) => {
      const views: string[] = []
      alice.onChange((view) => views.push(view.typingLine))
      alice.spoke(userId, Date.now())
      bob.spoke('someone-else', Date.now())
      expect(views).toEqual([])
      expect(bob.view.typingLine).toBe('Alice is typing…')
    }),
  )
})

describe("RoomPresence and this tab's own signatures", () => {
  it('checks no signature it made itself: its own states show as verified without a verify call', async () => {
    const { signer, awareness, presence } = await signedTab()
    const verify = vi.spyOn(crypto.subtle, 'verify')
    const own = () => presence.view.members.map((member) => `${member.name} ${member.verdict} ${member.typing}`)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      await expect.poll(own).toEqual(['Alice verified false'])
      presence.input()
      await expect.poll(own).toEqual(['Alice verified true'])
      presence.stopTyping('send')
      await expect.poll(own).toEqual(['Alice verified false'])
      // Each state was signed here a moment ago: checking it again costs a sender a verify, a
      // second view and a redraw of the members right after its message left.
      expect(verify).not.toHaveBeenCalled()
    } finally {
      verify.mockRestore()
      presence.destroy()
      awareness.destroy()
    }
  })
})

describe('RoomPresence.siblingsOf (the tabs a silent link may have carried, for liveness)', () => {
  it('names the other tabs in awareness tracked as the same user, its goodbye included', () => {
    const awareness = new Awareness(new Y.Doc())
    const presence = new RoomPresence(awareness, 'topic')
    const meta = { name: 'Bob', typing: false, since: 0 }
    const goodbye = { ...meta, publicKey: 'k', signature: 's', counter: 2, left: true }
    const states: [number, unknown][] = [
      [1, { presence: { key: 'bob', meta, version: 0 } }],
      [2, { presence: { key: 'bob', meta: goodbye, version: 1 } }],
      [3, { presence: { key: 'alice', meta: { ...meta, name: 'Alice' }, version: 0 } }],
      [4, { presence: null }],
    ]
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, states.length)
    for (const [client, state] of states) {
      encoding.writeVarUint(encoder, client)
      encoding.writeVarUint(encoder, 1)
      encoding.writeVarString(encoder, JSON.stringify(state))
    }
    applyAwarenessUpdate(awareness, encoding.toUint8Array(encoder), 'network')
    try {
      expect(presence.siblingsOf(1)).toEqual([2])
      expect(presence.siblingsOf(2)).toEqual([1])
      expect(presence.siblingsOf(3)).toEqual([])
      expect(presence.siblingsOf(4)).toEqual([]) // names no user
      expect(presence.siblingsOf(99)).toEqual([]) // no state
    } finally {
      presence.destroy()
    }
  })

  it('names none of this tab’s own user: it hears its siblings over their BroadcastChannel', async () => {
    const { signer, alice, bob, aliceID } = await aliceAndBob()
    try {
      await bob.join({ userId: signer.userId, name: 'Bob', signer }) // the same profile as Alice's tab
      await alice.join({ userId: signer.userId, name: 'Alice', signer })
      // Alice's tab verified, so in Bob's awareness beside his own.
      await expect.poll(() => bob.view.members.map((m) => `${m.tabs} ${m.verdict}`)).toEqual(['2 verified'])
      expect(bob.siblingsOf(aliceID)).toEqual([])
    } finally {
      alice.destroy()
      bob.destroy()
    }
  })
})
