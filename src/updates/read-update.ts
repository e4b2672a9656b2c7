// A large update read once in the task it arrives in. The peer guard counts the records a sync
// message brings (the clocks it spans per writer, `Y.parseUpdateMeta`), and the plan of its slices
// cuts it (its structs, `Y.decodeUpdate`): each read the whole update, about 7.5 ms of CPU for a
// thousand records, so a message was read twice in its arrival task (three times in a room that
// banned a flooder: whether it brings a banned writer's new records), and a refused one twice
// more for its writers (BENCHMARKS.md, Flood, "Fourteenth session"). Here the last update read is
// kept until the task's microtasks run, so that whoever reads the same bytes next in that task
// gets it for nothing. Keyed by the bytes' place in memory (their buffer, offset and length): the
// guard and the plan each take their own view of the message they are handed. The relay reads an
// update a stock link sent for what its peer holds (`gaplessRanges`), after the guard's count.
import * as Y from 'yjs'
import type { ClockRange } from './stepped-encoding.js'

type Decoded = ReturnType<typeof Y.decodeUpdate>

/** An update (format v1) as Yjs reads it, and per writer the clocks it spans: from (inclusive) to (exclusive), as `Y.parseUpdateMeta` tells them. */
export interface ReadUpdate {
  readonly structs: Decoded['structs']
  readonly ds: Decoded['ds']
  readonly from: ReadonlyMap<number, number>
  readonly to: ReadonlyMap<number, number>
}

/** The update read last, while its task runs. */
let last: { bytes: Uint8Array; read: ReadUpdate } | null = null

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength

/**
 * `update` read: the update read last in this task when it is the same bytes, else read now (and
 * kept for the rest of the task). Throws as `Y.decodeUpdate` does on what is not an update, and on
 * one in which a writer's structs do not run on clock after clock (a writer named twice: Yjs
 * applies its last run alone, which `from` and `to` would not tell). Its structs are shared: who
 * changes them takes the update instead (`takeUpdate`).
 */
export function readUpdate(update: Uint8Array): ReadUpdate {
  const kept = keptUpdate(update)
  if (kept !== null) return kept
  const { structs, ds } = Y.decodeUpdate(update)
  const from = new Map<number, number>()
  const to = new Map<number, number>()
  for (const struct of structs) {
    const { client, clock } = struct.id
    const end = to.get(client)
    if (end === undefined) from.set(client, clock)
    else if (end !== clock) throw new Error(`Unexpected update: client ${client} named again at clock ${clock}, not ${end}`)
    to.set(client, clock + struct.length)
  }
  const entry = { bytes: update, read: { structs, ds, from, to } }
  last = entry
  queueMicrotask(() => {
    if (last === entry) last = null
  })
  return entry.read
}

/** The update this task read already when `update` is the same bytes (see readUpdate), else null. */
export function keptUpdate(update: Uint8Array): ReadUpdate | null {
  return last !== null && sameBytes(last.bytes, update) ? last.read : null
}

/** `readUpdate`, no longer kept for anyone else: its structs are the caller's to change (cut). */
export function takeUpdate(update: Uint8Array): ReadUpdate {
  const read = readUpdate(update)
  last = null
  return read
}

/**
 * Per writer, the clocks of `update`'s records up to their first gap: from (inclusive) to
 * (exclusive). Yjs encodes the records it holds pending behind a gap in their writer's clocks
 * after a Skip (its answers to sync requests merge them in); read as `readUpdate` reads.
 */
export function gaplessRanges(update: Uint8Array): ClockRange[] {
  const ranges = new Map<number, ClockRange>()
  const gapped = new Set<number>()
  for (const struct of readUpdate(update).structs) {
    const { client, clock } = struct.id
    if (gapped.has(client)) continue
    if (struct instanceof Y.Skip) gapped.add(client)
    else ranges.set(client, { client, from: ranges.get(client)?.from ?? clock, to: clock + struct.length })
  }
  return [...ranges.values()]
}
