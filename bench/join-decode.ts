// The joiner's work after the last frame of a large history, in Node and without a network:
// decode the sync update, parse the records, drop copies, admit them through the budgets.
// Run alone: npx tsx bench/join-decode.ts [--count 10000] [--authors 10] [--trials 9] [--format v2|v3] [--warm N]
// `--warm N` first runs the same phases once over N other records (a warm-up), untimed but reported.
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import { base64url } from '../src/address/index.js'
import {
  AuthorBudgets,
  appendMessage,
  encodeCompactRecord,
  keyDirectoryOf,
  messagesOf,
  readMessages,
  withoutCopies,
  type MessageRecord,
} from '../src/history/index.js'
import { generateSigningKeys, signerFor, type Signer } from '../src/identity/index.js'
import { BudgetSignatures, MESSAGE_SIGNING } from '../src/room/budget-signatures.js'

/** Records by default: issue 12's late joiner. */
const DEFAULT_COUNT = 10_000
/** Authors taking turns by default. */
const DEFAULT_AUTHORS = 10
/** Trials by default; each phase reports its best (the machine is shared). */
const DEFAULT_TRIALS = 9
/** Bytes of a message id as `Room.send` makes it. */
const MESSAGE_ID_BYTES = 16
/** Bytes of an Ed25519 signature. */
const SIGNATURE_BYTES = 64
/** First claimed send time, ms since the epoch; messages are a second apart. */
const START_MS = 1_764_000_000_000

/** How the seeded records are written: as this build writes them (v3), or as the builds before it did (v2). */
export type SeededFormat = 'v2' | 'v3'

/** Best time of each phase over the trials, in ms. */
export interface JoinDecodeFigure {
  count: number
  format: SeededFormat
  /** Bytes of the update the joiner decodes. */
  updateBytes: number
  decodeMs: number
  parseMs: number
  dedupeMs: number
  admitMs: number
  /** The warm-up's time (0: none). */
  warmMs: number
}

/**
 * A room's whole document as the update a joiner receives: `count` compact signed records by
 * `authors` authors (random signatures: nothing here verifies them).
 */
async function seededUpdate(count: number, authors: number, format: SeededFormat): Promise<Uint8Array> {
  const signers = await Promise.all(Array.from({ length: authors }, async () => signerFor(await generateSigningKeys())))
  const doc = new Y.Doc()
  for (let index = 0; index < count; index++) {
    const { publicKey, userId } = signers[index % authors] as Signer
    const record: MessageRecord = {
      id: base64url(crypto.getRandomValues(new Uint8Array(MESSAGE_ID_BYTES))),
      authorId: userId,
      authorName: `Author ${index % authors}`,
      text: `message ${index} of the seeded history`,
      sentAt: START_MS + index * 1000,
      publicKey,
      signature: base64url(crypto.getRandomValues(new Uint8Array(SIGNATURE_BYTES))),
    }
    if (format === 'v3') appendMessage(doc, record)
    else
      doc.transact(() => {
        keyDirectoryOf(doc).ensure(publicKey)
        messagesOf(doc).push([encodeCompactRecord(record)])
      })
  }
  return Y.encodeStateAsUpdate(doc)
}

/** Times each phase of a join `trials` times over one seeded update; the best of each. */
export async function runJoinDecodeBench(
  count = DEFAULT_COUNT,
  authors = DEFAULT_AUTHORS,
  trials = DEFAULT_TRIALS,
  format: SeededFormat = 'v3',
  warm = 0,
): Promise<JoinDecodeFigure> {
  const update = await seededUpdate(count, authors, format)
  // A warm-up on other records first (`warm` of them), as a page could while it waits for its links.
  let warmMs = 0
  if (warm > 0) {
    const other = await seededUpdate(warm, authors, format)
    const t0 = performance.now()
    const doc = new Y.Doc()
    Y.applyUpdate(doc, other)
    const kept = withoutCopies(readMessages(doc).messages, new Map())
    new AuthorBudgets(undefined, new BudgetSignatures('parley-v1-join-decode-warm', MESSAGE_SIGNING).stateOf).admit(kept)
    warmMs = performance.now() - t0
    doc.destroy()
  }
  const best = {
    decodeMs: Number.POSITIVE_INFINITY,
    parseMs: Number.POSITIVE_INFINITY,
    dedupeMs: Number.POSITIVE_INFINITY,
    admitMs: Number.POSITIVE_INFINITY,
  }
  for (let trial = 0; trial < trials; trial++) {
    const t0 = performance.now()
    const doc = new Y.Doc()
    Y.applyUpdate(doc, update)
    const t1 = performance.now()
    const batch = readMessages(doc)
    const t2 = performance.now()
    const valid = withoutCopies(batch.messages, new Map())
    const t3 = performance.now()
    const shown = new AuthorBudgets(undefined, new BudgetSignatures('parley-v1-join-decode-bench', MESSAGE_SIGNING).stateOf).admit(valid)
    const t4 = performance.now()
    if (batch.messages.length !== count || valid.length !== count || shown.length === 0) throw new Error('join-decode: records lost')
    best.decodeMs = Math.min(best.decodeMs, t1 - t0)
    best.parseMs = Math.min(best.parseMs, t2 - t1)
    best.dedupeMs = Math.min(best.dedupeMs, t3 - t2)
    best.admitMs = Math.min(best.admitMs, t4 - t3)
    doc.destroy()
  }
  return { count, format, updateBytes: update.byteLength, warmMs, ...best }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const option = (name: string, fallback: number): number => {
    const index = process.argv.indexOf(name)
    return index < 0 ? fallback : Number(process.argv[index + 1])
  }
  const figure = await runJoinDecodeBench(
    option('--count', DEFAULT_COUNT),
    option('--authors', DEFAULT_AUTHORS),
    option('--trials', DEFAULT_TRIALS),
    process.argv[process.argv.indexOf('--format') + 1] === 'v2' && process.argv.includes('--format') ? 'v2' : 'v3',
    option('--warm', 0),
  )
  const ms = (value: number): string => `${value.toFixed(1)} ms`
  console.log(
    `${figure.count} ${figure.format} records (${figure.updateBytes} B): decode ${ms(figure.decodeMs)}, parse ${ms(figure.parseMs)}, drop copies ${ms(figure.dedupeMs)}, admit ${ms(figure.admitMs)} (best of each)${figure.warmMs > 0 ? `; warm-up ${ms(figure.warmMs)}` : ''}`,
  )
}
