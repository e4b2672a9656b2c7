// `npm run bench`: every benchmark in one run, printed as tables and one JSON line.
// Speed and memory targets live here, never as timed assertions in tests.
import { formatBundleSize, runBundleSizeBench } from './bundle-size.js'
import { floodTable, runFloodBench } from './flood.js'
import { historyTable, runHistoryBench } from './history.js'
import { presenceTable, runPresenceBench } from './presence.js'
import { recordsTable, runRecordsBench } from './records.js'
import { roomsTable, runRoomsBench } from './rooms.js'
import { runSendBench, sendTable } from './send.js'
import { DEFAULT_BENCH_OPTIONS, formatBenchTable, formatCapacityTable, runSignalingBench } from './signaling-load.js'

const results: Record<string, unknown> = {}

/** Each benchmark in turn (one at a time: they share the machine), its table, its figures. */
async function runEach<T>(name: string, run: () => Promise<T>, table: (figures: T) => string): Promise<void> {
  const figures = await run()
  console.log(table(figures) + '\n')
  results[name] = figures
}

await runEach('bundleSize', runBundleSizeBench, formatBundleSize)
await runEach('records', runRecordsBench, recordsTable)
await runEach('presence', runPresenceBench, presenceTable)
await runEach('send', runSendBench, sendTable)
await runEach('history', runHistoryBench, historyTable)
await runEach('flood', runFloodBench, floodTable)
await runEach('rooms', runRoomsBench, roomsTable)

const signaling = await runSignalingBench()
console.log(formatBenchTable(signaling) + '\n')
for (const bound of DEFAULT_BENCH_OPTIONS.p99BoundsMs) console.log(formatCapacityTable(signaling, bound) + '\n')
results.signaling = signaling

console.log(JSON.stringify(results))
// Node's WebRTC (@roamhq/wrtc) keeps threads alive after its last connection closed.
process.exit(0)
