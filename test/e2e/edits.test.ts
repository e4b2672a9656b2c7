// Edits, deletions, reactions and replies as two users meet them in real Chromium over real
// WebRTC, all by keyboard; and a forging peer (a Node room writing its own annotations) whose
// edit of Alice's message is refused, marked, and not applied, and whose flood of reactions
// under Alice's id leaves her own reaction and edit applied.
import { describe, expect, it } from 'vitest'
import { nodeRtc } from './history-harness.js'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import type { Locator, Page } from 'playwright-core'
import { Room } from '../../src/room/index.js'
import { annotationsOf, type AnnotationRecord } from '../../src/history/index.js'
import { annotationBytes, generateSigningKeys, signerFor } from '../../src/identity/index.js'
import { expectMessages, joinRoom, messageLog, roomUrl, STEP_TIMEOUT_MS, sendMessage, uniqueRoom, useChatStack } from './harness.js'
import { holdFrames, type HeldFrames } from './page-probes.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

const stack = useChatStack(2)
/** Forged reactions Mallory floods under Alice's id: several times an author's burst. */
const FORGED_REACTIONS = 200
/** How far ahead the forgeries claim to be, in ms. */
const HOUR_MS = 3_600_000
/** How long a poll of a step's outcome waits, in ms: as long as the step itself (harness.ts). */
const STEP_MS = STEP_TIMEOUT_MS

/** The article of the message whose text includes `text`. */
function article(page: Page, text: string) {
  return messageLog(page).locator('article').filter({ hasText: text })
}

/** Whether the first element `locator` finds has the keyboard; false while there is none (it does not wait for one). */
const hasFocus = (locator: Locator): Promise<boolean> => locator.evaluateAll((elements) => elements[0]?.matches(':focus') === true)

/** The `aria-pressed` of each element `locator` finds, without waiting for one. */
const pressed = (locator: Locator): Promise<Array<string | null>> =>
  locator.evaluateAll((elements) => elements.map((element) => element.getAttribute('aria-pressed')))

/** Opens a message's actions by keyboard (Enter on the message) and activates the action `name`. */
async function act(page: Page, text: string, name: string): Promise<void> {
  const message = article(page, text)
  const actions = message.getByRole('group', { name: 'Message actions' })
  // A message offers its actions once its signature is checked ("More actions" is drawn); Enter does nothing before.
  await message.getByRole('button', { name: 'More actions' }).waitFor({ state: 'attached', timeout: STEP_MS })
  await message.focus({ timeout: STEP_MS })
  // focus() does nothing on an element that cannot take the keyboard: a message drawn without a
  // tabindex took none until the next frame (seen in CI), and Enter then went to the composer.
  expect(await hasFocus(message), `"${text}" took the keyboard`).toBe(true)
  await page.keyboard.press('Enter')
  // Opening the panel puts the keyboard on its first button; Tab walks on to the one wanted.
  await expect
    .poll(() => hasFocus(actions.getByRole('button')), { timeout: STEP_MS, message: `Enter on "${text}" put the keyboard in its actions` })
    .toBe(true)
  await actions.getByRole('button', { name, exact: true }).focus({ timeout: STEP_MS })
  await page.keyboard.press('Enter')
}

