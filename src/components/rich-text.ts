// Message text as a small token tree: links (http, https, mailto only), `code`, fenced code
// blocks, *emphasis*, **strong** and @mentions. Pure, one pass, linear time; no HTML is made.
//
// The grammar, on purpose smaller than Markdown:
// - A fenced block is a line starting with ``` (anything after it is ignored) up to the next
//   line that is exactly ``` (spaces around allowed); without such a line the fence is text.
// - `code` runs from a backtick to the next one in the same paragraph; a lone one is text.
// - A URL starts with http://, https:// or mailto: after a non-word character (or the start),
//   runs to whitespace or <>"`, drops trailing punctuation and unbalanced ")", and is a link
//   only if the URL parser accepts it with that scheme (and a host, for http and https).
// - ** and * open before a non-space and close after one; unmatched ones stay text; at most
//   MAX_EMPHASIS_DEPTH levels nest, deeper markers stay text (that bound keeps it linear).
// - @Name is a mention when Name is a known name (longest wins, case-insensitive), the @ does
//   not follow a letter, digit or _, and none follows the name. Code and links hold none.

declare const safeHrefBrand: unique symbol

/** A URL checked to be http:, https: or mailto:, made only by this module. */
export type SafeHref = string & { readonly [safeHrefBrand]: true }

/** One piece of a message's text. */
export type RichNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'link'; readonly href: SafeHref; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'code-block'; readonly text: string }
  | { readonly kind: 'emphasis'; readonly children: readonly RichNode[] }
  | { readonly kind: 'strong'; readonly children: readonly RichNode[] }
  | { readonly kind: 'mention'; readonly name: string; readonly text: string; readonly self: boolean }

/** How deeply emphasis and strong may nest; markers beyond it are text. */
export const MAX_EMPHASIS_DEPTH = 4
/** Schemes a link may have; everything else (javascript:, data:, vbscript:, …) stays text. */
const LINK_SCHEMES = ['https://', 'http://', 'mailto:'] as const
const ALLOWED_PROTOCOLS = new Set(['http:', 'https:', 'mailto:'])
const FENCE = '```'
/** Longest URL made a link, in characters; longer ones stay text. */
export const MAX_URL_CHARS = 2048

/** Whether `char` (one code point) is a letter, digit or underscore in any script. */
function isWordChar(char: string | undefined): boolean {
  if (char === undefined) return false
  const code = char.charCodeAt(0)
  // ASCII without a regular expression: most text is.
  if (code < 0x80)
    return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f
  return /^[\p{L}\p{N}\p{M}_]$/u.test(char)
}

/** Whether `char` is whitespace, or no character (the start or end of the text). */
function isSpace(char: string | undefined): boolean {
  if (char === undefined) return true
  const code = char.charCodeAt(0)
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d)
  return /^\s$/u.test(char)
}

/** The code point of `text` that ends just before `index`, or undefined at the start. */
function charBefore(text: string, index: number): string | undefined {
  if (index <= 0) return undefined
  const low = text.charCodeAt(index - 1)
  if (index >= 2 && low >= 0xdc00 && low <= 0xdfff) {
    const high = text.charCodeAt(index - 2)
    if (high >= 0xd800 && high <= 0xdbff) return text.slice(index - 2, index)
  }
  return text[index - 1]
}

/** The code point of `text` that starts at `index`, or undefined at the end. */
function charAt(text: string, index: number): string | undefined {
  const code = text.charCodeAt(index)
  if (Number.isNaN(code)) return undefined
  if (code < 0xd800 || code > 0xdbff) return text[index]
  return String.fromCodePoint(text.codePointAt(index) as number)
}

/** Parses message text into blocks and inline nodes, without mentions (see withMentions). */
export function parseRichText(text: string): RichNode[] {
  const lines = text.split('\n')
  // closerAfter[i]: whether some line after i closes a fence; found in one backward pass.
  const closerAfter = new Array<boolean>(lines.length).fill(false)
  for (let i = lines.length - 2; i >= 0; i--) closerAfter[i] = closerAfter[i + 1] || lines[i + 1].trim() === FENCE
  const nodes: RichNode[] = []
  let paragraph: string[] = []
  const flush = (): void => {
    if (paragraph.length > 0) nodes.push(...parseInline(paragraph.join('\n')))
    paragraph = []
  }
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith(FENCE) && closerAfter[i]) {
      let end = i + 1
      while (lines[end].trim() !== FENCE) end++
      // The newlines around a block belong to neither side: the block is drawn as one.
      flush()
      nodes.push({ kind: 'code-block', text: lines.slice(i + 1, end).join('\n') })
      i = end
      continue
    }
    paragraph.push(lines[i])
  }
  flush()
  return mergeText(nodes)
}

/** An open emphasis or strong marker, with what follows it so far. */
interface Frame {
  marker: '*' | '**'
  children: RichNode[]
}

