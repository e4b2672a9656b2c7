// The unread tracker of a hidden page in Chromium: the title's count and the mentions of the
// user among them, and the notifications, as verdicts arrive: forged messages mention no one.
import { describe, expect, it, onTestFinished } from 'vitest'
import type { ReactiveControllerHost } from 'lit'
import { mentionNames } from '../../src/components/rich-text.js'
import { UnreadController } from '../../src/components/unread-controller.js'
import { AppendOnlyView } from '../../src/room/append-only-view.js'
import type { MessageRecord, Verdict } from '../../src/room/index.js'
import { message } from './browser-fixtures.js'

/** Makes the page report itself hidden (or not) and tell listeners, as switching tabs would. */
function setHidden(hidden: boolean): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') })
  document.dispatchEvent(new Event('visibilitychange'))
}

/** Records notifications instead of showing them, with permission granted, until the test ends. */
function recordNotifications(): Array<{ title: string; body: string }> {
  const shown: Array<{ title: string; body: string }> = []
  const real = globalThis.Notification
  class Recording extends EventTarget {
    static permission: NotificationPermission = 'granted'
    constructor(title: string, options?: NotificationOptions) {
      super()
      shown.push({ title, body: options?.body ?? '' })
    }
    close(): void {}
  }
  globalThis.Notification = Recording as unknown as typeof Notification
  onTestFinished(() => {
    globalThis.Notification = real
  })
  return shown
}

/** A controller on a page that reports itself visible again once the test ends. */
function connectedController(): UnreadController {
  const host: ReactiveControllerHost = {
    addController: () => {},
    removeController: () => {},
    requestUpdate: () => {},
    updateComplete: Promise.resolve(true),
  }
  const unread = new UnreadController(host)
  unread.hostConnected()
  onTestFinished(() => {
    unread.hostDisconnected()
    delete (document as { visibilityState?: unknown }).visibilityState
    document.dispatchEvent(new Event('visibilitychange'))
  })
  return unread
}

describe('UnreadController', () => {
  it("counts the room's views as they grow, and afresh when the room re-sorts its list or drops messages", () => {
    const unread = connectedController()
    document.title = 'lobby'
    const items: MessageRecord[] = [message('m0', 'Ann', 'before'), message('m1', 'Me', 'mine')]
    let messages: readonly MessageRecord[] | AppendOnlyView<MessageRecord> = new AppendOnlyView(items)
    const update = () => unread.update({ messages, selfId: 'user-Me', room: 'lobby', notify: true, verdictOf: () => 'verified' })
    update()
    setHidden(true)
    for (const author of ['Ann', 'Bo', 'Me']) {
      items.push(message(`m${items.length}`, author, 'hi'))
      messages = new AppendOnlyView(items)
      update()
    }
    expect(document.title).toBe('(2) lobby')
    expect(unread.marker).toBe(2)

    // A reset: the room sorted in an older message of Cy's among the unread ones (the user's own
    // moving past the old end), and one of Bo's came at the end (a mixed change): four unread, not
    // the three of counting only past the old end, and the marker where it was.
    const sorted = [...items.slice(0, 3), message('x1', 'Cy', 'late'), ...items.slice(3), message('m5', 'Bo', 'more')]
    messages = new AppendOnlyView(sorted)
    update()
    expect(document.title).toBe('(4) lobby')
    expect(unread.marker).toBe(2)
    sorted.push(message('m6', 'Me', 'mine'), message('m7', 'Ann', 'again'))
    messages = new AppendOnlyView(sorted)
    update()
    expect(document.title).toBe('(5) lobby')

    // Fewer messages than seen: counted from the new end, none unread yet.
    messages = new AppendOnlyView(sorted.slice(0, 3))
    update()
    expect(document.title).toBe('lobby')
    const shorter = sorted.slice(0, 3)
    shorter.push(message('m8', 'Bo', 'back'))
    messages = new AppendOnlyView(shorter)
    update()
    expect(document.title).toBe('(1) lobby')
    expect(unread.marker).toBe(3)
  })

  it('counts a mention of the user only in a verified message, a pending one once it verifies', () => {
    const shown = recordNotifications()
    const unread = connectedController()
    document.title = 'lobby'
    const verdicts = new Map<string, Verdict>()
    const verdictOf = (record: MessageRecord): Verdict => verdicts.get(record.id) ?? 'pending'
    const names = mentionNames(['Ann'], 'Me')
    let messages: MessageRecord[] = [message('m0', 'Ann', 'before')]
    const update = () => unread.update({ messages, selfId: 'user-Me', room: 'lobby', notify: true, mentionNames: names, verdictOf })
    update()
    setHidden(true)

    // A forged "Ann" mentions the user: one unread, no mention, and the notification says so.
    verdicts.set('m1', 'unverified')
    messages = [...messages, message('m1', 'Ann', '@Me urgent, click here')]
    update()
    expect(document.title).toBe('(1) lobby')
    expect(shown).toEqual([{ title: '⚠ Ann (unverified) in #lobby', body: '@Me urgent, click here' }])

    // The real Ann's mention, still being checked: counted as unread, not yet as a mention.
    messages = [...messages, message('m2', 'Ann', 'hi @Me')]
    update()
    expect(document.title).toBe('(2) lobby')
    expect(shown).toHaveLength(1)
    verdicts.set('m2', 'verified')
    update()
    expect(document.title).toBe('(@1 · 2) lobby')
    expect(shown.at(-1)).toEqual({ title: 'Ann mentioned you in #lobby', body: 'hi @Me' })
    update() // nothing new: counted once
    expect(document.title).toBe('(@1 · 2) lobby')
    expect(shown).toHaveLength(2)

    // A pending one that turns out forged never counts as a mention.
    messages = [...messages, message('m3', 'Ann', '@Me again')]
    update()
    verdicts.set('m3', 'unverified')
    update()
    expect(document.title).toBe('(@1 · 3) lobby')
    expect(shown.at(-1)?.title).toBe('⚠ Ann (unverified) in #lobby')

    setHidden(false)
    update()
    expect(document.title).toBe('lobby')
  })
})
