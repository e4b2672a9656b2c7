// <parley-chat> on its own in Chromium, pointed at a signaling URL where nothing listens, so
// it never meets a peer: its attributes, what the user can do offline, and the events a page sees.
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { page, userEvent } from 'vitest/browser'
import '../../src/components/parley-chat.js'
import type { ParleyChat } from '../../src/components/parley-chat.js'
import { DEFAULT_ROOM } from '../../src/room/index.js'
import type { MessageRecord } from '../../src/room/index.js'
import { details, member, message, mount, recordEvents, uniqueRoom } from './browser-fixtures.js'

/** A port nothing listens on: the room keeps trying to reach it, and stays alone. */
const UNREACHABLE_SIGNALING = 'ws://127.0.0.1:9'
/** Where identity.ts keeps the display name a user picked (its NAME_KEY). */
const STORED_NAME_KEY = 'parley:name'

const field = () => page.getByRole('textbox', { name: 'Message' })

/** A chat in a room of its own, never connected, as user `name` unless told otherwise. */
function mountChat(init: (chat: ParleyChat) => void = () => {}): Promise<ParleyChat> {
  return mount('parley-chat', (chat) => {
    chat.signaling = UNREACHABLE_SIGNALING
    chat.room = uniqueRoom('chat')
    chat.name = 'Ann'
    chat.style.height = '480px'
    init(chat)
  })
}

/** Starts the test with no display name stored in this browser, and leaves none behind. */
function forgetStoredName(): void {
  localStorage.removeItem(STORED_NAME_KEY)
  onTestFinished(() => {
    localStorage.removeItem(STORED_NAME_KEY)
  })
}

/** The element with the keyboard, looking through open shadow roots (toHaveFocus stops at the first host). */
function focused(): Element | null {
  let element = document.activeElement
  while (element?.shadowRoot?.activeElement != null) element = element.shadowRoot.activeElement
  return element
}

/** Adds a style sheet to the page for the rest of the test. */
function addPageStyle(text: string): void {
  const style = document.createElement('style')
  style.textContent = text
  document.head.append(style)
  onTestFinished(() => {
    style.remove()
  })
}

/** The messages the chat shows, as "author: text" lines. */
function shown(chat: ParleyChat): string[] {
  const list = chat.shadowRoot?.querySelector('parley-message-list')
  return [...(list?.shadowRoot?.querySelectorAll('article') ?? [])].map(
    (article) => `${article.querySelector('.author')?.textContent ?? ''}: ${article.querySelector('p')?.textContent ?? ''}`,
  )
}

