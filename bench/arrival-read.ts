// What reading a large sync update costs in the task it arrives in, in Node: the peer guard's count
// of the records it brings (banned-peers.ts `newRecordsIn`; after a ban also `bringsNewWriting`) and
// the plan of its slices (update-slices.ts `sliceSyncMessage`), each on its own view of the message,
// as the framed channel hands it to them. CPU time (process.cpuUsage), median of many reads.
// Run: npx tsx bench/arrival-read.ts [--records 1000] [--root DIR] (--root: another checkout's src,
// e.g. a worktree of main, to compare the same reads there).
import * as encoding from 'lib0/encoding'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'

const flag = (name: string): string | undefined => {
  const index = process.argv.indexOf(name)
  return index > 0 ? process.argv[index + 1] : undefined
}
const records = Number(flag('--records') ?? 1000)
const root = resolve(flag('--root') ?? fileURLToPath(new URL('..', import.meta.url)))
const { newRecordsIn, bringsNewWriting } = (await import(
  `${root}/src/transport/banned-peers.ts`
)) as typeof import('../src/transport/banned-peers.js')
const { sliceSyncMessage } = (await import(`${root}/src/transport/update-slices.ts`)) as typeof import('../src/transport/update-slices.js')
/** Reads timed, after as many to warm up. */
const RUNS = 100

// A flooder's records, one a transaction (Yjs merges them into one struct), about a signed record's size.
const flooder = new Y.Doc()
const messages = flooder.getArray('messages')
for (let k = 0; k < records; k++)
  flooder.transact(() =>
    messages.push([
      { id: `id${k}`.padEnd(22, 'x'), a: 'A'.repeat(43), n: 'Flooder', t: `flood ${k} `.padEnd(60, '.'), s: k, sig: 'S'.repeat(86) },
    ]),
  )
const update = Y.encodeStateAsUpdate(flooder)
const encoder = encoding.createEncoder()
encoding.writeVarUint(encoder, 0) // y-webrtc's sync message
encoding.writeVarUint(encoder, 2) // a sync update
encoding.writeVarUint8Array(encoder, update)
const message = encoding.toUint8Array(encoder)
const doc = new Y.Doc()
const banned = new Set([flooder.clientID])

/** CPU ms of one arrival's reads. */
function arrival(afterBan: boolean): number {
  const data = message.slice().buffer
  const at = message.byteLength - update.byteLength
  const start = process.cpuUsage()
  if (afterBan) bringsNewWriting(new Uint8Array(data, at, update.byteLength), doc, banned)
  newRecordsIn(new Uint8Array(data, at, update.byteLength), doc)
  const slices = sliceSyncMessage(data)
  const used = process.cpuUsage(start)
  if (slices === null) throw new Error('arrival-read: the message was not cut')
  return (used.user + used.system) / 1000
}

for (const afterBan of [false, true]) {
  for (let i = 0; i < RUNS; i++) arrival(afterBan)
  const ms = Array.from({ length: RUNS }, () => arrival(afterBan)).sort((a, b) => a - b)
  console.log(
    `${root}: ${records} records (${update.byteLength} bytes)${afterBan ? ', in a room that banned their writer' : ''}: median ${ms[RUNS >> 1].toFixed(1)} ms of CPU, least ${ms[0].toFixed(1)} ms`,
  )
}
