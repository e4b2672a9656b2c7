// What one arrival costs the unread count of a hidden page, by how many messages are already
// unread: `UnreadController.update` in Node, with the room's list as the room hands it out (a new
// fixed view over the array it appends to, per arrival) and a stand-in for `document`.
// Counts first (messages whose author was read per arrival: the work that could grow with the
// unread), then the clock (median µs per update; compare ratios within one run only).
// Run alone: npx tsx bench/unread-update.ts [--unread 10,1000,10000] [--arrivals 200]
import { fileURLToPath } from 'node:url'
import type { ReactiveControllerHost } from 'lit'
import { UnreadController } from '../src/components/unread-controller.js'
import { AppendOnlyView } from '../src/room/append-only-view.js'
import type { MessageRecord } from '../src/room/index.js'

/** Unread counts measured by default. */
const DEFAULT_UNREAD = [10, 1_000, 10_000]
/** Arrivals timed at each unread count. */
const DEFAULT_ARRIVALS = 200
/** Messages read before the page was hidden. */
const READ_BEFORE = 100
const SELF_ID = 'user-me'

/** One unread count's figures. */
export interface UnreadUpdateFigure {
  unread: number
  /** Authors read per arrival (`authorId`), the mean over the timed arrivals. */
  authorReadsPerArrival: number
  /** Median time of one `update` after an arrival, in µs. */
  medianMicros: number
  /** The title after the last arrival, to see the count is right. */
  title: string
}

let authorReads = 0

/** A record from someone else whose `authorId` counts its reads. */
function counted(index: number): MessageRecord {
  const record = { id: `m${index}`, authorName: 'Ann', text: `message ${index}`, sentAt: 1_764_000_000_000 + index } as MessageRecord
  Object.defineProperty(record, 'authorId', {
    enumerable: true,
    get: () => {
      authorReads++
      return 'user-ann'
    },
  })
  return record
}

/** Just what the controller touches of a page: its title, its visibility, its listeners. */
function standInDocument(): void {
  ;(globalThis as { document?: unknown }).document = {
    title: 'lobby',
    visibilityState: 'hidden',
    addEventListener: () => {},
    removeEventListener: () => {},
  }
}

export function runUnreadUpdateBench(unreadCounts = DEFAULT_UNREAD, arrivals = DEFAULT_ARRIVALS): UnreadUpdateFigure[] {
  standInDocument()
  const host: ReactiveControllerHost = {
    addController: () => {},
    removeController: () => {},
    requestUpdate: () => {},
    updateComplete: Promise.resolve(true),
  }
  const figures: UnreadUpdateFigure[] = []
  for (const unread of unreadCounts) {
    const controller = new UnreadController(host)
    controller.hostConnected() // hidden from the start: READ_BEFORE are there on arrival, not news
    const items: MessageRecord[] = []
    const update = () =>
      controller.update({ messages: new AppendOnlyView(items), selfId: SELF_ID, room: 'lobby', notify: true, verdictOf: () => 'verified' })
    for (let index = 0; index < READ_BEFORE; index++) items.push(counted(index))
    update()
    // The unread ones come one an update, as the room's redraw hands them on.
    for (let index = 0; index < unread; index++) {
      items.push(counted(items.length))
      update()
    }
    authorReads = 0
    const micros: number[] = []
    for (let arrival = 0; arrival < arrivals; arrival++) {
      items.push(counted(items.length))
      const start = performance.now()
      update()
      micros.push((performance.now() - start) * 1000)
    }
    micros.sort((a, b) => a - b)
    figures.push({
      unread,
      authorReadsPerArrival: authorReads / arrivals,
      medianMicros: micros[Math.floor(micros.length / 2)],
      title: (globalThis as unknown as { document: { title: string } }).document.title,
    })
    controller.hostDisconnected()
  }
  return figures
}

export function unreadUpdateTable(figures: UnreadUpdateFigure[]): string {
  const rows = figures.map(
    (each) => `| ${each.unread} | ${each.authorReadsPerArrival.toFixed(1)} | ${each.medianMicros.toFixed(1)} | ${each.title} |`,
  )
  const header = '| unread before | authors read per arrival | median µs per update | title after |'
  return [header, '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** The value after `--name`, split at commas, as numbers; `fallback` without one. */
function numbersArg(name: string, fallback: number[]): number[] {
  const at = process.argv.indexOf(`--${name}`)
  return at < 0 ? fallback : process.argv[at + 1].split(',').map(Number)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = runUnreadUpdateBench(numbersArg('unread', DEFAULT_UNREAD), numbersArg('arrivals', [DEFAULT_ARRIVALS])[0])
  console.log(unreadUpdateTable(figures))
  console.log(JSON.stringify(figures))
}
