// Moving the keyboard between the log's messages (the log is one tab stop, a roving one), as
// pure functions: which message a key, or a deletion, takes the focus to.

/** Which message `key` takes the focus to from message `index` of `count`; null when it is not a move. */
export function moveTarget(key: string, index: number, count: number, pageSize: number): number | null {
  if (count === 0) return null
  const last = count - 1
  const clamp = (to: number): number => Math.max(0, Math.min(last, to))
  switch (key) {
    case 'ArrowUp':
      return clamp(index - 1)
    case 'ArrowDown':
      return clamp(index + 1)
    case 'PageUp':
      return clamp(index - Math.max(1, pageSize))
    case 'PageDown':
      return clamp(index + Math.max(1, pageSize))
    case 'Home':
      return 0
    case 'End':
      return last
    default:
      return null
  }
}

/**
 * Where the focus goes once message `index` of `count` is deleted (it stays, as "message
 * deleted"): the next message, or the previous one when it was the last, or itself when alone.
 */
export function afterDeletion(index: number, count: number): number {
  if (index + 1 < count) return index + 1
  return index > 0 ? index - 1 : index
}

/** What a screen reader says about a focused message: how to move and act from there. */
export const MESSAGE_KEYS_HINT = 'Arrow keys, Page Up, Page Down, Home and End move between messages; Enter opens the actions of one.'
