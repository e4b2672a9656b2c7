// A fixed view of a list that only grows: its first `length` items, over the growing array itself.
// What the room hands out as its messages: a change costs a new view, never a copy of the room.

/**
 * A list to read, never to change: `Room.messages`, and what the log draws. A plain readonly
 * array is one too, so an element that takes one takes an array as well.
 */
export interface ReadonlyList<T> extends Iterable<T> {
  readonly length: number
  /** The item at `index`; a negative index counts from the end, as `Array.prototype.at`. */
  at(index: number): T | undefined
  /** A copy of the items from `start` to `end`, as `Array.prototype.slice`. */
  slice(start?: number, end?: number): T[]
  /** The index of the first item that `predicate` accepts, or -1. */
  findIndex(predicate: (item: T, index: number) => unknown): number
}

/**
 * The first `length` items of `items`, an array its owner only ever appends to (or drops whole for
 * a new one): the items a view shows never change, however the array grows after it was made.
 */
export class AppendOnlyView<T> implements ReadonlyList<T> {
  readonly length: number
  readonly #items: readonly T[]

  constructor(items: readonly T[], length = items.length) {
    this.#items = items
    this.length = Math.min(length, items.length)
  }

  at(index: number): T | undefined {
    const at = index < 0 ? index + this.length : index
    return at >= 0 && at < this.length ? this.#items[at] : undefined
  }

  slice(start = 0, end = this.length): T[] {
    return this.#items.slice(within(start, this.length), within(end, this.length))
  }

  findIndex(predicate: (item: T, index: number) => unknown): number {
    for (let index = 0; index < this.length; index++) if (predicate(this.#items[index], index)) return index
    return -1
  }

  /** Whether this view shows every item of `earlier` first: both views of the one array, this one no shorter. */
  continues(earlier: ReadonlyList<T>): boolean {
    return earlier instanceof AppendOnlyView && earlier.#items === this.#items && earlier.length <= this.length
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let index = 0; index < this.length; index++) yield this.#items[index]
  }
}

/**
 * Whether `list` holds every item of `earlier` first, as known without reading them: a view that
 * continues an earlier view of its array (or is it). False when not known, plain arrays among them
 * (even the same one: its owner may have changed it), or a room that dropped its array for a new
 * one: then whoever kept a tally of `earlier` counts anew.
 */
export function continuesList<T>(list: ReadonlyList<T>, earlier: ReadonlyList<T>): boolean {
  return list instanceof AppendOnlyView && list.continues(earlier)
}

/** `index` as `Array.prototype.slice` reads its bounds (negative from the end), within 0..length. */
function within(index: number, length: number): number {
  const from = index < 0 ? index + length : index
  return Math.max(0, Math.min(length, from))
}
