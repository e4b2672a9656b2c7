// Completing @mentions in the composer, as pure functions over the draft: the @query at the
// caret, the members' names it matches, and the draft with the picked name put in.

/** The longest query looked back for from the caret, in characters (a name's length, and the @). */
const MAX_QUERY_CHARS = 65
/** How many names the completion list offers at most. */
export const MAX_MENTION_OPTIONS = 8

/** An @query being typed: where its @ is, and the text from there to the caret. */
export interface MentionQuery {
  /** Index of the @ in the draft. */
  start: number
  /** What follows the @, up to the caret. */
  query: string
}

/** Whether `char` is a letter, digit or underscore in any script (a mention's @ follows none). */
function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /^[\p{L}\p{N}\p{M}_]$/u.test(char)
}

/** The @query the caret is in, if any: an @ at the start or after a non-word character, no line break since. */
export function mentionQueryAt(draft: string, caret: number): MentionQuery | null {
  const from = Math.max(0, caret - MAX_QUERY_CHARS)
  for (let at = caret - 1; at >= from; at--) {
    const char = draft[at]
    if (char === '\n') return null
    if (char !== '@') continue
    const query = draft.slice(at + 1, caret)
    // "@ " is not a mention being typed; nor is the @ of an email address.
    if (query.startsWith(' ') || isWordChar(draft[at - 1])) return null
    return { start: at, query }
  }
  return null
}

/** The names that `query` could complete to: those starting with it first, then those with a word starting with it. */
export function matchingNames(names: readonly string[], query: string, max = MAX_MENTION_OPTIONS): string[] {
  const folded = query.toLocaleLowerCase()
  const starts: string[] = []
  const words: string[] = []
  for (const name of new Set(names)) {
    const lower = name.toLocaleLowerCase()
    if (lower.startsWith(folded)) starts.push(name)
    else if (folded !== '' && lower.split(/\s+/u).some((word) => word.startsWith(folded))) words.push(name)
  }
  return [...starts, ...words].slice(0, max)
}

/** The draft with the @query at `mention` (ending at `caret`) replaced by "@name ", and where the caret goes. */
export function completeMention(draft: string, mention: MentionQuery, caret: number, name: string): { draft: string; caret: number } {
  const inserted = `@${name} `
  const rest = draft.slice(caret)
  return {
    draft: draft.slice(0, mention.start) + inserted + (rest.startsWith(' ') ? rest.slice(1) : rest),
    caret: mention.start + inserted.length,
  }
}
