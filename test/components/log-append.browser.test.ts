// <parley-message-list> drawing one new message in Chromium: the entries already drawn are not
// looked at again (their verdict, annotation, grouping), however many there are, and an entry
// whose inputs did change (an edit, a reaction, a verdict, a reply's original arriving later, a
// notice placed before it) is still drawn again. Counts, not times: speed is in bench/log-render.ts.
import { describe, expect, it } from 'vitest'
import '../../src/components/parley-message-list.js'
import type { ParleyMessageList } from '../../src/components/parley-message-list.js'
import { colorFor, unannotated, type AnnotatedMessage, type MessageRecord, type Verdict } from '../../src/room/index.js'
import { AppendOnlyView } from '../../src/room/append-only-view.js'
import { countCalls } from '../support/count-calls.js'
import { message, mount } from './browser-fixtures.js'

/** A list whose inputs count which records they were asked about. */
interface Counted {
  list: ParleyMessageList
  /** Ids of the records `verdictOf` and `annotationOf` were asked about since the last `reset`. */
  asked: Set<string>
  reset(): void
}

/** `count` messages from two authors, a minute apart, numbered from 1. */
function manyMessages(count: number): MessageRecord[] {
  const start = Date.UTC(2025, 0, 2, 9, 0)
  return Array.from({ length: count }, (_, index) =>
    message(`m${index + 1}`, index % 2 === 0 ? 'Ann' : 'Bo', `message ${index + 1}`, start + index * 60_000),
  )
}

/** A list of `messages` (all rendered: at most 200) whose verdict and annotation functions record what they are asked. */
async function mountCounted(
  messages: readonly MessageRecord[],
  verdictOf: (record: MessageRecord) => Verdict = () => 'verified',
  annotationOf: (record: MessageRecord) => AnnotatedMessage = unannotated,
): Promise<Counted> {
  const asked = new Set<string>()
  const list = await mount('parley-message-list', (element) => {
    element.style.height = '400px'
    element.messages = messages
    element.verdictOf = counting(verdictOf, asked)
    element.annotationOf = counting(annotationOf, asked)
  })
  await settled(list)
  return { list, asked, reset: () => asked.clear() }
}

/** `fn`, noting the id of every record it is asked about in `asked`. */
function counting<T>(fn: (record: MessageRecord) => T, asked: Set<string>): (record: MessageRecord) => T {
  return (record) => {
    asked.add(record.id)
    return fn(record)
  }
}

/** Waits for the list's render and the layout it leaves for the next frame. */
async function settled(list: ParleyMessageList): Promise<void> {
  await list.updateComplete
  await new Promise((resolve) => requestAnimationFrame(resolve))
  await list.updateComplete
}

/**
 * Right after the render that draws message `id` (a mutation observer's microtask, in the task
 * that set the messages, before any frame or input): what `look` sees then, and every change to
 * the log's DOM up to then.
 */
function inTheRender<T>(list: ParleyMessageList, id: string, look: () => T): Promise<{ records: MutationRecord[]; stops: T }> {
  const records: MutationRecord[] = []
  return new Promise((resolve) => {
    const observer = new MutationObserver((batch) => {
      records.push(...batch)
      if (articleOf(list, id) === null) return
      observer.disconnect()
      resolve({ records, stops: look() })
    })
    observer.observe(list.shadowRoot as ShadowRoot, { subtree: true, attributes: true, childList: true, characterData: true })
  })
}

const articles = (list: ParleyMessageList) => [...(list.shadowRoot?.querySelectorAll('article') ?? [])]
const articleOf = (list: ParleyMessageList, id: string) =>
  list.shadowRoot?.querySelector(`[data-key="m:${id}"] article`) as HTMLElement | null

