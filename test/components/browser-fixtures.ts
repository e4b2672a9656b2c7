// Fixtures for the component tests that run in Chromium: mounting an element for one test,
// recording the events a page sees, and records shaped like the room's.
import { onTestFinished } from 'vitest'
import type { DraftDetail, NameDetail, SendDetail } from '../../src/components/events.js'
import { colorFor, type Member, type MessageRecord } from '../../src/room/index.js'

/** The events Parley's elements fire for user intent. */
export const INTENT_EVENTS = ['parley-send', 'parley-name', 'parley-draft'] as const

/** One event as the page saw it on `document`. */
export interface SeenEvent {
  type: string
  detail: SendDetail | NameDetail | DraftDetail
  bubbles: boolean
  composed: boolean
  /** The element the page sees as the target (retargeted out of shadow roots). */
  target: EventTarget | null
}

/**
 * Adds a new `tag` element to the page, set up by `init` before it connects, and waits for
 * its first render. It is removed when the test finishes.
 */
export async function mount<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  init: (element: HTMLElementTagNameMap[K]) => void = () => {},
  parent: HTMLElement = document.body,
): Promise<HTMLElementTagNameMap[K]> {
  const element = document.createElement(tag)
  init(element)
  parent.append(element)
  onTestFinished(() => {
    element.remove()
  })
  if ('updateComplete' in element) await element.updateComplete
  return element
}

/**
 * Records Parley's intent events as they reach `document`: only events that bubble (and,
 * from inside a shadow root, are composed) get there. Stops when the test finishes.
 */
export function recordEvents(): SeenEvent[] {
  const seen: SeenEvent[] = []
  const listener = (event: Event): void => {
    const { type, bubbles, composed, target } = event
    seen.push({ type, detail: (event as CustomEvent<SeenEvent['detail']>).detail, bubbles, composed, target })
  }
  for (const type of INTENT_EVENTS) document.addEventListener(type, listener)
  onTestFinished(() => {
    for (const type of INTENT_EVENTS) document.removeEventListener(type, listener)
  })
  return seen
}

/** The type and detail of each recorded event, for comparing with toEqual. */
export function details(seen: readonly SeenEvent[]): Array<[string, SeenEvent['detail']]> {
  return seen.map((event) => [event.type, event.detail])
}

/** A message record as another peer might have written it. */
export function message(id: string, authorName: string, text: string, sentAt = Date.UTC(2025, 0, 2, 9, 30)): MessageRecord {
  return { id, authorId: `user-${authorName}`, authorName, text, sentAt }
}

/** A fingerprint-shaped user key (base64url of 32 bytes) made of one repeated character. */
export function keyOf(character: string): string {
  return character.repeat(43)
}

/** A member of the members list; fields not given are those of a plain other user. */
export function member(name: string, fields: Partial<Member> = {}): Member {
  const key = fields.key ?? keyOf('A')
  return { key, name, color: colorFor(key), tabs: 1, typing: false, isSelf: false, verdict: 'verified', ...fields }
}

/** A room name no other test uses, so stored history never leaks between tests. */
export function uniqueRoom(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`
}
