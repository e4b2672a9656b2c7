// The "N messages from X hidden" lines of what the peer guards refused (transport's
// refusedWriting): records never applied, so never seen by the author budgets, counted by writer.
//
// A refused record is never checked, so it is counted in the lane of records under the id it
// claims that are not proven its author's (`forgedLaneOf`), marked as unverified: one line
// "N messages from ⚠ X (unverified) hidden" for both, never two that read alike. It counts the
// writer's refused messages, not its keys or annotations.
//
// A refused record is in no document, so it has no place in the log: the line sits at the log's
// newest end as it was when the writer's count last changed (its records refused, or brought after
// all), so that it follows a flood down the log while the flood goes on, and stays put after.
import { forgedLaneOf, parseMessageRecord, type HiddenCount, type HiddenCounts } from '../history/index.js'
import type { RefusedWriter } from '../transport/index.js'

/** Whether a value a refused writer wrote names it: a message, claiming an author (the transport keeps such values as the writer's samples). */
export const namesRefusedWriter = (value: unknown): boolean => parseMessageRecord(value) !== null

/** The key of the lane of refused records that claim `authorId`: the forgery lane of that id. */
export const refusedLaneOf = forgedLaneOf

/** The author a writer's refused messages claim, read once per writer from its samples, and where its line sits. */
export class RefusedLanes {
  /** Per writer (Yjs client id): the author its samples claim, or null when none is a message. */
  readonly #authors = new Map<number, { authorId: string; authorName: string } | null>()
  /** Per writer: its count of refused messages when last read, and the messages shown when that count changed. */
  readonly #placed = new Map<number, { messages: number; after: number }>()

  /**
   * The lanes of `writers`' refused messages, by the author they claim, each placed after the
   * `shown` messages the log has now if a writer's count changed since the last read (else where it
   * was); a writer whose samples hold no message (keys, annotations) names nobody and is left out.
   */
  lanes(writers: ReadonlyMap<number, RefusedWriter>, shown: number): Map<string, HiddenCount> {
    const lanes = new Map<string, HiddenCount>()
    for (const client of this.#placed.keys()) if (!writers.has(client)) this.#placed.delete(client)
    for (const [client, { messages, samples }] of writers) {
      const author = this.#authorOf(client, samples)
      if (author === null || messages === 0) continue
      const placed = this.#placed.get(client)
      const after = placed === undefined || placed.messages !== messages ? shown : placed.after
      this.#placed.set(client, { messages, after })
      const lane = refusedLaneOf(author.authorId)
      const before = lanes.get(lane)
      lanes.set(lane, {
        authorName: author.authorName,
        count: (before?.count ?? 0) + messages,
        after: Math.max(before?.after ?? 0, after),
        forged: true,
      })
    }
    return lanes
  }

  #authorOf(client: number, samples: readonly unknown[]): { authorId: string; authorName: string } | null {
    const known = this.#authors.get(client)
    if (known !== undefined && known !== null) return known
    let author: { authorId: string; authorName: string } | null = null
    for (const sample of samples) {
      const record = parseMessageRecord(sample)
      if (record === null) continue
      author = { authorId: record.authorId, authorName: record.authorName }
      break
    }
    this.#authors.set(client, author)
    return author
  }
}

/**
 * `hidden` with `refused` lanes added (their counts to those of the same lane, placed at the later
 * of the two), or `hidden` itself when there are none.
 */
export function withRefused(hidden: HiddenCounts, refused: ReadonlyMap<string, HiddenCount>): HiddenCounts {
  if (refused.size === 0) return hidden
  const merged = new Map(hidden)
  for (const [lane, count] of refused) {
    const budgeted = merged.get(lane)
    merged.set(
      lane,
      budgeted === undefined ? count : { ...budgeted, count: budgeted.count + count.count, after: Math.max(budgeted.after, count.after) },
    )
  }
  return merged
}
