// Per writer, the records of an update up to their first gap: what a peer that sent it holds,
// when Yjs merged records it holds pending (behind a gap) into it.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { gaplessRanges } from '../../src/updates/index.js'

/** Ten records of one writer, as three updates: clocks 0–3, 3–5 and 5–10. */
function writes(): { client: number; parts: Uint8Array[] } {
  const writer = new Y.Doc()
  const parts: Uint8Array[] = []
  writer.on('update', (update: Uint8Array) => parts.push(update))
  const texts = writer.getArray<string>('texts')
  for (const count of [3, 2, 5]) writer.transact(() => texts.push(Array.from({ length: count }, (_, n) => `r${n}`)))
  return { client: writer.clientID, parts }
}

describe('gaplessRanges', () => {
  it('spans each writer’s records of an update without a gap', () => {
    const { client, parts } = writes()
    expect(gaplessRanges(parts[1])).toEqual([{ client, from: 3, to: 5 }])
    expect(gaplessRanges(Y.mergeUpdates(parts))).toEqual([{ client, from: 0, to: 10 }])
  })

  it('stops at the gap before records the sender holds pending, which Yjs encodes after a skip', () => {
    const { client, parts } = writes()
    const peer = new Y.Doc()
    Y.applyUpdate(peer, parts[0])
    Y.applyUpdate(peer, parts[2]) // pending: clocks 3–5 are missing
    // Its answer to a request naming clock 1 of the writer: 1–3, a skip, then the pending 5–10.
    const answer = Y.encodeStateAsUpdate(peer, Y.encodeStateVector(new Map([[client, 1]])))
    expect(Y.parseUpdateMeta(answer).to.get(client)).toBe(10)
    expect(gaplessRanges(answer)).toEqual([{ client, from: 1, to: 3 }])
  })
})