describe('parley-chat properties and attributes', () => {
  it('has documented defaults, and reflects none of its properties', async () => {
    const chat = document.createElement('parley-chat')
    expect({
      room: chat.room,
      secret: chat.secret,
      inviteLink: chat.inviteLink,
      signaling: chat.signaling,
      name: chat.name,
      theme: chat.theme,
      notify: chat.notify,
      label: chat.label,
      headingLevel: chat.headingLevel,
      iceServers: chat.iceServers,
      maxConns: chat.maxConns,
    }).toEqual({
      room: DEFAULT_ROOM,
      secret: '',
      inviteLink: '',
      signaling: '',
      name: '',
      theme: 'auto',
      notify: false,
      label: '',
      headingLevel: 2,
      iceServers: undefined,
      maxConns: undefined,
    })
    const mounted = await mountChat((each) => {
      each.notify = true
      each.headingLevel = 3
      each.theme = 'dark'
    })
    expect(mounted.getAttributeNames()).toEqual(['style'])
  })

  it('says it cannot reach an absent signaling server, and does not claim to be online', async () => {
    await mount('parley-chat', (each) => {
      each.setAttribute('signaling', UNREACHABLE_SIGNALING)
      each.setAttribute('room', `nowhere-${crypto.randomUUID()}`)
      each.setAttribute('name', 'Bo')
    })
    await expect.element(page.getByRole('status').filter({ hasText: "Can't reach the signaling server, retrying." })).toBeVisible()
    await expect.element(page.getByRole('heading', { name: 'Not connected · 1' })).toBeVisible()
  })

  it('reads its attributes: room, name, label, heading-level, notify, max-conns', async () => {
    const room = uniqueRoom('attributes')
    const chat = await mount('parley-chat', (each) => {
      each.setAttribute('signaling', UNREACHABLE_SIGNALING)
      each.setAttribute('room', room)
      each.setAttribute('name', 'Bo')
      each.setAttribute('label', 'Team chat')
      each.setAttribute('heading-level', '4')
      each.setAttribute('notify', '')
      each.setAttribute('max-conns', '3')
    })
    expect([chat.room, chat.name, chat.label, chat.headingLevel, chat.notify, chat.maxConns]).toEqual([room, 'Bo', 'Team chat', 4, true, 3])
    await expect.element(page.getByRole('region', { name: 'Team chat' })).toBeVisible()
    await expect.element(page.getByRole('heading', { name: `#${room}`, level: 4 })).toBeVisible()
    // The members panel's heading sits one level below the room's.
    await expect.element(page.getByRole('heading', { name: /^(Connecting|Not connected) · 1$/, level: 5 })).toBeVisible()
    await expect.element(page.getByText('You are Bo')).toBeVisible()
    await expect.element(page.getByRole('button', { name: 'Turn on notifications' })).toBeVisible()
  })

  it("names its region after the room when no label is given, and hides a private room's name", async () => {
    const chat = await mountChat()
    await expect.element(page.getByRole('region', { name: `Chat: ${chat.room}` })).toBeVisible()
    chat.secret = 'a-secret-of-this-room'
    await expect.element(page.getByRole('heading', { name: 'Private room' })).toBeVisible()
    expect(chat.shadowRoot?.textContent).not.toContain(chat.room)
  })

  it('offers "Copy invite link" only with an invite-link, and in a private room says what the link gives', async () => {
    const chat = await mountChat()
    const copy = page.getByRole('button', { name: 'Copy invite link' })
    await expect.element(page.getByText('You are Ann')).toBeVisible()
    expect(copy.elements()).toEqual([])
    chat.setAttribute('invite-link', 'https://parley.example/#team')
    await expect.element(copy).toBeVisible()
    expect(page.getByText('Anyone with this link can read the room.').elements()).toEqual([])
    chat.secret = 'AbCdEfGhIjKlMnOpQr-_09'
    await expect.element(page.getByText('Anyone with this link can read the room.')).toBeVisible()
    // The key is in the link it copies, and nowhere in what the header shows.
    expect(chat.shadowRoot?.querySelector('header')?.textContent).not.toContain(chat.secret)
  })

  it('follows the theme attribute', async () => {
    const chat = await mountChat((each) => {
      each.setAttribute('theme', 'light')
    })
    const region = page.getByRole('region').element()
    expect(getComputedStyle(region).backgroundColor).toBe('rgb(255, 255, 255)')
    chat.setAttribute('theme', 'dark')
    await expect.poll(() => getComputedStyle(region).backgroundColor).toBe('rgb(21, 23, 28)')
  })
})

