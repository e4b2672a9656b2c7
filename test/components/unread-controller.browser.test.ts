// The unread tracker of a hidden page in Chromium: the title's count and the mentions of the
// user among them, and the notifications, as verdicts arrive: forged messages mention no one.
import { describe, expect, it, onTestFinished } from 'vitest'
import type { ReactiveControllerHost } from 'lit'
import { mentionNames } from '../../src/components/rich-text.js'
import { UnreadController } from '../../src/components/unread-controller.js'
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

describe('UnreadController', () => {
  it('counts a mention of the user only in a verified message, a pending one once it verifies', () => {
    const shown = recordNotifications()
    const host: ReactiveControllerHost = {
      addController: () => {},
      removeController: () => {},
      requestUpdate: () => {},
      updateComplete: Promise.resolve(true),
    }
    const unread = new UnreadController(host)
    document.title = 'lobby'
    unread.hostConnected()
    onTestFinished(() => {
      unread.hostDisconnected()
      delete (document as { visibilityState?: unknown }).visibilityState
      document.dispatchEvent(new Event('visibilitychange'))
    })
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
