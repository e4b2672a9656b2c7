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

const bundle = await runBundleSizeBench()
console.log(formatBundleSize(bundle) + '\n')
results.bundleSize = bundle

const records = await runRecordsBench()
console.log(recordsTable(records) + '\n')
results.records = records

const presence = await runPresenceBench()
console.log(presenceTable(presence) + '\n')
results.presence = presence

const send = await runSendBench()
console.log(sendTable(send) + '\n')
results.send = send

const history = await runHistoryBench()
console.log(historyTable(history) + '\n')
results.history = history

const flood = await runFloodBench()
console.log(floodTable(flood) + '\n')
results.flood = flood

const rooms = await runRoomsBench()
console.log(roomsTable(rooms) + '\n')
results.rooms = rooms

const signaling = await runSignalingBench()
console.log(formatBenchTable(signaling) + '\n')
for (const bound of DEFAULT_BENCH_OPTIONS.p99BoundsMs) console.log(formatCapacityTable(signaling, bound) + '\n')
results.signaling = signaling

console.log(JSON.stringify(results))
// Node's WebRTC (@roamhq/wrtc) keeps threads alive after its last connection closed.
process.exit(0)