describe('parley-chat offline', () => {
  it('with a name given, skips the name form and offers no rename', async () => {
    await mountChat()
    await expect.element(field()).toBeVisible()
    expect(page.getByRole('textbox', { name: 'Your name' }).elements()).toEqual([])
    await expect.element(page.getByText('You are Ann')).toBeVisible()
    expect(page.getByRole('button', { name: 'Change name' }).elements()).toEqual([])
  })

  it('send() shows your own message at once, tells onMessage, and fires no event', async () => {
    const chat = await mountChat()
    const seen = recordEvents()
    const heard: MessageRecord[] = []
    onTestFinished(
      chat.onMessage((record) => {
        heard.push(record)
      }),
    )
    // Once you are among the members, the signing keys have loaded and messages are signed.
    await expect.element(page.getByRole('list', { name: 'Members' })).toHaveTextContent('Ann (you)')
    expect(chat.send('Hello from a script')).toBe(true)
    await expect.poll(() => shown(chat)).toEqual(['Ann: Hello from a script'])
    expect(chat.messages.map((record) => [record.authorName, record.text])).toEqual([['Ann', 'Hello from a script']])
    expect(heard.map((record) => record.text)).toEqual(['Hello from a script'])
    expect(seen).toEqual([])
  })

  it('shows your own message verified without checking the signature it made', async () => {
    const chat = await mountChat()
    await expect.element(page.getByRole('list', { name: 'Members' })).toHaveTextContent('Ann (you)')
    const verify = vi.spyOn(crypto.subtle, 'verify')
    onTestFinished(() => verify.mockRestore())
    const authorClass = () =>
      chat.shadowRoot?.querySelector('parley-message-list')?.shadowRoot?.querySelector('article .author')?.className ?? null
    expect(chat.send('Mine')).toBe(true)
    await expect.poll(() => shown(chat)).toEqual(['Ann: Mine'])
    await expect.poll(authorClass).toBe('author verified')
    // A check of it would cost the sender a verify, then a second draw of its entry, right after the send.
    expect(verify).not.toHaveBeenCalled()
  })

  it('send() right after the chat is made waits for the signing keys, and signs', async () => {
    const chat = await mountChat()
    expect(chat.send('Sent at once')).toBe(true)
    await expect.poll(() => shown(chat)).toEqual(['Ann: Sent at once'])
    // Shown as Ann, not "⚠ Ann (unverified)": the signature verified, so the author id is the
    // key's fingerprint, not the provisional id used before the keys loaded.
    const [record] = chat.messages
    expect(record.signature).toBeTypeOf('string')
    expect(record.publicKey).toBeTypeOf('string')
  })

  it('sends what the user types: the page sees parley-draft and parley-send from the chat', async () => {
    const chat = await mountChat()
    const seen = recordEvents()
    await userEvent.type(field(), 'Hi{Enter}')
    await expect.poll(() => shown(chat)).toEqual(['Ann: Hi'])
    expect(details(seen)).toEqual([
      ['parley-draft', { active: true }],
      ['parley-draft', { active: true }],
      ['parley-send', { text: 'Hi' }],
      ['parley-draft', { active: false }],
    ])
    // Composed events leave the chat's shadow root; the page sees the chat as their target.
    expect(seen.every((event) => event.bubbles && event.composed && event.target === chat)).toBe(true)
  })

  it('without a name, asks for one; picking it fires parley-name, stores it and opens the chat', async () => {
    forgetStoredName()
    const chat = await mountChat((each) => {
      each.name = ''
    })
    const seen = recordEvents()
    expect(chat.send('too early')).toBe(false)
    await userEvent.type(page.getByRole('textbox', { name: 'Your name' }), 'Cy{Enter}')
    await expect.element(page.getByText('You are Cy')).toBeVisible()
    await expect.element(field()).toBeVisible()
    expect(details(seen)).toEqual([['parley-name', { name: 'Cy' }]])
    expect(seen[0]).toMatchObject({ bubbles: true, composed: true, target: chat })
    expect(localStorage.getItem(STORED_NAME_KEY)).toBe('Cy')
    await expect.element(page.getByRole('button', { name: 'Change name' })).toBeVisible()
  })

  it('with autofocus, a first visit puts the keyboard in the name field; without it, takes no focus on load', async () => {
    forgetStoredName()
    const embedded = await mountChat((each) => {
      each.name = ''
    })
    await expect.element(page.getByRole('textbox', { name: 'Your name' })).toBeVisible()
    await embedded.renderRoot.querySelector('parley-name-form')?.updateComplete
    // An embed: the host page keeps the keyboard where it was (nowhere here).
    expect(focused()).toBe(document.body)
    embedded.remove()
    await mountChat((each) => {
      each.name = ''
      each.autofocus = true
    })
    await expect.poll(focused).toBe(page.getByRole('textbox', { name: 'Your name' }).element())
  })

  it('Change name puts the keyboard in the name field; Escape or Cancel keeps the name and the draft, the keyboard back on Change name', async () => {
    forgetStoredName()
    localStorage.setItem(STORED_NAME_KEY, 'Cy')
    const chat = await mountChat((each) => {
      each.name = ''
    })
    const seen = recordEvents()
    const rename = page.getByRole('button', { name: 'Change name' })
    const nameField = page.getByRole('textbox', { name: 'Your name' })
    await userEvent.type(field(), 'half a thought')
    // By keyboard, as the audit did: the form took the button's place and the keyboard went nowhere.
    ;(rename.element() as HTMLElement).focus()
    await userEvent.keyboard('{Enter}')
    await expect.poll(focused).toBe(nameField.element())
    await expect.element(nameField).toHaveValue('Cy')
    await userEvent.keyboard('{Escape}')
    await expect.poll(focused).toBe(rename.element())
    await expect.element(field()).toHaveValue('half a thought')
    await userEvent.click(rename)
    await userEvent.click(page.getByRole('button', { name: 'Cancel' }))
    await expect.poll(focused).toBe(rename.element())
    await expect.element(page.getByText('You are Cy')).toBeVisible()
    // A rename made keeps the draft too, and the keyboard goes to it.
    await userEvent.click(rename)
    await userEvent.fill(nameField, 'Dee')
    await userEvent.keyboard('{Enter}')
    await expect.element(page.getByText('You are Dee')).toBeVisible()
    await expect.element(field()).toHaveValue('half a thought')
    await expect.poll(focused).toBe(field().element())
    expect(details(seen).filter(([type]) => type === 'parley-name')).toEqual([['parley-name', { name: 'Dee' }]])
    expect(chat.send('sent as Dee')).toBe(true)
    await expect.poll(() => shown(chat)).toEqual(['Dee: sent as Dee'])
  })

  it('drops a reply being written when the chat moves to another room, which lacks the message it answers', async () => {
    // Seen on the site: Reply in one room, then another room from the Rooms menu: "Replying to
    // Ann" stayed, and the message sent there quoted "a message not shown here" for everyone.
    const chat = await mountChat()
    expect(chat.send('in the first room')).toBe(true)
    await expect.poll(() => shown(chat)).toEqual(['Ann: in the first room'])
    await userEvent.click(page.getByRole('button', { name: 'More actions' }))
    await userEvent.click(page.getByRole('button', { name: 'Reply', exact: true }))
    await expect.element(page.getByRole('status').filter({ hasText: 'Replying to' })).toHaveTextContent('Replying to Ann')
    chat.room = uniqueRoom('elsewhere')
    await chat.updateComplete
    expect(page.getByText('Replying to').elements()).toEqual([])
    await userEvent.type(field(), 'in the second room{Enter}')
    await expect.poll(() => shown(chat)).toEqual(['Ann: in the second room'])
    const list = chat.shadowRoot?.querySelector('parley-message-list')
    expect(list?.shadowRoot?.querySelector('.quote')).toBeNull()
  })

  it('keeps each room its own draft as the chat moves between rooms', async () => {
    // Seen on the site: a message half written in one room was still in the field in the next
    // room, one Enter from being sent there.
    const chat = await mountChat()
    const [first, second] = [chat.room, uniqueRoom('second')]
    await userEvent.type(field(), 'for the first room')
    chat.room = second
    await expect.element(field()).toHaveValue('')
    await userEvent.type(field(), 'for the second')
    chat.room = first
    await expect.element(field()).toHaveValue('for the first room')
    chat.room = second
    await expect.element(field()).toHaveValue('for the second')
    // What is sent is gone from the room's draft.
    await userEvent.type(field(), '{Enter}')
    await expect.poll(() => shown(chat)).toEqual(['Ann: for the second'])
    chat.room = first
    await chat.updateComplete
    chat.room = second
    await chat.updateComplete
    await expect.element(field()).toHaveValue('')
  })

  it('the name picked in one chat reaches the other chats of the page that have no name of their own', async () => {
    forgetStoredName()
    const unnamed = (each: ParleyChat): void => {
      each.name = ''
    }
    const asking = await Promise.all([1, 2].map(() => mountChat(unnamed)))
    const named = await mountChat()
    // One out of the page while the name is picked, back in afterwards.
    const away = await mountChat(unnamed)
    away.remove()
    await expect.poll(() => page.getByRole('textbox', { name: 'Your name' }).elements().length).toBe(2)
    await userEvent.type(page.getByRole('textbox', { name: 'Your name' }).first(), 'Cy{Enter}')
    await expect.poll(() => page.getByText('You are Cy').elements().length).toBe(2)
    expect(page.getByRole('textbox', { name: 'Your name' }).elements()).toEqual([])
    await expect.element(page.getByText('You are Ann')).toBeVisible()
    document.body.append(away)
    await expect.poll(() => page.getByText('You are Cy').elements().length).toBe(3)
    expect(asking[1]?.send('hello')).toBe(true)
    expect(named.name).toBe('Ann')
  })

  it("draws a message it did not send in its log alone: the chat's other parts are not rendered for it", async () => {
    // Two chats of one room on a page share the room: Bo's is a message Ann's chat did not send,
    // which it draws as it draws a peer's (at once, not at the next frame as its own).
    const room = uniqueRoom('arrival')
    const ann = await mountChat((each) => {
      each.room = room
    })
    const bo = await mountChat((each) => {
      each.room = room
      each.name = 'Bo'
    })
    await expect.element(page.getByRole('list', { name: 'Members' }).first()).toHaveTextContent('Bo')
    const log = ann.shadowRoot?.querySelector('parley-message-list')
    if (log === null || log === undefined) throw new Error('no log')
    // What Ann's chat and its log render, in order, with the texts of the messages each has then.
    const renders: string[] = []
    const texts = (messages: Iterable<MessageRecord>): string => [...messages].map((record) => record.text).join(', ')
    const chatRender = ann.render.bind(ann)
    ann.render = () => {
      renders.push(`chat: ${texts(ann.messages)}`)
      return chatRender()
    }
    const logRender = log.render.bind(log)
    log.render = () => {
      renders.push(`log: ${texts(log.messages)}`)
      return logRender()
    }
    expect(bo.send('from Bo')).toBe(true)
    await expect.poll(() => shown(ann)).toEqual(['Bo: from Bo'])
    // The log drew it without the chat rendering first; renders for other reasons (the members
    // list, Bo's typing ended) may follow it.
    expect(renders.slice(0, renders.indexOf('log: from Bo') + 1)).toEqual(['log: from Bo'])
  })
})