function parseInline(text: string): RichNode[] {
  const root: RichNode[] = []
  const stack: Frame[] = []
  const open = { '*': 0, '**': 0 }
  let plainFrom = 0
  /** Link starts before this index are not tried. */
  let noLinkUntil = 0
  const out = (): RichNode[] => (stack.length > 0 ? stack[stack.length - 1].children : root)
  const pushText = (to: number): void => {
    if (to > plainFrom) out().push({ kind: 'text', text: text.slice(plainFrom, to) })
  }
  let i = 0
  while (i < text.length) {
    const char = text[i]
    if (char === '`') {
      const end = text.indexOf('`', i + 1)
      if (end > i + 1) {
        pushText(i)
        out().push({ kind: 'code', text: text.slice(i + 1, end) })
        i = plainFrom = end + 1
        continue
      }
      // An empty pair is text; so is a lone backtick (and then no later one exists to pair).
      i = end === -1 ? i + 1 : end + 1
      continue
    }
    if (char === '*') {
      const top = stack[stack.length - 1]
      if (top !== undefined && !isSpace(charBefore(text, i)) && (top.children.length > 0 || i > plainFrom)) {
        // Close the innermost marker if this run can, else an outer one of the run's kind.
        const marker = text.startsWith(top.marker, i) ? top.marker : text.startsWith('**', i) ? '**' : '*'
        if (open[marker] > 0) {
          pushText(i)
          closeTo(marker, stack, root, open)
          i = plainFrom = i + marker.length
          continue
        }
      }
      const marker = text.startsWith('**', i) ? '**' : '*'
      if (!isSpace(charAt(text, i + marker.length)) && stack.length < MAX_EMPHASIS_DEPTH) {
        pushText(i)
        stack.push({ marker, children: [] })
        open[marker]++
        i = plainFrom = i + marker.length
        continue
      }
      i += marker.length
      continue
    }
    if (i >= noLinkUntil && (char === 'h' || char === 'H' || char === 'm' || char === 'M') && !isWordChar(charBefore(text, i))) {
      const link = linkAt(text, i)
      if (link !== null && link.href !== null) {
        pushText(i)
        out().push({ kind: 'link', href: link.href, text: text.slice(i, link.end) })
        i = plainFrom = link.end
        continue
      }
      // A URL that failed the check: nothing later in the same run is tried (keeps it linear).
      if (link !== null) noLinkUntil = link.end
    }
    i++
  }
  pushText(text.length)
  // Unclosed markers are text.
  while (stack.length > 0) unwind(stack, root, open)
  return mergeText(root)
}

/** Closes the innermost open `marker`, turning markers opened after it back into text. */
function closeTo(marker: '*' | '**', stack: Frame[], root: RichNode[], open: Record<'*' | '**', number>): void {
  while (stack[stack.length - 1].marker !== marker) unwind(stack, root, open)
  const frame = stack.pop() as Frame
  open[marker]--
  const parent = stack.length > 0 ? stack[stack.length - 1].children : root
  parent.push({ kind: marker === '**' ? 'strong' : 'emphasis', children: mergeText(frame.children) })
}

/** Drops the innermost open marker: its text and what followed go to its parent as they were. */
function unwind(stack: Frame[], root: RichNode[], open: Record<'*' | '**', number>): void {
  const frame = stack.pop() as Frame
  open[frame.marker]--
  const parent = stack.length > 0 ? stack[stack.length - 1].children : root
  parent.push({ kind: 'text', text: frame.marker }, ...frame.children)
}

/** Characters that end a URL wherever they are. */
function endsUrl(code: number): boolean {
  // Space and controls, ", <, >, `, and the whitespace /\s/ knows beyond ASCII.
  return (
    code <= 0x20 ||
    code === 0x22 ||
    code === 0x3c ||
    code === 0x3e ||
    code === 0x60 ||
    code === 0x7f ||
    /\s/.test(String.fromCharCode(code))
  )
}

/** Characters dropped from the end of a URL: sentence punctuation around it. */
const TRAILING_PUNCTUATION = new Set(['.', ',', ':', ';', '!', '?', "'", '*', '_', ']', '}'])

/**
 * The URL that starts at `start`, if one does: where it ends, and its checked href (null when
 * the check failed, and then `end` is where its run of non-space characters ends).
 */
function linkAt(text: string, start: number): { href: SafeHref | null; end: number } | null {
  const head = text.slice(start, start + 8).toLowerCase()
  const scheme = LINK_SCHEMES.find((each) => head.startsWith(each))
  if (scheme === undefined) return null
  const runEnd = urlRunEnd(text, start + scheme.length)
  let end = runEnd
  // Trailing punctuation, and closing parentheses that open nowhere in the URL, are the sentence's.
  let opens = 0
  let closes = 0
  for (let i = start; i < end; i++) {
    if (text[i] === '(') opens++
    else if (text[i] === ')') closes++
  }
  while (end > start + scheme.length) {
    const last = text[end - 1]
    if (TRAILING_PUNCTUATION.has(last)) end--
    else if (last === ')' && closes > opens) {
      end--
      closes--
    } else break
  }
  const href = end === start + scheme.length || end - start > MAX_URL_CHARS ? null : checkedHref(text.slice(start, end))
  return href === null ? { href, end: runEnd } : { href, end }
}

