// What the log draws of a message's annotations from the start: the reaction buttons, the quote
// of the message replied to, refused changes, and the styles of these and of the actions panel.
import { css, html, nothing } from 'lit'
import type { AnnotatedMessage, MessageRecord, ReactionSummary, Verdict } from '../room/index.js'
import { lightTheme } from './shared-styles.js'

/** Longest part of a quoted message shown above a reply, in characters. */
const QUOTE_CHARS = 120

/** Styles of the parts drawn here, for the log's stylesheet. */
export const messageActionStyles = css`
  article { position: relative; }
  .more { position: absolute; top: 0.2rem; right: 0; font: inherit; font-size: 0.85em; padding: 0.1rem 0.45rem; border-radius: 4px;
    cursor: pointer; color: inherit; background: var(--parley-input-background, ${lightTheme.inputBackground});
    border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); opacity: 0; }
  article:hover .more, article:focus-within .more, .more[aria-expanded='true'] { opacity: 1; }
  /* Without hover (a phone) the button always shows: the message keeps its width clear, or the button covers its first line's end. */
  @media (hover: none) { .more { opacity: 1; } article { padding-right: 2.25rem; } }
  .actions { display: flex; flex-wrap: wrap; gap: 0.25rem; margin-top: 0.25rem; }
  .actions button, .reactions button, .editor button { font: inherit; font-size: 0.85em; padding: 0.15rem 0.5rem; border-radius: 999px;
    cursor: pointer; color: inherit; background: transparent; border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder}); }
  .confirm { align-items: baseline; }
  .actions .confirm-delete { border-color: var(--parley-error, ${lightTheme.error}); color: var(--parley-error, ${lightTheme.error}); }
  .reactions { display: flex; flex-wrap: wrap; gap: 0.25rem; margin-top: 0.25rem; }
  .reactions button[aria-pressed='true'] { border-color: var(--parley-accent, ${lightTheme.accent});
    background: color-mix(in srgb, var(--parley-accent, ${lightTheme.accent}) 14%, transparent); }
  .edited, .deleted, .refused { font-size: 0.8em; color: var(--parley-muted, ${lightTheme.muted}); }
  .deleted { font-style: italic; margin: 0.1rem 0 0; }
  .refused { margin: 0.1rem 0 0; color: var(--parley-error, ${lightTheme.error}); }
  .quote { display: block; max-width: 100%; text-align: left; font: inherit; font-size: 0.85em; margin: 0.15rem 0; padding: 0.1rem 0.5rem;
    cursor: pointer; color: var(--parley-muted, ${lightTheme.muted}); background: transparent; border: 0;
    border-left: 3px solid var(--parley-border-color, ${lightTheme.borderColor}); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .editor { display: grid; gap: 0.25rem; margin-top: 0.15rem; }
  .editor textarea { font: inherit; box-sizing: border-box; width: 100%; min-height: 2.5rem; padding: 0.4rem 0.5rem; border-radius: 6px; color: inherit;
    background: var(--parley-input-background, ${lightTheme.inputBackground}); border: 1px solid var(--parley-input-border, ${lightTheme.inputBorder});
    field-sizing: content; resize: vertical; }
  .editor div { display: flex; gap: 0.25rem; }
`

/** The names of who reacted, for an accessible name and tooltip: "👍 2: Alice, Bob". */
export function reactionLabel(summary: ReactionSummary): string {
  const names = summary.reactors.map((reactor) => reactor.authorName).join(', ')
  return `${summary.emoji} ${summary.reactors.length}: ${names}`
}

/** The reaction buttons under a message; each toggles the user's own reaction (none can when `toggle` is null). */
export function renderReactions(annotated: AnnotatedMessage, selfId: string, toggle: ((emoji: string, on: boolean) => void) | null) {
  if (annotated.reactions.length === 0) return nothing
  return html`<div class="reactions" role="group" aria-label="Reactions">${annotated.reactions.map((summary) => {
    const mine = summary.reactors.some((reactor) => reactor.authorId === selfId)
    const label = reactionLabel(summary)
    return html`<button type="button" aria-pressed=${mine ? 'true' : 'false'} aria-label=${label} title=${label} ?disabled=${toggle === null}
      @click=${() => toggle?.(summary.emoji, !mine)}>${summary.emoji} ${summary.reactors.length}</button>`
  })}</div>`
}

/** A line of text short enough to quote. */
function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > QUOTE_CHARS ? `${line.slice(0, QUOTE_CHARS - 1)}…` : line
}

/** The quote above a reply: the original's author and first words; activating it jumps there. */
export function renderQuote(original: MessageRecord | undefined, annotated: AnnotatedMessage | null, verdict: Verdict, jump: () => void) {
  if (original === undefined || annotated === null) return html`<div class="quote" role="note">↪ Reply to a message not shown here</div>`
  const who =
    verdict === 'verified' ? original.authorName : verdict === 'pending' ? 'Checking signature…' : `⚠ ${original.authorName} (unverified)`
  const text = annotated.deleted ? 'message deleted' : snippet(annotated.text)
  return html`<button type="button" class="quote" aria-label=${`Reply to ${who}: ${text}. Go to the original message`}
    title="Go to the original message" @click=${jump}><span aria-hidden="true">↪ </span>${who}: ${text}</button>`
}

/** Why edits or deletions of a message were refused, or nothing. */
export function renderRefused(annotated: AnnotatedMessage) {
  if (annotated.refused === 0) return nothing
  const changes = annotated.refused === 1 ? 'change' : 'changes'
  return html`<p class="refused" title="These changes are not signed by the message's author">⚠ ${annotated.refused} unverified ${changes} to this message not applied</p>`
}
