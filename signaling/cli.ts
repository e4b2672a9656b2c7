// Command-line entry point: `npm run signaling -- --port 4444` (see --help for every option).
// Prints one line with the URL once listening; SIGTERM/SIGINT close clients with 1001, then exit.

import { helpText, parseCliArgs } from './cli-args.js'
import { startSignalingServer } from './server.js'

const EXIT_USAGE = 2
const EXIT_FAILURE = 1

async function main(): Promise<void> {
  const parsed = parseCliArgs(process.argv.slice(2), process.env)
  if (parsed.kind === 'help') {
    process.stdout.write(helpText() + '\n')
    return
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`signaling: ${parsed.message}\n`)
    process.exitCode = EXIT_USAGE
    return
  }
  const server = await startSignalingServer(parsed.options)
  process.stdout.write(`Parley signaling server listening on ${server.url}\n`)
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    process.stderr.write(`signaling: ${signal} received, closing\n`)
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`signaling: close failed: ${String(error)}\n`)
        process.exit(EXIT_FAILURE)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`signaling: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(EXIT_FAILURE)
})