/** A computed style of the first element `selector` matches in `host`'s shadow root. */
function styleIn(host: Element | null | undefined, selector: string, property: string): string {
  const element = host?.shadowRoot?.querySelector(selector)
  if (element === null || element === undefined) throw new Error(`nothing matches ${selector}`)
  return getComputedStyle(element).getPropertyValue(property)
}

describe('parley-chat styling', () => {
  it("inner elements on their own fall back to the colours of the chat's light theme", async () => {
    const chat = await mountChat((each) => {
      each.theme = 'light'
    })
    await expect.element(page.getByText('Ann (you)')).toBeVisible()
    chat.send('hello')
    await expect.poll(() => shown(chat)).toHaveLength(1)
    const standalone = {
      'parley-members': await mount('parley-members', (each) => {
        each.members = [member('Bo')]
      }),
      'parley-message-list': await mount('parley-message-list', (each) => {
        each.messages = [message('m1', 'Bo', 'hi')]
      }),
      'parley-composer': await mount('parley-composer'),
    }
    const inChat = (tag: string) => chat.shadowRoot?.querySelector(tag)
    const pairs = [
      ['parley-members', '.heading', 'color'],
      ['parley-members', '.fingerprint', 'color'],
      ['parley-message-list', 'time', 'color'],
      ['parley-composer', 'textarea', 'border-top-color'],
      ['parley-composer', 'button', 'background-color'],
    ] as const
    for (const [tag, selector, property] of pairs) {
      expect(styleIn(standalone[tag], selector, property), `${tag} ${selector} ${property}`).toBe(styleIn(inChat(tag), selector, property))
    }
  })

  it('lets the page style the inner parts it passes on, with parley-chat::part()', async () => {
    addPageStyle(`
      parley-chat::part(message) { background-color: rgb(1, 0, 0); }
      parley-chat::part(textarea) { background-color: rgb(2, 0, 0); }
      parley-chat::part(send) { background-color: rgb(3, 0, 0); }
      parley-chat::part(member-list) { background-color: rgb(4, 0, 0); }
      parley-chat::part(name-form) { background-color: rgb(5, 0, 0); }
    `)
    const chat = await mountChat()
    await expect.element(page.getByText('Ann (you)')).toBeVisible()
    chat.send('styled')
    await expect.poll(() => shown(chat)).toHaveLength(1)
    const inner = (tag: string) => chat.shadowRoot?.querySelector(tag)
    expect([
      styleIn(inner('parley-message-list'), '[part="message"]', 'background-color'),
      styleIn(inner('parley-composer'), '[part="textarea"]', 'background-color'),
      styleIn(inner('parley-composer'), '[part="send"]', 'background-color'),
      styleIn(inner('parley-members'), '[part="list"]', 'background-color'),
    ]).toEqual(['rgb(1, 0, 0)', 'rgb(2, 0, 0)', 'rgb(3, 0, 0)', 'rgb(4, 0, 0)'])
    chat.remove()
    forgetStoredName()
    const asking = await mountChat((each) => {
      each.name = ''
    })
    await expect.element(page.getByRole('textbox', { name: 'Your name' })).toBeVisible()
    expect(styleIn(asking.shadowRoot?.querySelector('parley-name-form'), '[part="form"]', 'background-color')).toBe('rgb(5, 0, 0)')
  })
})
