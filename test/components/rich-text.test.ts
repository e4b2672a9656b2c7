// The message-text parser: links, code, emphasis and mentions, and what it refuses — hostile
// schemes, markup, unbalanced markers — in linear time on very long inputs.
import { describe, expect, it } from 'vitest'
import {
  MAX_EMPHASIS_DEPTH,
  checkedHref,
  mentionNames,
  mentionsSelf,
  parseRichText,
  plainText,
  withMentions,
  type RichNode,
} from '../../src/components/rich-text.js'

const text = (value: string): RichNode => ({ kind: 'text', text: value })
const link = (href: string, value = href): RichNode => ({ kind: 'link', href, text: value }) as RichNode

describe('links', () => {
  it('makes http, https and mailto URLs links, leaving the sentence around them', () => {
    expect(parseRichText('see https://example.com/a?b=1#c, or mail mailto:bob@example.com.')).toEqual([
      text('see '),
      link('https://example.com/a?b=1#c'),
      text(', or mail '),
      link('mailto:bob@example.com'),
      text('.'),
    ])
    expect(parseRichText('(http://example.com/wiki/Foo_(bar))')).toEqual([text('('), link('http://example.com/wiki/Foo_(bar)'), text(')')])
  })

  it('keeps javascript:, data:, vbscript: and other schemes as text', () => {
    for (const hostile of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      'ftp://example.com',
      'java\tscript:alert(1)',
    ]) {
      expect(
        parseRichText(hostile).every((node) => node.kind === 'text'),
        hostile,
      ).toBe(true)
      expect(plainText(parseRichText(hostile))).toBe(hostile)
    }
  })

  it('never lets a scheme other than http, https or mailto through the check', () => {
    expect(checkedHref('javascript:alert(1)')).toBeNull()
    expect(checkedHref('data:text/html,x')).toBeNull()
    expect(checkedHref('http://')).toBeNull()
    expect(checkedHref('https://[::1')).toBeNull()
    expect(checkedHref('HTTPS://Example.COM/x')).toBe('https://example.com/x')
  })

  it('needs a boundary before the scheme and stops at markup characters', () => {
    expect(parseRichText('xhttp://example.com')).toEqual([text('xhttp://example.com')])
    expect(parseRichText('<https://example.com/>"')).toEqual([text('<'), link('https://example.com/'), text('>"')])
    expect(parseRichText('https://a.example/"onmouseover="x')).toEqual([link('https://a.example/'), text('"onmouseover="x')])
  })
})

describe('markup', () => {
  it('keeps HTML and entities as the text they are', () => {
    const hostile = '<script>alert(1)</script> <b>bold</b> &lt;i&gt; &amp; <img src=x onerror=alert(1)>'
    expect(parseRichText(hostile)).toEqual([text(hostile)])
  })

  it('parses code spans, emphasis and strong, with nothing inside code', () => {
    expect(parseRichText('run `npm *test*` **now**, *please*')).toEqual([
      text('run '),
      { kind: 'code', text: 'npm *test*' },
      text(' '),
      { kind: 'strong', children: [text('now')] },
      text(', '),
      { kind: 'emphasis', children: [text('please')] },
    ])
    expect(parseRichText('***both***')).toEqual([{ kind: 'strong', children: [{ kind: 'emphasis', children: [text('both')] }] }])
    expect(parseRichText('*see https://example.com*')).toEqual([
      { kind: 'emphasis', children: [text('see '), link('https://example.com/', 'https://example.com')] },
    ])
  })

  it('parses fenced code blocks, and keeps an unclosed fence as text', () => {
    expect(parseRichText('before\n```js\nconst a = `x` * 2 // <b>\n```\nafter')).toEqual([
      text('before'),
      { kind: 'code-block', text: 'const a = `x` * 2 // <b>' },
      text('after'),
    ])
    expect(parseRichText('```\nnot closed *a*')).toEqual([text('```\nnot closed '), { kind: 'emphasis', children: [text('a')] }])
  })

  it('keeps unbalanced and spaced markers as text', () => {
    for (const plain of ['*open', 'close*', '**a*', 'a * b * c', '`lone', '``', '** spaced **', '*']) {
      expect(plainText(parseRichText(plain)), plain).toBe(plain)
      expect(
        parseRichText(plain).every((node) => node.kind === 'text'),
        plain,
      ).toBe(true)
    }
    // A lone backtick does not hide what follows it.
    expect(parseRichText('`a https://example.com')).toEqual([text('`a '), link('https://example.com/', 'https://example.com')])
  })

  it(`nests at most ${MAX_EMPHASIS_DEPTH} levels, and keeps deeper markers as text`, () => {
    const depth = (nodes: readonly RichNode[]): number =>
      Math.max(0, ...nodes.map((node) => ('children' in node ? 1 + depth(node.children) : 0)))
    expect(depth(parseRichText('*a **b *c **d** c* b** a*'))).toBe(4)
    const deeper = '*a **b *c **d *e* d** c* b** a*'
    expect(depth(parseRichText(deeper))).toBeLessThanOrEqual(MAX_EMPHASIS_DEPTH)
    expect(plainText(parseRichText(deeper)).replaceAll('*', '')).toBe(deeper.replaceAll('*', ''))
  })
})

