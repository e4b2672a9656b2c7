// Whether a history is still coming on a link this side opened empty: the peer's first sync
// request names what it holds, and the history is due until the document holds all of it.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { ArrivingHistories } from '../../src/transport/arriving-histories.js'
import type { LinkGuard } from '../../src/transport/peer-guard.js'
import { syncMessage } from '../support/sync-message.js'

/** A link as the watcher reads it: only its state matters. */
function link(): RTCPeerConnection & { connectionState: RTCPeerConnectionState } {
  return { connectionState: 'connected', signalingState: 'stable' } as RTCPeerConnection & { connectionState: RTCPeerConnectionState }
}

/** A guard that lets everything through, whose link's history is due when `due` says so. */
function admitting(due: () => boolean): LinkGuard {
  return { admit: () => true, sent: () => {}, fits: () => true, historyDue: due }
}

/** A writer's document of `count` records, and its updates in two parts (the first `cut` records, then the rest). */
function writer(count: number, cut: number): { doc: Y.Doc; first: Uint8Array; rest: Uint8Array } {
  const doc = new Y.Doc()
  const messages = doc.getArray<number>('messages')
  for (let index = 0; index < cut; index++) messages.push([index])
  const first = Y.encodeStateAsUpdate(doc)
  const afterFirst = Y.encodeStateVector(doc)
  for (let index = cut; index < count; index++) messages.push([index])
  return { doc, first, rest: Y.encodeStateAsUpdate(doc, afterFirst) }
}

const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer

describe('ArrivingHistories', () => {
  it('owes the history its peer announced until the document holds it all', () => {
    const joiner = new Y.Doc()
    const arriving = new ArrivingHistories(joiner)
    const pc = link()
    const filter = arriving.watch(
      pc,
      admitting(() => true),
    )
    const { doc, first, rest } = writer(100, 40)
    expect(arriving.arriving()).toBe(false) // nothing announced yet
    expect(filter.admit(buffer(syncMessage(0, Y.encodeStateVector(doc))))).toBe(true)
    expect(arriving.arriving()).toBe(true)
    Y.applyUpdate(joiner, first)
    expect(arriving.arriving()).toBe(true)
    Y.applyUpdate(joiner, rest)
    expect(arriving.arriving()).toBe(false)
  })

  it('counts only the first request of a link, only where its history is due, and not once it closed', () => {
    const joiner = new Y.Doc()
    const arriving = new ArrivingHistories(joiner)
    const { doc } = writer(10, 5)
    const announce = buffer(syncMessage(0, Y.encodeStateVector(doc)))
    // A link opened while the document held something: its history is not due.
    const notDue = link()
    arriving
      .watch(
        notDue,
        admitting(() => false),
      )
      .admit(announce)
    expect(arriving.arriving()).toBe(false)
    // A repair's request after an empty first one promises nothing.
    const repaired = link()
    const watched = arriving.watch(
      repaired,
      admitting(() => true),
    )
    watched.admit(buffer(syncMessage(0, Y.encodeStateVector(new Y.Doc()))))
    watched.admit(announce)
    expect(arriving.arriving()).toBe(false)
    // A link that closed owes nothing any more.
    const closing = link()
    arriving
      .watch(
        closing,
        admitting(() => true),
      )
      .admit(announce)
    expect(arriving.arriving()).toBe(true)
    closing.connectionState = 'closed'
    expect(arriving.arriving()).toBe(false)
  })

  it('reads nothing from what its filter refused, or from other messages', () => {
    const arriving = new ArrivingHistories(new Y.Doc())
    const { doc, first } = writer(10, 5)
    const refusing: LinkGuard = { admit: () => false, sent: () => {}, fits: () => true, historyDue: () => true }
    arriving.watch(link(), refusing).admit(buffer(syncMessage(0, Y.encodeStateVector(doc))))
    const pc = link()
    const filter = arriving.watch(
      pc,
      admitting(() => true),
    )
    filter.admit(buffer(syncMessage(1, first))) // a step 2
    filter.admit(buffer(new Uint8Array([0, 0, 0xff]))) // malformed
    expect(arriving.arriving()).toBe(false)
    filter.admit(buffer(syncMessage(0, Y.encodeStateVector(doc))))
    expect(arriving.arriving()).toBe(true)
  })
})
