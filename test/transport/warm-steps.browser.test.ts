// A history answer kept warm is encoded over several of Chromium's idle callbacks, a step of
// RECORDS_PER_STEP records each, not in one: a flooder's records, merged by Yjs into one struct,
// took 37–79 ms of CPU in one task of a flooded page (BENCHMARKS.md). Counted, not timed: each
// record written goes through the encoder's `writeAny`, and a probe posted at the first record of
// a task closes that task's count.
import { afterEach, describe, expect, it } from 'vitest'
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { Framing } from '../../src/transport/framing.js'
import { DeflatedMessage } from '../../src/transport/framing-deflate.js'
import { RECORDS_PER_STEP } from '../../src/updates/index.js'
import { SyncReplies, type SyncReply } from '../../src/transport/sync-replies.js'

/** A flooder's records (one transaction each, merged by Yjs into one struct) and a user's among them. */
const FLOOD = 3_000
const USER = 40

const writeAny = Y.UpdateEncoderV1.prototype.writeAny

/** Records written by any encoder per task, from now on: a probe posted at a task's first record closes its count. */
function recordsPerTask(): number[] {
  const counts: number[] = []
  let open = false
  Y.UpdateEncoderV1.prototype.writeAny = function (this: Y.UpdateEncoderV1, value: unknown) {
    if (!open) {
      open = true
      counts.push(0)
      const channel = new MessageChannel()
      channel.port1.onmessage = () => {
        channel.port1.close()
        open = false
      }
      channel.port2.postMessage(null)
    }
    counts[counts.length - 1]++
    return writeAny.call(this, value as never)
  }
  return counts
}

async function plain(message: SyncReply): Promise<Uint8Array> {
  const bytes = message instanceof DeflatedMessage ? await message.inflated() : message
  if (bytes === null) throw new Error('a held answer did not inflate')
  const decoder = decoding.createDecoder(bytes)
  expect([decoding.readVarUint(decoder), decoding.readVarUint(decoder)]).toEqual([0, 1]) // y-webrtc's sync message, step 2
  return decoding.readVarUint8Array(decoder)
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe('a warm history answer in Chromium', () => {
  afterEach(() => {
    Y.UpdateEncoderV1.prototype.writeAny = writeAny
  })

  it('is encoded over several idle callbacks, at most RECORDS_PER_STEP records in one, and gives the document', async () => {
    const doc = new Y.Doc()
    const user = new Y.Doc()
    const messages = doc.getArray<unknown>('messages')
    for (let line = 0; line < FLOOD; line++) {
      messages.push([{ id: `flood-${line}`, text: `flood line ${line}`, signature: 'x'.repeat(86) }])
      if (line % (FLOOD / USER) === 0) {
        Y.applyUpdate(user, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(user)))
        user.getArray<unknown>('messages').push([{ id: `user-${line}`, text: 'ping' }])
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(user, Y.encodeStateVector(doc)))
      }
    }
    const framing = new Framing()
    const replies = new SyncReplies(doc, { warm: { prepare: (message) => framing.prepare(message), quietMs: 1 } })
    const counts = recordsPerTask()
    messages.push([{ id: 'last', text: 'then the room goes quiet' }])
    await until(() => replies.stats.encodedAhead === 1 && replies.stats.preparingMs > 0)
    const records = FLOOD + USER + 1
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(records)
    expect(Math.max(...counts)).toBeLessThanOrEqual(RECORDS_PER_STEP) // on main: all 3,041 in one idle callback
    expect(counts.length).toBeGreaterThanOrEqual(Math.ceil(records / RECORDS_PER_STEP))

    Y.UpdateEncoderV1.prototype.writeAny = writeAny
    const answer = replies.reply()
    expect(replies.stats.encoded).toBe(1) // the warm answer, not encoded again
    const joiner = new Y.Doc()
    for (const message of answer) Y.applyUpdate(joiner, await plain(message))
    expect(joiner.getArray('messages').toJSON()).toEqual(messages.toJSON())
    expect(Y.encodeStateVector(joiner)).toEqual(Y.encodeStateVector(doc))
    replies.destroy()
  })
})