describe('mentions', () => {
  const names = mentionNames(['Ann Lee', 'Ann', 'Zoë', '李雷', 'Bob'], 'Bob')
  const mentions = (input: string) =>
    withMentions(parseRichText(input), names).flatMap((node) => (node.kind === 'mention' ? [[node.name, node.text, node.self]] : []))

  it('marks known names, the longest first, with spaces and any script', () => {
    expect(mentions('@ann lee and @Ann, @Zoë: @李雷 @bob')).toEqual([
      ['Ann Lee', '@ann lee', false],
      ['Ann', '@Ann', false],
      ['Zoë', '@Zoë', false],
      ['李雷', '@李雷', false],
      ['Bob', '@bob', true],
    ])
  })

  it('does not mark names that are not members, parts of words, emails, code or links', () => {
    expect(mentions('@Mallory @Bobby ann@Bob.example `@Bob` https://example.com/@Bob')).toEqual([])
  })

  it('finds the mentions of the reader, inside emphasis too', () => {
    expect(mentionsSelf(withMentions(parseRichText('**hey @Bob**'), names))).toBe(true)
    expect(mentionsSelf(withMentions(parseRichText('hey @Ann'), names))).toBe(false)
    expect(mentionsSelf(withMentions(parseRichText('hey @Bob'), mentionNames(['Bob'], null)))).toBe(false)
  })

  it('leaves the parsed tree as it was', () => {
    const parsed = parseRichText('hi @Bob *and @Ann*')
    const copy = structuredClone(parsed)
    withMentions(parsed, names)
    expect(parsed).toEqual(copy)
  })
})

/**
 * Time each input may take before the test fails, in ms: no speed target (that is the bench's
 * job) but a guard on complexity. Linear work on 100 KB takes milliseconds, tens on a loaded
 * machine; quadratic work, about 10^10 steps, takes minutes and fails by this timeout.
 */
const QUADRATIC_GUARD_MS = 30_000

describe('very long inputs', () => {
  // Each input is 100 KB or more of what makes backtracking or quadratic scanning blow up.
  const hostile: Record<string, string> = {
    stars: '*a'.repeat(50_000),
    doubleStars: '**a *'.repeat(20_000),
    backticks: '`'.repeat(100_000),
    fences: '```\n'.repeat(25_000),
    brokenUrls: 'http://['.repeat(12_500),
    urlsInOneRun: 'https://a.example/'.repeat(6_000),
    parentheses: `https://a.example/${'('.repeat(50_000)}${')'.repeat(50_000)}`,
    mentions: '@Ann Le'.repeat(15_000),
    ats: '@'.repeat(100_000),
  }

  for (const [name, input] of Object.entries(hostile)) {
    it(`parses ${name} in linear time, keeping every character`, { timeout: QUADRATIC_GUARD_MS }, () => {
      const nodes = withMentions(parseRichText(input), mentionNames(['Ann Lee', 'Ann'], 'Ann'))
      // Every character is kept but the markers the parser took (and no diff of 100 KB printed).
      const unmarked = (value: string) => value.replace(/```\n|[*`]/g, '')
      expect(unmarked(plainText(nodes)) === unmarked(input)).toBe(true)
    })
  }
})