function urlRunEnd(text: string, from: number): number {
  let end = from
  while (end < text.length && !endsUrl(text.charCodeAt(end))) end++
  return end
}

/** `raw` as a normalised URL if it parses with an allowed scheme (http and https with a host). */
export function checkedHref(raw: string): SafeHref | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return null // not a URL: stays text
  }
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) return null
  if (url.protocol !== 'mailto:' && url.hostname === '') return null
  return url.href as SafeHref
}

/** Joins neighbouring text nodes. */
function mergeText(nodes: RichNode[]): RichNode[] {
  const merged: RichNode[] = []
  for (const node of nodes) {
    const last = merged[merged.length - 1]
    if (node.kind === 'text' && last?.kind === 'text') merged[merged.length - 1] = { kind: 'text', text: last.text + node.text }
    else if (node.kind !== 'text' || node.text !== '') merged.push(node)
  }
  return merged
}

/** One code point folded to lower case, the same wherever it stands. */
function fold(char: string): string {
  return char.toLowerCase()
}

/** A name folded one code point at a time, as the trie holds it. */
function foldName(name: string): string {
  let folded = ''
  for (const char of name) folded += fold(char)
  return folded
}

/** A trie of known names, folded to lower case one code point at a time. */
interface TrieNode {
  next: Map<string, TrieNode>
  /** The name ending here, as known. */
  name?: string
}

/** The names a mention may refer to, and which of them is the reader's own. */
export interface MentionNames {
  readonly names: readonly string[]
  readonly self: string | null
  readonly trie: TrieNode
}

/** Mentions nobody: no name is known. */
export const NO_MENTIONS: MentionNames = mentionNames([], null)

/** A matcher for mentions of `names` (members' names), the reader being `self`. */
export function mentionNames(names: readonly string[], self: string | null): MentionNames {
  const trie: TrieNode = { next: new Map() }
  const all = self === null ? names : [...names, self]
  for (const name of all) {
    if (name === '') continue
    let node = trie
    for (const char of name) {
      const key = fold(char)
      let child = node.next.get(key)
      if (child === undefined) {
        child = { next: new Map() }
        node.next.set(key, child)
      }
      node = child
    }
    node.name ??= name
  }
  return { names, self, trie }
}

/** The longest known name right after the @ at `at`, and where it ends; null for none. */
function mentionAt(text: string, at: number, known: MentionNames): { name: string; end: number } | null {
  let node: TrieNode | undefined = known.trie
  let found: { name: string; end: number } | null = null
  let i = at + 1
  while (node !== undefined && i < text.length) {
    const char = charAt(text, i) as string
    node = node.next.get(fold(char))
    i += char.length
    if (node?.name !== undefined && !isWordChar(charAt(text, i))) found = { name: node.name, end: i }
  }
  return found
}

/** `nodes` with @mentions of known names marked; code, code blocks and links hold none. */
export function withMentions(nodes: readonly RichNode[], known: MentionNames): RichNode[] {
  if (known.trie.next.size === 0) return nodes as RichNode[]
  const selfKey = known.self === null ? null : foldName(known.self)
  const result: RichNode[] = []
  for (const node of nodes) {
    if (node.kind === 'emphasis' || node.kind === 'strong') {
      result.push({ kind: node.kind, children: withMentions(node.children, known) })
      continue
    }
    if (node.kind !== 'text') {
      result.push(node)
      continue
    }
    const text = node.text
    let from = 0
    let at = text.indexOf('@')
    while (at !== -1) {
      const mention = isWordChar(charBefore(text, at)) ? null : mentionAt(text, at, known)
      if (mention !== null) {
        if (at > from) result.push({ kind: 'text', text: text.slice(from, at) })
        result.push({ kind: 'mention', name: mention.name, text: text.slice(at, mention.end), self: foldName(mention.name) === selfKey })
        from = mention.end
      }
      at = text.indexOf('@', mention === null ? at + 1 : mention.end)
    }
    if (from < text.length) result.push({ kind: 'text', text: text.slice(from) })
  }
  return result
}

/** Whether `nodes` (after withMentions) mention the reader. */
export function mentionsSelf(nodes: readonly RichNode[]): boolean {
  return nodes.some((node) =>
    node.kind === 'mention' ? node.self : node.kind === 'emphasis' || node.kind === 'strong' ? mentionsSelf(node.children) : false,
  )
}

/** The text as a reader sees it: markers and fences dropped (for notifications). */
export function plainText(nodes: readonly RichNode[]): string {
  return nodes.map((node) => ('children' in node ? plainText(node.children) : node.text)).join('')
}
