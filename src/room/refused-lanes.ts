// The "N messages from X hidden" lines of what the peer guards refused (transport's
// refusedWriting): records never applied, so never seen by the author budgets, counted by writer.
//
// A refused record is never checked, so its line names the author a refused message claims,
// marked as unverified (as a forgery lane's is), in a lane of its own beside the budgets' lanes.
import { parseMessageRecord, type HiddenCount, type HiddenCounts } from '../history/index.js'
import type { RefusedWriter } from '../transport/index.js'

/** The key of the lane of refused records that claim `authorId`. */
export function refusedLaneOf(authorId: string): string {
  return `refused:${authorId}`
}

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

/** `hidden` with `refused` lanes added, or `hidden` itself when there are none. */
export function withRefused(hidden: HiddenCounts, refused: ReadonlyMap<string, HiddenCount>): HiddenCounts {
  return refused.size === 0 ? hidden : new Map([...hidden, ...refused])
}
