// `npm run bench`: every benchmark in one run, printed as tables and one JSON line.
// Speed and memory targets live here, never as timed assertions in tests.
import { presenceTable, runPresenceBench } from './presence.js'

const results: Record<string, unknown> = {}

const presence = await runPresenceBench()
console.log(presenceTable(presence) + '\n')
results.presence = presence

console.log(JSON.stringify(results))