describe('parley-message-list, one new message', () => {
  it('asks about the new message and the one before it only, with 10 entries drawn or 150', async () => {
    for (const size of [10, 150]) {
      const { list, asked, reset } = await mountCounted(manyMessages(size))
      expect(articles(list)).toHaveLength(size)
      reset()
      const next = message(`m${size + 1}`, 'Ann', 'one more', Date.UTC(2025, 0, 2, 9, 0) + size * 60_000)
      list.messages = [...list.messages, next]
      await settled(list)
      expect(articles(list).at(-1)?.querySelector('p')?.textContent).toBe('one more')
      // The new entry's own inputs, and at most its predecessor's verdict (does it continue its group?).
      expect(asked.has(`m${size + 1}`)).toBe(true)
      expect([...asked].filter((id) => id !== `m${size}` && id !== `m${size + 1}`)).toEqual([])
      list.remove()
    }
  })

  it('draws again the entries whose edit, reaction or verdict changed, and only asks about every entry when those did', async () => {
    const messages = manyMessages(30)
    const annotations = new Map<string, Partial<AnnotatedMessage>>()
    const verdicts = new Map<string, Verdict>([['m7', 'pending']])
    const verdictOf = (record: MessageRecord): Verdict => verdicts.get(record.id) ?? 'verified'
    const annotationOf = (record: MessageRecord): AnnotatedMessage => ({ ...unannotated(record), ...annotations.get(record.id) })
    const { list, asked, reset } = await mountCounted(messages, verdictOf, annotationOf)
    expect(articleOf(list, 'm7')?.querySelector('.author')?.textContent).toBe('Checking signature…')
    // A message arrives: nothing else changes.
    list.messages = [...messages, message('m31', 'Ann', 'new', Date.UTC(2025, 0, 2, 9, 30))]
    await settled(list)
    // An edit of m5 and a reaction on m6 (the room hands out a new annotationOf).
    annotations.set('m5', { text: 'edited words', edited: true })
    annotations.set('m6', { reactions: [{ emoji: '👍', reactors: [{ authorId: 'user-Bo', authorName: 'Bo' }] }] })
    reset()
    list.annotationOf = counting(annotationOf, asked)
    await settled(list)
    expect(asked.size).toBe(31)
    expect(articleOf(list, 'm5')?.querySelector('p')?.textContent).toBe('edited words')
    expect(articleOf(list, 'm5')?.querySelector('.edited')?.textContent).toBe('(edited)')
    expect(articleOf(list, 'm6')?.querySelector('.reactions button')?.getAttribute('aria-label')).toBe('👍 1: Bo')
    // m7's check settles (a new verdictOf).
    verdicts.delete('m7')
    list.verdictOf = counting(verdictOf, asked)
    await settled(list)
    expect(articleOf(list, 'm7')?.querySelector('.author')?.textContent).toBe('Ann')
    // m5's deletion.
    annotations.set('m5', { deleted: true })
    list.annotationOf = counting(annotationOf, asked)
    await settled(list)
    expect(articleOf(list, 'm5')?.querySelector('.deleted')?.textContent).toBe('message deleted')
  })

  it('asks again only about the entries drawn from a pending verdict when a check settles (checksSettle), with 150 entries drawn', async () => {
    const start = Date.UTC(2025, 0, 2, 12, 0)
    // Ann's two messages a minute apart: the second continues her group once the first verified.
    const checking = message('p1', 'Ann', 'checking', start)
    const after = message('p2', 'Ann', 'right after', start + 60_000)
    const pending = new Set(['p1'])
    const verdictOf = (record: MessageRecord): Verdict => (pending.has(record.id) ? 'pending' : 'verified')
    const { list, asked, reset } = await mountCounted([...manyMessages(148), checking, after], verdictOf)
    list.checksSettle = true
    await settled(list)
    expect(articleOf(list, 'p1')?.querySelector('.author')?.textContent).toBe('Checking signature…')
    expect(articleOf(list, 'p2')?.classList.contains('continued')).toBe(false)
    reset()
    // p1's check settles: the room hands out a new verdictOf.
    pending.delete('p1')
    list.verdictOf = counting(verdictOf, asked)
    await settled(list)
    expect(articleOf(list, 'p1')?.querySelector('.author')?.textContent).toBe('Ann')
    expect(articleOf(list, 'p2')?.classList.contains('continued')).toBe(true)
    // On main every entry asked again: 150 records.
    expect([...asked].sort()).toEqual(['p1', 'p2'])
  })

  it("draws a reply's quote again when its original arrives later, with nothing else changed", async () => {
    const messages = manyMessages(20)
    const reply = message('r1', 'Bo', 'my answer', Date.UTC(2025, 0, 2, 9, 25))
    const annotationOf = (record: MessageRecord): AnnotatedMessage =>
      record.id === 'r1' ? { ...unannotated(record), replyTo: 'late' } : unannotated(record)
    const { list } = await mountCounted([...messages, reply], () => 'verified', annotationOf)
    const quote = () => articleOf(list, 'r1')?.querySelector('.quote')?.textContent ?? ''
    expect(quote()).toContain('not shown here')
    // Another message first: the original is still missing.
    list.messages = [...list.messages, message('m21', 'Ann', 'meanwhile', Date.UTC(2025, 0, 2, 9, 26))]
    await settled(list)
    expect(quote()).toContain('not shown here')
    // The original arrives (concurrently written, it lands before the reply), with the same annotationOf.
    const original = message('late', 'Ann', 'the question', Date.UTC(2025, 0, 2, 9, 24))
    list.messages = [...messages, original, reply, list.messages.at(-1) as MessageRecord]
    await settled(list)
    expect(quote()).toContain('Ann: the question')
  })

  it('draws a header again when a notice comes to stand before its message', async () => {
    const messages = manyMessages(4).map((each) => ({ ...each, authorId: 'user-Ann', authorName: 'Ann' }))
    const { list } = await mountCounted(messages)
    const hidden = (id: string) => articleOf(list, id)?.querySelector('.meta')?.classList.contains('visually-hidden')
    expect(hidden('m3')).toBe(true)
    list.notices = [{ id: 1, text: 'Bo joined', after: 2 }]
    await settled(list)
    expect(hidden('m3')).toBe(false)
    list.messages = [...messages, { ...message('m5', 'Ann', 'later', Date.UTC(2025, 0, 2, 9, 4)), authorId: 'user-Ann' }]
    await settled(list)
    expect(hidden('m3')).toBe(false)
    expect(hidden('m5')).toBe(true)
  })
  it("draws a new plain message, its signature still being checked, as one template instance, and its check's outcome as one more", async () => {
    const pending = new Set<string>()
    const verdictOf = (record: MessageRecord): Verdict => (pending.has(record.id) ? 'pending' : 'verified')
    const { list } = await mountCounted(manyMessages(10), verdictOf)
    // Lit clones a template instance's DOM with document.importNode.
    const clones = countCalls(document, 'importNode')
    pending.add('m11')
    list.messages = [...list.messages, message('m11', 'Bo', 'one more', Date.UTC(2025, 0, 2, 9, 0) + 10 * 60_000)]
    await settled(list)
    expect(articleOf(list, 'm11')?.querySelector('.author')?.textContent).toBe('Checking signature…')
    expect(articleOf(list, 'm11')?.querySelector('p')?.textContent).toBe('one more')
    const drawn = clones.take()
    // The check settles: the author's name and colour, and the "More actions" button (a template of its own).
    pending.delete('m11')
    list.verdictOf = (record) => verdictOf(record)
    await settled(list)
    const author = articleOf(list, 'm11')?.querySelector<HTMLElement>('.author')
    expect([author?.textContent, author?.className, author?.style.getPropertyValue('--author-color')]).toEqual([
      'Bo',
      'author verified',
      colorFor('user-Bo'),
    ])
    expect(articleOf(list, 'm11')?.querySelector('.more')).not.toBeNull()
    expect({ drawn, verified: clones.take() }).toEqual({ drawn: 1, verified: 1 })
  })

  it('moves the tab stop in the render of a new message at the bottom, writing to the entries drawn before only the old stop', async () => {
    const { list } = await mountCounted(manyMessages(10))
    const newest = articleOf(list, 'm10')
    expect(newest?.getAttribute('tabindex')).toBe('0')
    // Every change to the log's DOM up to the one that puts the new message in (the render's), and
    // the tab stops then: Tab and Shift+Tab go by them before the next frame.
    const next = message('m11', 'Bo', 'one more', Date.UTC(2025, 0, 2, 9, 0) + 10 * 60_000)
    list.messages = [...list.messages, next]
    const { records, stops } = await inTheRender(list, 'm11', () => ({
      m10: articleOf(list, 'm10')?.getAttribute('tabindex'),
      m11: articleOf(list, 'm11')?.getAttribute('tabindex'),
    }))
    // Written at the next frame, the stop stayed on m10 meanwhile, the new message out of the tab order.
    expect(stops).toEqual({ m10: '-1', m11: '0' })
    const before = new Set(articles(list).filter((article) => article !== articleOf(list, 'm11')))
    const touchedBefore = records.filter((record) =>
      [...before].some((article) => article === record.target || article.contains(record.target)),
    )
    // The old stop's tabindex, nothing else: no write to every entry per arrival.
    expect(touchedBefore.map((record) => `${record.type} ${record.attributeName ?? ''}`)).toEqual(['attributes tabindex'])
    expect(touchedBefore[0].target).toBe(newest)
    expect(articleOf(list, 'm11')?.querySelector('p')?.textContent).toBe('one more')
    await settled(list)
    expect(articleOf(list, 'm11')?.getAttribute('tabindex')).toBe('0')
    expect(articleOf(list, 'm10')?.getAttribute('tabindex')).toBe('-1')
  })

  it("keeps a new message's links out of the tab order in the render that draws it while an older message holds the stop", async () => {
    const { list } = await mountCounted(manyMessages(10))
    // The user went to m5 with the keyboard, then elsewhere: m5 keeps the stop as new messages come.
    articleOf(list, 'm5')?.focus({ preventScroll: true })
    articleOf(list, 'm5')?.blur()
    await settled(list)
    const next = message('m11', 'Bo', 'see https://example.com/tabstop', Date.UTC(2025, 0, 2, 9, 0) + 10 * 60_000)
    list.messages = [...list.messages, next]
    const { stops } = await inTheRender(list, 'm11', () => ({
      m5: articleOf(list, 'm5')?.getAttribute('tabindex'),
      m11: articleOf(list, 'm11')?.getAttribute('tabindex'),
      link: articleOf(list, 'm11')?.querySelector('a')?.getAttribute('tabindex'),
    }))
    // Written at the next frame, the link was in the tab order meanwhile (Shift+Tab from the composer reached it).
    expect(stops).toEqual({ m5: '0', m11: '-1', link: '-1' })
  })

  it("draws the room's views of its growing list as it draws arrays, and a reply whose original is missing quotes no other", async () => {
    // The room appends to one array and hands out a view of it per change, never a copy.
    const growing = manyMessages(20)
    const annotationOf = (record: MessageRecord): AnnotatedMessage =>
      record.id === 'r1' ? { ...unannotated(record), replyTo: 'gone' } : unannotated(record)
    growing.push(message('r1', 'Bo', 'my answer', Date.UTC(2025, 0, 2, 9, 25)))
    const { list } = await mountCounted(growing, () => 'verified', annotationOf)
    const before = new AppendOnlyView(growing)
    list.messages = before
    await settled(list)
    const quote = () => articleOf(list, 'r1')?.querySelector('.quote')?.textContent ?? ''
    expect(quote()).toContain('not shown here')
    growing.push(message('m22', 'Ann', 'the newest', Date.UTC(2025, 0, 2, 9, 26)))
    list.messages = new AppendOnlyView(growing)
    await settled(list)
    expect(articles(list).at(-1)?.querySelector('p')?.textContent).toBe('the newest')
    // Not found (-1) is not the newest message: the quote still says its original is missing.
    expect(quote()).toContain('not shown here')
    expect(quote()).not.toContain('the newest')
    expect(before.length).toBe(21)
  })

  it('lets a new message at the bottom take the keyboard from the render that draws it', async () => {
    const { list } = await mountCounted(manyMessages(10))
    const root = list.shadowRoot as ShadowRoot
    list.messages = [...list.messages, message('m11', 'Bo', 'one more', Date.UTC(2025, 0, 2, 9, 0) + 10 * 60_000)]
    // Right after the render that puts it in (a mutation observer's microtask), before the next frame:
    // it already offers its actions (Enter on it opens them), so it must take the keyboard.
    const seen = await new Promise<{ offersActions: boolean; focused: boolean }>((resolve) => {
      const observer = new MutationObserver(() => {
        const article = articleOf(list, 'm11')
        if (article === null) return
        observer.disconnect()
        article.focus()
        resolve({ offersActions: article.querySelector('.more') !== null, focused: root.activeElement === article })
      })
      observer.observe(root, { subtree: true, childList: true })
    })
    // Without a tabindex until the next frame, focus() did nothing (edits.test.ts's Enter then went to the composer).
    expect(seen).toEqual({ offersActions: true, focused: true })
    await settled(list)
    // Out of the tab order but for the stop, as before.
    expect(articleOf(list, 'm11')?.getAttribute('tabindex')).toBe('0')
    expect(articleOf(list, 'm10')?.getAttribute('tabindex')).toBe('-1')
  })
})
