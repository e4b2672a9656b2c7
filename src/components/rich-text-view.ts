// Message text drawn from its parsed token tree as Lit templates, text bindings only, and the
// cache that parses each message once however often a long log redraws it.
import { html, type TemplateResult } from 'lit'
import type { MessageRecord } from '../room/index.js'
import { type MentionNames, type RichNode, type SafeHref, parseRichText, withMentions } from './rich-text.js'

/** A message's parsed text, and its mentions as last resolved (against `names`). */
interface Parsed {
  nodes: RichNode[]
  names: MentionNames | null
  resolved: RichNode[]
}

/** Records are immutable once made: each is parsed at most once, and forgotten with it. */
const parsed = new WeakMap<MessageRecord, Parsed>()

/** The message's text as nodes with mentions of `names` marked; parsed once per message. */
export function richTextOf(message: MessageRecord, names: MentionNames): readonly RichNode[] {
  let entry = parsed.get(message)
  if (entry === undefined) {
    const nodes = parseRichText(message.text)
    entry = { nodes, names: null, resolved: nodes }
    parsed.set(message, entry)
  }
  if (entry.names !== names) {
    entry.resolved = withMentions(entry.nodes, names)
    entry.names = names
  }
  return entry.resolved
}

/**
 * The one way templates bind a URL attribute: only a SafeHref type-checks in, and the linter
 * refuses any other URL binding (lint/checked-urls.grit).
 */
export function hrefOf(href: SafeHref): string {
  return href
}

/**
 * The nodes as templates: every string a peer wrote is bound as text, every href was checked.
 * Plain text (one text node, most messages) is one string: Lit draws it as a single text node,
 * where a list costs a part and two markers per item.
 */
export function renderRichText(nodes: readonly RichNode[]): Array<TemplateResult | string> | string {
  const [only] = nodes
  if (nodes.length === 1 && only.kind === 'text') return only.text
  return nodes.map(renderNode)
}

function renderNode(node: RichNode): TemplateResult | string {
  switch (node.kind) {
    case 'text':
      return node.text
    case 'link':
      return html`<a href=${hrefOf(node.href)} rel="noopener noreferrer" target="_blank">${node.text}</a>`
    case 'code':
      return html`<code>${node.text}</code>`
    case 'code-block':
      return html`<code class="block">${node.text}</code>`
    case 'emphasis':
      return html`<em>${renderRichText(node.children)}</em>`
    case 'strong':
      return html`<strong>${renderRichText(node.children)}</strong>`
    case 'mention':
      return node.self
        ? html`<mark class="mention self" title="Mentions you">${node.text}</mark>`
        : html`<mark class="mention">${node.text}</mark>`
  }
}
