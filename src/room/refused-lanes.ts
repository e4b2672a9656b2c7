// The "N messages from X hidden" lines of what the peer guards refused (transport's
// refusedWriting): records never applied, so never seen by the author budgets, counted by writer.
//
// A refused record is never checked, so it is counted in the lane of records under the id it
// claims that are not proven its author's (`forgedLaneOf`), marked as unverified: one line
// "N messages from ⚠ X (unverified) hidden" for both, never two that read alike.
import { forgedLaneOf, parseMessageRecord, type HiddenCount, type HiddenCounts } from '../history/index.js'
import type { RefusedWriter } from '../transport/index.js'

/** Whether a value a refused writer wrote names it: a message, claiming an author (the transport keeps such values as the writer's samples). */
export const namesRefusedWriter = (value: unknown): boolean => parseMessageRecord(value) !== null

/** The key of the lane of refused records that claim `authorId`: the forgery lane of that id. */
export const refusedLaneOf = forgedLaneOf

/** The author a writer's refused messages claim, read once per writer from its samples. */
export class RefusedLanes {
  /** Per writer (Yjs client id): the author its samples claim, or null when none is a message. */
  readonly #authors = new Map<number, { authorId: string; authorName: string } | null>()

  /**
   * The lanes of `writers`' refused records, by the author their messages claim; a writer whose
   * samples hold no message (keys, annotations) names nobody and is left out.
   */
  lanes(writers: ReadonlyMap<number, RefusedWriter>): Map<string, HiddenCount> {
    const lanes = new Map<string, HiddenCount>()
    for (const [client, { records, samples }] of writers) {
      const author = this.#authorOf(client, samples)
      if (author === null) continue
      const lane = refusedLaneOf(author.authorId)
      const count = (lanes.get(lane)?.count ?? 0) + records
      lanes.set(lane, { authorName: author.authorName, count, forged: true })
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

/** `hidden` with `refused` lanes added (their counts to those of the same lane), or `hidden` itself when there are none. */
export function withRefused(hidden: HiddenCounts, refused: ReadonlyMap<string, HiddenCount>): HiddenCounts {
  if (refused.size === 0) return hidden
  const merged = new Map(hidden)
  for (const [lane, count] of refused) {
    const budgeted = merged.get(lane)
    merged.set(lane, budgeted === undefined ? count : { ...budgeted, count: budgeted.count + count.count })
  }
  return merged
}
