// What one huge Yjs update or awareness message from a peer costs, and how many the peer guard
// lets through: a peer speaking Parley's framing can send 64 MiB as about 64 KiB of deflated
// frames. Then an honest room's whole awareness, signed, for scale.
// Run alone: node --expose-gc --import tsx bench/huge-update.ts [--mib 64] [--messages 40] [--tabs 100]
import { deflateRawSync } from 'node:zlib'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate } from 'y-protocols/awareness'
import { inflate } from '../src/transport/framing-deflate.js'
import { FRAME_PAYLOAD_BYTES } from '../src/transport/framing-protocol.js'
import { guardLink, noRefusals } from '../src/transport/peer-guard.js'
import { awarenessMessage, junkAwarenessUpdate, signedTabsUpdate } from '../test/support/signed-awareness.js'

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
const { admit } = guardLink(() => 0, noRefusals())
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

// The same for one awareness message of a made-up client whose state is `mib` MiB of JSON.
const junkUpdate = junkAwarenessUpdate(mib * MIB - 64)
const junk = awarenessMessage(junkUpdate)
const junkDeflated = deflateRawSync(junk)
// What framing inflates of it before the guard refuses it (main's guard cannot tell: all of it).
const inflatingGuard = guardLink(() => 0, noRefusals())
let inflatedBytes = 0
let head = new Uint8Array(0)
// Main's framing asks with the chunk's size only, and its guard has no `fits`.
await inflate(junkDeflated, (chunk: Uint8Array | number) => {
  const bytes = typeof chunk === 'number' ? chunk : chunk.byteLength
  if (head.byteLength === 0 && typeof chunk !== 'number') head = chunk.slice(0, 2)
  const fits = (inflatingGuard as { fits?: (head: Uint8Array, bytes: number) => boolean }).fits
  if (fits !== undefined && !fits(head, inflatedBytes + bytes)) return false
  inflatedBytes += bytes
  return true
})
gc()
const awarenessBefore = process.memoryUsage().heapUsed
const awareness = new Awareness(new Y.Doc())
const appliedAt = performance.now()
applyAwarenessUpdate(awareness, junkUpdate, 'peer')
const awarenessApplyMs = performance.now() - appliedAt
gc()
const awarenessHeldMiB = (process.memoryUsage().heapUsed - awarenessBefore) / MIB
const { admit: admitAwareness } = guardLink(() => 0, noRefusals())
let awarenessAdmitted = 0
const junkBuffer = junk.slice().buffer // the guard only reads: one copy serves every check
const checkedAt = performance.now()
for (let i = 0; i < messages; i++) if (admitAwareness(junkBuffer)) awarenessAdmitted++
const awarenessCheckMs = performance.now() - checkedAt
const awarenessFigures = {
  messageMiB: Math.round(junk.byteLength / MIB),
  wireKiB: Math.round(junkDeflated.byteLength / 1024),
  frames: Math.ceil(junkDeflated.byteLength / FRAME_PAYLOAD_BYTES),
  inflatedMiB: Math.round((inflatedBytes / MIB) * 10) / 10,
  applyMs: Math.round(awarenessApplyMs),
  heapHeldMiB: Math.round(awarenessHeldMiB),
  messages,
  admitted: awarenessAdmitted,
  guardMs: Math.round(awarenessCheckMs),
}
console.log()
console.log(
  '| awareness message | on the wire (deflated) | frames | inflated before refusal | apply | heap held after GC | sent | let through by the guard | guard time for all |',
)
console.log('|---|---|---|---|---|---|---|---|---|')
console.log(
  `| ${awarenessFigures.messageMiB} MiB | ${awarenessFigures.wireKiB} KiB | ${awarenessFigures.frames} | ${awarenessFigures.inflatedMiB} MiB | ${awarenessFigures.applyMs} ms | ${awarenessFigures.heapHeldMiB} MiB | ${messages} | ${awarenessAdmitted} | ${awarenessFigures.guardMs} ms |`,
)
console.log(JSON.stringify(awarenessFigures))

// An honest room's whole awareness: what a peer sends on each new link.
const tabs = option('tabs', 100)
const { update: honest } = await signedTabsUpdate(tabs, 'x'.repeat(43))
const honestMessage = awarenessMessage(honest)
const honestFigures = {
  tabs,
  bytes: honestMessage.byteLength,
  bytesPerTab: Math.round(honestMessage.byteLength / tabs),
  deflatedBytes: deflateRawSync(honestMessage).byteLength,
  letThrough: guardLink(() => 0, noRefusals()).admit(honestMessage.slice().buffer),
}
console.log()
console.log('| honest awareness, signed | bytes | per tab | deflated | let through |')
console.log('|---|---|---|---|---|')
console.log(
  `| ${tabs} tabs | ${honestFigures.bytes} | ${honestFigures.bytesPerTab} | ${honestFigures.deflatedBytes} | ${honestFigures.letThrough} |`,
)
console.log(JSON.stringify(honestFigures))
process.exit(0) // signing keys leave WebCrypto handles behind
