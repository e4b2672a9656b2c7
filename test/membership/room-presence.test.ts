// RoomPresence around sends: a state signed while a message is being signed is published only
// after the message has left, a send's stopped-typing state follows it a little later, and a
// message that arrives ends its author's typing mark at once.
import { describe, expect, it } from 'vitest'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import type { MessageRecord } from '../../src/history/index.js'
import { generateSigningKeys, messageBytes, signerFor, type Signer } from '../../src/identity/index.js'
import type { MemberMeta } from '../../src/membership/members.js'
import { RoomPresence, TYPING_STOP_AFTER_SEND_MS } from '../../src/membership/room-presence.js'

/** The typing flag this tab publishes in its awareness state, if any. */
function publishedTyping(awareness: Awareness): boolean | undefined {
  const state = awareness.getLocalState() as { presence?: { meta: MemberMeta } | null } | null
  return state?.presence?.meta.typing
}

/** A tab of Alice's, signed, that has published that she is typing; no messages in flight. */
async function typingTab(): Promise<{ awareness: Awareness; presence: RoomPresence }> {
  const awareness = new Awareness(new Y.Doc())
  const signer = await signerFor(await generateSigningKeys())
  const presence = new RoomPresence(awareness, 'topic', () => null)
  await presence.join({ userId: signer.userId, name: 'Alice', signer })
  presence.input()
  await expect.poll(() => publishedTyping(awareness)).toBe(true)
  return { awareness, presence }
}

/** Alice's and Bob's presence; every change of Alice's state reaches Bob through his screen, as over a link. */
async function linkedPair() {
  const signer = await signerFor(await generateSigningKeys())
  const aliceAwareness = new Awareness(new Y.Doc())
  const bobAwareness = new Awareness(new Y.Doc())
  const alice = new RoomPresence(aliceAwareness, 'topic')
  const bob = new RoomPresence(bobAwareness, 'topic')
  const aliceID = aliceAwareness.clientID
  let screened = 0
  aliceAwareness.on('update', () => {
    const update = encodeAwarenessUpdate(aliceAwareness, [aliceID])
    const entries = [{ client: aliceID, clock: aliceAwareness.meta.get(aliceID)?.clock ?? 0, state: aliceAwareness.getLocalState() }]
    if (bob.screenAwareness(entries)) applyAwarenessUpdate(bobAwareness, update, 'network')
    else screened++
  })
  const close = (): void => {
    alice.destroy()
    bob.destroy()
  }
  return { signer, alice, bob, screened: () => screened, close }
}

