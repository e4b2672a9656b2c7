// What one huge Yjs update from a peer costs, and how many the peer guard lets through: a peer
// speaking Parley's framing can send a 64 MiB update as about 64 KiB of deflated frames.
// Run alone: node --expose-gc --import tsx bench/huge-update.ts [--mib 64] [--messages 40]
import { deflateRawSync } from 'node:zlib'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { FRAME_PAYLOAD_BYTES } from '../src/transport/framing-protocol.js'
import { guardLink, noRefusals } from '../src/transport/peer-guard.js'

const MIB = 1024 * 1024

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? fallback : Number(process.argv[at + 1])
}

/** A new writer's document of `chars` characters, as one Yjs update. */
function writing(chars: number): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('flood').insert(0, 'x'.repeat(chars))
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

/** `update` as y-webrtc sends it: a sync message (0) of type update (2). */
function updateMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, 2)
  encoding.writeVarUint8Array(encoder, update)
  return encoding.toUint8Array(encoder)
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const mib = option('mib', 64)
const messages = option('messages', 40)
const update = writing(mib * MIB - 64)
const message = updateMessage(update)
const deflated = deflateRawSync(message)
gc()
const before = process.memoryUsage().heapUsed
const doc = new Y.Doc()
const started = performance.now()
Y.applyUpdate(doc, update, 'peer')
const applyMs = performance.now() - started
gc()
const heldMiB = (process.memoryUsage().heapUsed - before) / MIB
// The guard of one link, all messages at once (as fast as frames arrive): how many reach y-webrtc.
const admit = guardLink(() => 0, noRefusals())
let admitted = 0
for (let i = 0; i < messages; i++) if (admit(message.slice().buffer)) admitted++
const figures = {
  updateMiB: Math.round(message.byteLength / MIB),
  wireKiB: Math.round(deflated.byteLength / 1024),
  frames: Math.ceil(deflated.byteLength / FRAME_PAYLOAD_BYTES),
  applyMs: Math.round(applyMs),
  heapHeldMiB: Math.round(heldMiB),
  messages,
  admitted,
}
console.log('| update | on the wire (deflated) | frames | apply | heap held after GC | sent | let through by the guard |')
console.log('|---|---|---|---|---|---|---|')
console.log(
  `| ${figures.updateMiB} MiB | ${figures.wireKiB} KiB | ${figures.frames} | ${figures.applyMs} ms | ${figures.heapHeldMiB} MiB | ${messages} | ${admitted} |`,
)
console.log(JSON.stringify(figures))