describe('edits, deletions, reactions and replies', () => {
  it('reach the other browser, by keyboard, as signed annotations', async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('edits'))
    const a = await joinRoom(stack.browsers[0], url, 'Alice')
    const b = await joinRoom(stack.browsers[1], url, 'Bob')
    const errors: string[] = []
    for (const page of [a, b]) page.on('pageerror', (error) => errors.push(error.message))
    await sendMessage(a, 'hello all')
    await expectMessages(b, ['Alice: hello all'])

    // Alice edits in place: Enter saves.
    await act(a, 'hello all', 'Edit')
    const editor = a.getByRole('textbox', { name: 'Edit message' })
    await editor.fill('hello everyone')
    await editor.press('Enter')
    await expectMessages(b, ['Alice: hello everyone'])
    await expect.poll(() => article(b, 'hello everyone').locator('.edited').allTextContents(), { timeout: STEP_MS }).toEqual(['(edited)'])
    // Bob's messages offer no Edit or Delete of Alice's.
    await article(b, 'hello everyone').getByRole('button', { name: 'More actions' }).click()
    const bobActions = article(b, 'hello everyone').getByRole('group', { name: 'Message actions' })
    await expect
      .poll(() => bobActions.getByRole('button').allTextContents(), { timeout: STEP_MS })
      .toEqual(['👍', '❤️', '😂', '🎉', '😮', '😢', 'Reply'])
    // Escape closes the panel, also before its next frame has put the keyboard in it (the keyboard
    // still on "More actions"): it once stayed open, and act's Enter on the message then closed it.
    await b.keyboard.press('Escape')
    await expect.poll(() => bobActions.count(), { timeout: STEP_MS }).toBe(0)

    // Bob reacts; Alice sees who.
    await act(b, 'hello everyone', 'React with 👍')
    const reaction = article(a, 'hello everyone').getByRole('button', { name: '👍 1: Bob' })
    await expect.poll(() => pressed(reaction), { timeout: 15_000 }).toEqual(['false'])
    // Alice adds hers with the same button; both see two.
    await reaction.click()
    await expect
      .poll(() => pressed(article(b, 'hello everyone').getByRole('button', { name: '👍 2: Alice, Bob' })), { timeout: STEP_MS })
      .toEqual(['true'])

    // Bob replies; Alice sees the quote, and it takes her to the original.
    await act(b, 'hello everyone', 'Reply')
    await expect.poll(() => b.getByText('Replying to Alice').count(), { timeout: STEP_MS }).toBe(1)
    await sendMessage(b, 'hi Alice')
    await expectMessages(a, ['Alice: hello everyone', 'Bob: hi Alice'])
    const quote = article(a, 'hi Alice').getByRole('button', { name: 'Reply to Alice: hello everyone. Go to the original message' })
    await quote.focus()
    await a.keyboard.press('Enter')
    await expect.poll(() => messageLog(a).locator('article').first().getAttribute('class'), { timeout: STEP_MS }).toContain('hit')

    // Alice deletes a message of hers: asked first, she says no (Escape), then yes; Bob sees it gone.
    await sendMessage(a, 'oops, wrong room')
    await expectMessages(b, ['Alice: hello everyone', 'Bob: hi Alice', 'Alice: oops, wrong room'])
    await act(a, 'oops, wrong room', 'Delete')
    const oops = article(a, 'oops, wrong room')
    const question = oops.getByRole('group', { name: 'Delete this message for everyone?' })
    await expect.poll(() => hasFocus(question.getByRole('button', { name: 'Cancel' })), { timeout: STEP_MS }).toBe(true)
    await a.keyboard.press('Escape')
    const panelDelete = oops.getByRole('group', { name: 'Message actions' }).getByRole('button', { name: 'Delete', exact: true })
    await expect.poll(() => hasFocus(panelDelete), { timeout: STEP_MS }).toBe(true)
    expect(await question.count()).toBe(0)
    await a.keyboard.press('Enter')
    // The question puts the keyboard on Cancel once it is drawn (after the log's next frame). A
    // focus moved to Delete before that was once taken back (seen in CI); now it stays (deferred-focus.ts).
    await expect.poll(() => hasFocus(question.getByRole('button', { name: 'Cancel' })), { timeout: STEP_MS }).toBe(true)
    await question.getByRole('button', { name: 'Delete', exact: true }).focus()
    await a.keyboard.press('Enter')
    await expectMessages(b, ['Alice: hello everyone', 'Bob: hi Alice', 'Alice: message deleted'])
    await expectMessages(a, ['Alice: hello everyone', 'Bob: hi Alice', 'Alice: message deleted'])
    expect(errors).toEqual([])
    await Promise.all([a.close(), b.close()])
  })

  it('lets a message just sent take the keyboard in the frame that draws it', async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('first-draw'))
    const a = await joinRoom(stack.browsers[0], url, 'Alice')
    const b = await joinRoom(stack.browsers[1], url, 'Bob')
    await sendMessage(a, 'hello Bob')
    await expectMessages(b, ['Alice: hello Bob'])
    // A slow device: Alice's message is out (Bob has it), and her page's redraw waits for its next frame.
    await holdFrames(a)
    await sendMessage(a, 'drawn a frame ago')
    await expectMessages(b, ['Alice: hello Bob', 'Alice: drawn a frame ago'])
    // The frame comes; in the same task, before the page's next frame, the message is focused as soon as it is drawn.
    const taken = await a.evaluate(
      (text) =>
        new Promise<{ offersActions: boolean; focused: boolean }>((resolve) => {
          const log = document.querySelector('parley-chat')?.shadowRoot?.querySelector('parley-message-list')?.shadowRoot
          if (log == null) throw new Error('no log')
          const observer = new MutationObserver(() => {
            const article = [...log.querySelectorAll('article')].find((each) => each.querySelector('p')?.textContent === text)
            if (article === undefined) return
            observer.disconnect()
            article.focus()
            resolve({ offersActions: article.querySelector('.more') !== null, focused: log.activeElement === article })
          })
          observer.observe(log, { subtree: true, childList: true })
          ;(window as unknown as HeldFrames).__releaseFrames()
        }),
      'drawn a frame ago',
    )
    // Its signature was checked in the send's task: it offers its actions from its first draw, and
    // took none before f28c20f, until the next frame wrote its tabindex (edits' act() failed so in CI).
    expect(taken).toEqual({ offersActions: true, focused: true })
    await a.keyboard.press('Enter')
    const actions = article(a, 'drawn a frame ago').getByRole('group', { name: 'Message actions' })
    await expect.poll(() => hasFocus(actions.getByRole('button')), { timeout: STEP_MS }).toBe(true)
    await Promise.all([a.close(), b.close()])
  })

  it("refuses a forged edit or deletion of Alice's message, marks it, and lets no forged flood spend her budget", async () => {
    const room = uniqueRoom('forged-edit')
    const url = roomUrl(stack.site.url, stack.signaling.url, room)
    const a = await joinRoom(stack.browsers[0], url, 'Alice')
    const b = await joinRoom(stack.browsers[1], url, 'Bob')
    await sendMessage(a, 'I owe nobody anything')
    await expectMessages(b, ['Alice: I owe nobody anything'])
    const malloryDoc = new Y.Doc()
    const mallory = new Room({ name: room, signalingUrls: [stack.signaling.url], iceServers: [], wrtc: nodeRtc, doc: malloryDoc })
    try {
      await expect.poll(() => mallory.messages.length, { timeout: 15_000 }).toBe(1)
      const target = mallory.messages.at(0)!
      const key = await signerFor(await generateSigningKeys())
      const sign = async (fields: Omit<AnnotationRecord, 'publicKey' | 'signature'>): Promise<AnnotationRecord> => {
        const withKey = { ...fields, publicKey: key.publicKey }
        return { ...withKey, signature: await key.sign(annotationBytes(mallory.topic, withKey)) }
      }
      const base = { target: target.id, authorName: 'Alice', on: true, sentAt: Date.now() }
      // Mallory's key on a record claiming Alice's id: the signature cannot verify.
      const claimed = await sign({ ...base, id: 'forged-edit', kind: 'edit', authorId: target.authorId, content: 'I owe Mallory 1000' })
      // Alice's key copied from her message, with no signature of hers over the edit.
      const copied: AnnotationRecord = { ...claimed, id: 'copied-key', publicKey: target.publicKey, signature: target.signature }
      // A genuine signature by Mallory, on a deletion of a message that is not hers.
      const own = await sign({ ...base, id: 'own-delete', kind: 'delete', authorId: key.userId, authorName: 'Mallory', content: '' })
      annotationsOf(malloryDoc).push([claimed, copied, own])

      for (const page of [a, b]) {
        const message = article(page, 'I owe nobody anything')
        await expect
          .poll(() => message.locator('.refused').textContent(), { timeout: 15_000 })
          .toBe('⚠ 3 unverified changes to this message not applied')
        await expectMessages(page, ['Alice: I owe nobody anything'])
        expect(await message.locator('.edited').count()).toBe(0)
      }
      // A flood of reactions claiming Alice, dated an hour ahead so her budget could not
      // refill before her own: half with Mallory's key, half with Alice's key and a signature
      // that fails. Charged to her budget, they would hide her reaction and edit below.
      const flood: AnnotationRecord[] = []
      for (let index = 0; index < FORGED_REACTIONS; index++) {
        const fields = { ...base, id: `forged-reaction-${index}`, kind: 'reaction' as const, authorId: target.authorId, content: '😢' }
        const forged = await sign({ ...fields, sentAt: base.sentAt + HOUR_MS })
        flood.push(index % 2 === 0 ? forged : { ...forged, publicKey: target.publicKey })
      }
      annotationsOf(malloryDoc).push(flood)
      await expect.poll(() => mallory.stats().hiddenAnnotations, { timeout: 15_000 }).toBeGreaterThan(0)
      // Alice's own reaction and edit still apply.
      await act(a, 'I owe nobody anything', 'React with 👍')
      await expect
        .poll(() => article(b, 'I owe nobody anything').getByRole('button', { name: '👍 1: Alice' }).count(), { timeout: 15_000 })
        .toBe(1)
      expect(await article(b, 'I owe nobody anything').getByRole('button', { name: /😢/ }).count()).toBe(0)
      await act(a, 'I owe nobody anything', 'Edit')
      await a.getByRole('textbox', { name: 'Edit message' }).fill('I still owe nobody')
      await a.getByRole('textbox', { name: 'Edit message' }).press('Enter')
      await expectMessages(b, ['Alice: I still owe nobody'])
    } finally {
      mallory.close()
    }
    await Promise.all([a.close(), b.close()])
  })
})