describe('RoomPresence with messages in flight', () => {
  it('holds a state signed while messages are in flight until they have left, then publishes it', async () => {
    const awareness = new Awareness(new Y.Doc())
    const real = await signerFor(await generateSigningKeys())
    let signatures = 0
    const signer: Signer = {
      ...real,
      sign: async (bytes) => {
        const signature = await real.sign(bytes)
        signatures++
        return signature
      },
    }
    let inFlight: Promise<void> | null = null
    const presence = new RoomPresence(awareness, 'topic', () => inFlight)
    try {
      await presence.join({ userId: signer.userId, name: 'Alice', signer })
      presence.input()
      await expect.poll(() => publishedTyping(awareness)).toBe(true)

      let left = (): void => {}
      inFlight = new Promise<void>((resolve) => {
        left = resolve
      })
      const before = signatures
      presence.stopTyping('send')
      await expect.poll(() => signatures).toBe(before + 2) // the state and its goodbye
      // Signed, and everything those signatures set going has run: still held behind the message.
      await new Promise((resolve) => setImmediate(resolve))
      expect(publishedTyping(awareness)).toBe(true)

      inFlight = null
      left()
      await expect.poll(() => publishedTyping(awareness)).toBe(false)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })

  it('publishes at once on blur, with no message in flight', async () => {
    const { awareness, presence } = await typingTab()
    try {
      presence.stopTyping('blur')
      await expect.poll(() => publishedTyping(awareness), { timeout: TYPING_STOP_AFTER_SEND_MS / 2 }).toBe(false)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})

describe('RoomPresence after a send', () => {
  it(`publishes the stopped-typing state ${TYPING_STOP_AFTER_SEND_MS} ms after the send, not with the message`, async () => {
    const { awareness, presence } = await typingTab()
    try {
      const sentAt = performance.now()
      presence.stopTyping('send')
      presence.stopTyping('blur') // the composer's own "draft ended" right after: nothing more to say
      await new Promise((resolve) => setTimeout(resolve, TYPING_STOP_AFTER_SEND_MS / 2))
      expect(publishedTyping(awareness)).toBe(true)
      await expect.poll(() => publishedTyping(awareness)).toBe(false)
      expect(performance.now() - sentAt).toBeGreaterThanOrEqual(TYPING_STOP_AFTER_SEND_MS - 1)
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })

  it('publishes typing again at once when the user types before the stopped state went out, and never the stale stop', async () => {
    const { awareness, presence } = await typingTab()
    const published: (boolean | undefined)[] = []
    awareness.on('change', () => published.push(publishedTyping(awareness)))
    try {
      const counter = () => (awareness.getLocalState() as { presence: { meta: MemberMeta } }).presence.meta.counter
      const before = counter()
      presence.stopTyping('send')
      presence.input()
      // A new state (a new counter) that says typing: peers whose mark the message ended show it again.
      await expect.poll(counter).toBeGreaterThan(before ?? 0)
      await new Promise((resolve) => setTimeout(resolve, TYPING_STOP_AFTER_SEND_MS * 2))
      expect(publishedTyping(awareness)).toBe(true)
      expect(published).toEqual([true]) // one new state since the send, and no stale stop after it
    } finally {
      presence.destroy()
      awareness.destroy()
    }
  })
})

describe('RoomPresence when a message arrives', () => {
  /** Alice typing, as Bob sees her over a link; and messages she signs. */
  async function linked() {
    const pair = await linkedPair()
    const { signer, alice, bob } = pair
    await alice.join({ userId: signer.userId, name: 'Alice', signer })
    alice.input()
    await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
    const message = async (text: string): Promise<MessageRecord> => {
      const unsigned = { id: text, authorId: signer.userId, authorName: 'Alice', text, sentAt: Date.now(), publicKey: signer.publicKey }
      return { ...unsigned, signature: await signer.sign(messageBytes('topic', unsigned)) }
    }
    return { ...pair, message }
  }

  it("ends its author's typing mark at once, in the same task, before their own state says so", async () => {
    const { alice, bob, message, close } = await linked()
    try {
      const views: string[] = []
      bob.onChange((view) => views.push(`${view.typingLine}|${view.members.map((member) => member.typing)}`))
      const sent = await message('hello')
      alice.stopTyping('send')
      bob.spoke(sent)
      // The typing line at once; the members list's mark in the next task.
      expect(views).toEqual(['|true'])
      await expect.poll(() => views.at(-1)).toBe('|false')
      // Alice's own stopped-typing state follows, and the mark stays ended.
      await new Promise((resolve) => setTimeout(resolve, TYPING_STOP_AFTER_SEND_MS * 2))
      expect(bob.view.typingLine).toBe('')
      // Her next keystroke is a new state: she shows typing again.
      alice.input()
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
    } finally {
      close()
    }
  })

  it('ends nothing for long when the message is forged', async () => {
    const { bob, message, close } = await linked()
    try {
      const forged = { ...(await message('hello')), text: 'changed after signing' }
      bob.spoke(forged)
      expect(bob.view.typingLine).toBe('')
      await expect.poll(() => bob.view.typingLine).toBe('Alice is typing…')
    } finally {
      close()
    }
  })
})

describe('RoomPresence leaving without closing', () => {
  it('says goodbye first, so a peer that verified the tab drops it at once', async () => {
    const { signer, alice, bob, screened, close } = await linkedPair()
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
      close()
    }
  })
})

describe('RoomPresence when a sibling published its goodbye', () => {
  it('says a new state above the goodbye while it stays', async () => {
    const signer = await signerFor(await generateSigningKeys())
    const awareness = new Awareness(new Y.Doc())
    const presence = new RoomPresence(awareness, 'topic')
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
