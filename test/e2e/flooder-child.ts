// The child process behind `FlooderProcess`: a stock y-webrtc flooder (flood-harness.ts) in a
// process of its own, driven over IPC. Run with `node --import tsx`; not a test file.
import { readdirSync } from 'node:fs'
import { setPriority } from 'node:os'
import { exitWithParent, type IpcReply } from '../support/ipc-child.js'
import { type Flooder, type FlooderOptions, openFlooder } from './flood-harness.js'

/** A command from the parent, and its reply. */
export type FlooderCommand =
  | { op: 'links' }
  | { op: 'messages' }
  | { op: 'flood'; count: number; forge?: string; untilDropped?: boolean }
  | { op: 'reconnect' }
  | { op: 'spaced'; count: number; batch: number; spacingMs: number; endAt?: number }
  | { op: 'paced'; count: number; batch: number; spacingMs: number; perSecond: number }
  | { op: 'keys-first'; keys: number; count: number; batch: number; spacingMs: number }
  | { op: 'renew' }
  | { op: 'close' }

exitWithParent()
const options = JSON.parse(process.env.FLOODER_OPTIONS ?? '{}') as FlooderOptions
// Linux keeps a niceness per thread: every thread there now, and those they start inherit it.
const niceness = Number(process.env.FLOODER_NICE ?? 0)
if (niceness > 0) for (const thread of readdirSync('/proc/self/task')) setPriority(Number(thread), niceness)
const send = (reply: IpcReply): void => {
  process.send?.(reply)
}

const flooder: Flooder = await openFlooder(options)
send({ id: 0, result: null })

process.on('message', async ({ id, command }: { id: number; command: FlooderCommand }) => {
  try {
    if (command.op === 'links') send({ id, result: flooder.connectedLinks() })
    else if (command.op === 'messages') send({ id, result: flooder.doc.getArray('messages').length })
    else if (command.op === 'spaced') {
      await flooder.floodSpaced(command.count, command.batch, command.spacingMs, command.endAt)
      send({ id, result: null })
    } else if (command.op === 'paced') {
      await flooder.floodPaced(command.count, command.batch, command.spacingMs, command.perSecond)
      send({ id, result: null })
    } else if (command.op === 'keys-first') {
      await flooder.floodKeysFirst(command.keys, command.count, command.batch, command.spacingMs)
      send({ id, result: null })
    } else if (command.op === 'renew') {
      await flooder.renew()
      send({ id, result: null })
    } else if (command.op === 'reconnect') {
      flooder.reconnect()
      send({ id, result: null })
    } else if (command.op === 'flood') {
      await flooder.flood(command.count, command.forge, command.untilDropped)
      send({ id, result: null })
    } else {
      flooder.close()
      send({ id, result: null })
      // Node's WebRTC keeps threads alive after its last connection closed.
      setTimeout(() => process.exit(0), 100)
    }
  } catch (error) {
    send({ id, error: error instanceof Error ? error.message : String(error) })
  }
})
