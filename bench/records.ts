// Record size benchmark: what one chat message costs in a room's Yjs document and on the wire,
// in the full (v1), compact (v2) and binary (v3) formats Parley reads, against stock's unsigned records.
// Run alone: npx tsx bench/records.ts [--count 1000] [--authors 1,10]
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { writeUpdate } from 'y-protocols/sync'
import { appendMessage, encodeCompactRecord, keyDirectoryOf, messagesOf, readMessages, type MessageRecord } from '../src/history/index.js'
import { generateSigningKeys, messageBytes, signerFor, type Signer } from '../src/identity/index.js'
import { base64url } from '../src/address/index.js'

/** y-webrtc's message type of a Yjs sync message, before the update (y-webrtc `messageSync`). */
const MESSAGE_SYNC = 0
/** Records per case by default. */
const DEFAULT_COUNT = 1_000
/** Author counts measured by default: one author, and a room where ten take turns. */
const DEFAULT_AUTHORS = [1, 10]
/** The topic the records are signed for. */
const TOPIC = 'parley-v1-records-bench'
/** Bytes of a message id as `Room.send` makes it. */
const MESSAGE_ID_BYTES = 16
/** First claimed send time, ms since the epoch; messages are a second apart. */
const START_MS = 1_764_000_000_000

/** How records are written. */
export type RecordFormat = 'v1 signed' | 'v2 signed' | 'v3 signed (now)' | 'stock unsigned'

/** What one format costs. */
export interface RecordFigure {
  format: RecordFormat
  authors: number
  records: number
  /** Y.encodeStateAsUpdate of the whole document, divided by the records, in bytes. */
  docBytesPerRecord: number
  /** The update a send emits (one transaction), median over the records, in bytes. */
  updateBytesMedian: number
  /** The update of the room's first send: in v2 and v3 it carries the author's key too. */
  firstUpdateBytes: number
  /** The data-channel message y-webrtc sends for the median update (unframed: it is far below the framing threshold). */
  wireBytesMedian: number
}

/** The text of message `index`: the history bench's, short lines and every 1000th at the 4,000-character cap. */
function textOf(index: number): string {
  return index % 1000 === 999 ? `long ${index} ${'x'.repeat(4000 - 6 - String(index).length)}` : `message ${index} of the seeded history`
}

async function signedRecord(signer: Signer, index: number): Promise<MessageRecord> {
  const unsigned = {
    id: base64url(crypto.getRandomValues(new Uint8Array(MESSAGE_ID_BYTES))),
    authorId: signer.userId,
    authorName: `Author ${signer.userId.slice(0, 4)}`,
    text: textOf(index),
    sentAt: START_MS + index * 1000,
    publicKey: signer.publicKey,
  }
  return { ...unsigned, signature: await signer.sign(messageBytes(TOPIC, unsigned)) }
}

/**
 * Writes `records` one transaction each, as sends do, every author from a Yjs client (a
 * document) of its own, each change reaching the others at once as in a connected room; then
 * measures one peer's whole document and the updates the sends emitted.
 */
function measure(
  format: RecordFormat,
  authors: number,
  records: readonly MessageRecord[],
  write: (doc: Y.Doc, record: MessageRecord) => void,
): RecordFigure {
  const docs = Array.from({ length: authors }, () => new Y.Doc())
  const updates: number[] = []
  for (const doc of docs) {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (docs.includes(origin as Y.Doc)) return // relayed from another author, not a send
      updates.push(update.byteLength)
      for (const other of docs) if (other !== doc) Y.applyUpdate(other, update, doc)
    })
  }
  const authorDoc = new Map<string, Y.Doc>()
  for (const record of records) {
    let doc = authorDoc.get(record.authorId)
    if (doc === undefined) {
      doc = docs[authorDoc.size] as Y.Doc
      authorDoc.set(record.authorId, doc)
    }
    write(doc, record)
  }
  const peer = docs[0] as Y.Doc
  const held = readMessages(peer).messages.length
  if (held !== records.length) throw new Error(`records bench: ${format} holds ${held} of ${records.length} records`)
  const docBytes = Y.encodeStateAsUpdate(peer).byteLength
  for (const doc of docs) doc.destroy()
  const sorted = [...updates].sort((a, b) => a - b)
  return {
    format,
    authors,
    records: records.length,
    docBytesPerRecord: Math.round(docBytes / records.length),
    updateBytesMedian: sorted[Math.floor(sorted.length / 2)] ?? 0,
    firstUpdateBytes: updates[0] ?? 0,
    wireBytesMedian: syncMessageBytes(sorted[Math.floor(sorted.length / 2)] ?? 0),
  }
}

/** Bytes of y-webrtc's sync message carrying an update of `updateBytes`. */
function syncMessageBytes(updateBytes: number): number {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, MESSAGE_SYNC)
  writeUpdate(encoder, new Uint8Array(updateBytes))
  return encoding.length(encoder)
}

/** Measures every format at each author count. */
export async function runRecordsBench(options: { count?: number; authors?: number[] } = {}): Promise<RecordFigure[]> {
  const count = options.count ?? DEFAULT_COUNT
  const figures: RecordFigure[] = []
  for (const authors of options.authors ?? DEFAULT_AUTHORS) {
    const signers = await Promise.all(Array.from({ length: authors }, async () => signerFor(await generateSigningKeys())))
    const records = await Promise.all(Array.from({ length: count }, (_, index) => signedRecord(signers[index % authors] as Signer, index)))
    // The oldest builds: the whole record, key and signature in base64url, as an object.
    figures.push(measure('v1 signed', authors, records, (doc, record) => doc.transact(() => messagesOf(doc).push([{ ...record }]))))
    // The builds before this one: compact objects, each author's key once in the keys array.
    figures.push(
      measure('v2 signed', authors, records, (doc, record) =>
        doc.transact(() => {
          if (record.publicKey !== undefined) keyDirectoryOf(doc).ensure(record.publicKey)
          messagesOf(doc).push([encodeCompactRecord(record)])
        }),
      ),
    )
    figures.push(measure('v3 signed (now)', authors, records, (doc, record) => appendMessage(doc, record)))
    // The reference: stock's unsigned records as the history bench writes them.
    const stock = records.map((record, index) => ({
      id: `seed-${index}`,
      authorId: `seeder-${index % authors}`,
      authorName: record.authorName,
      text: record.text,
      sentAt: record.sentAt,
    }))
    figures.push(measure('stock unsigned', authors, stock, (doc, record) => doc.transact(() => messagesOf(doc).push([{ ...record }]))))
  }
  return figures
}

/** The figures as a table. */
export function recordsTable(figures: RecordFigure[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.format} | ${f.authors} | ${f.records} | ${f.docBytesPerRecord} B | ${f.updateBytesMedian} B | ${f.wireBytesMedian} B | ${f.firstUpdateBytes} B |`,
  )
  return [
    'Records',
    '| format | authors | records | doc bytes / record | update per send, median | data-channel message per send, median | update of the first send |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const at = process.argv.indexOf(name)
    return at > 0 ? process.argv[at + 1] : undefined
  }
  const count = flag('--count')
  const authors = flag('--authors')
  const figures = await runRecordsBench({
    count: count === undefined ? undefined : Number(count),
    authors: authors === undefined ? undefined : authors.split(',').map(Number),
  })
  console.log(recordsTable(figures))
  console.log(JSON.stringify({ records: figures }))
}
