// Message text in <parley-message-list>, in Chromium: links with a checked href, rel and target,
// code, emphasis and highlighted mentions, drawn as elements whose text is bound as text.
import { describe, expect, it } from 'vitest'
import '../../src/components/parley-message-list.js'
import type { ParleyMessageList } from '../../src/components/parley-message-list.js'
import { mentionNames } from '../../src/components/rich-text.js'
import type { MessageRecord } from '../../src/room/index.js'
import { message, mount } from './browser-fixtures.js'

/** A list showing `messages`, all verified, with mentions of `names` (the reader being Bob). */
function mountList(messages: readonly MessageRecord[], names: readonly string[] = ['Ann', 'Bob']): Promise<ParleyMessageList> {
  return mount('parley-message-list', (element) => {
    element.messages = messages
    element.verdictOf = () => 'verified'
    element.mentionNames = mentionNames(names, 'Bob')
  })
}

/** The text of the only message's paragraph. */
const paragraph = (list: ParleyMessageList) => list.shadowRoot?.querySelector('article p') as HTMLParagraphElement

describe('message text', () => {
  it('makes http(s) and mailto URLs links that open apart, with no referrer and no opener', async () => {
    const list = await mountList([message('m1', 'Ann', 'docs: https://example.com/a?b=1&c=<2> and mailto:ann@example.com.')])
    const links = [...paragraph(list).querySelectorAll('a')]
    expect(links.map((link) => [link.getAttribute('href'), link.textContent, link.rel, link.target])).toEqual([
      ['https://example.com/a?b=1&c=', 'https://example.com/a?b=1&c=', 'noopener noreferrer', '_blank'],
      ['mailto:ann@example.com', 'mailto:ann@example.com', 'noopener noreferrer', '_blank'],
    ])
    expect(paragraph(list).textContent).toBe('docs: https://example.com/a?b=1&c=<2> and mailto:ann@example.com.')
  })

  it('leaves javascript:, data: and vbscript: URLs as text, and markup as text', async () => {
    const hostile = 'javascript:alert(1) data:text/html,<script>alert(1)</script> vbscript:x <b>bold</b> &amp; <img src=x onerror=alert(1)>'
    const list = await mountList([message('m1', 'Ann', hostile)])
    expect(paragraph(list).querySelector('a, b, img, script')).toBeNull()
    expect(paragraph(list).childElementCount).toBe(0)
    expect(paragraph(list).textContent).toBe(hostile)
  })

  it('draws code, code blocks, emphasis and strong as elements holding text', async () => {
    const list = await mountList([message('m1', 'Ann', 'run `<b>npm</b> test` *now*, **please**\n```\nconst x = 1 * 2\n```\ndone')])
    const p = paragraph(list)
    expect([...p.querySelectorAll('code')].map((code) => [code.className, code.textContent])).toEqual([
      ['', '<b>npm</b> test'],
      ['block', 'const x = 1 * 2'],
    ])
    expect(p.querySelector('em')?.textContent).toBe('now')
    expect(p.querySelector('strong')?.textContent).toBe('please')
    expect(p.querySelector('b')).toBeNull()
    expect(getComputedStyle(p.querySelector('code.block') as Element).display).toBe('block')
  })

  it("highlights mentions of members, the reader's own apart, and not of a name that is no member's", async () => {
    const list = await mountList([message('m1', 'Ann', 'hi @bob and @Ann, not @Mallory or ann@Bob.example')])
    const marks = [...paragraph(list).querySelectorAll('mark.mention')]
    expect(marks.map((mark) => [mark.textContent, mark.classList.contains('self')])).toEqual([
      ['@bob', true],
      ['@Ann', false],
    ])
    expect(getComputedStyle(marks[0]).backgroundColor).not.toBe(getComputedStyle(paragraph(list)).backgroundColor)
    // The members change: mentions are resolved again against the new names.
    list.mentionNames = mentionNames(['Ann', 'Bob', 'Mallory'], 'Bob')
    await list.updateComplete
    expect([...paragraph(list).querySelectorAll('mark.mention')].map((mark) => mark.textContent)).toEqual(['@bob', '@Ann', '@Mallory'])
  })
})
