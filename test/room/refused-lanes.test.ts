import { describe, expect, it } from 'vitest'
import { forgedLaneOf, type HiddenCount } from '../../src/history/index.js'
import { RefusedLanes, refusedLaneOf, withRefused } from '../../src/room/refused-lanes.js'

const message = (authorId: string, authorName: string) => ({ id: `m-${authorId}`, authorId, authorName, text: 'flood', sentAt: 1 })

describe('RefusedLanes', () => {
  it('puts refused messages in a lane of the author they claim, marked unverified, counting no keys or annotations', () => {
    const lanes = new RefusedLanes().lanes(
      new Map([
        // 9 records refused, 7 of them messages (its key and a reaction are not).
        [1, { records: 9, messages: 7, samples: [message('mallory', 'Flooder')] }],
        // Another writer under the same claimed author: one line.
        [2, { records: 3, messages: 3, samples: [{ not: 'a message' }, message('mallory', 'Flooder')] }],
        // Nothing that names an author (keys, annotations): left out.
        [3, { records: 5, messages: 0, samples: [{ not: 'a message' }] }],
      ]),
      40,
    )
    // main: count 12, every record refused ("12 messages" of which two were not)
    expect([...lanes]).toEqual([[refusedLaneOf('mallory'), { authorName: 'Flooder', count: 10, after: 40, forged: true }]])
  })

  it('places a lane at the log’s newest end when its count changes, and leaves it there after', () => {
    const refused = new RefusedLanes()
    const flooder = (messages: number) => new Map([[1, { records: messages + 1, messages, samples: [message('mallory', 'Flooder')] }]])
    expect(refused.lanes(flooder(100), 10).get(refusedLaneOf('mallory'))?.after).toBe(10)
    // More refused as the log grew: the line follows.
    expect(refused.lanes(flooder(300), 250).get(refusedLaneOf('mallory'))?.after).toBe(250)
    // Nothing new refused: later messages go below the line.
    expect(refused.lanes(flooder(300), 260).get(refusedLaneOf('mallory'))?.after).toBe(250)
    // Some of it brought after all (a relay landed it at the newest end): the line follows it there.
    expect(refused.lanes(flooder(200), 370).get(refusedLaneOf('mallory'))).toEqual({
      authorName: 'Flooder',
      count: 200,
      after: 370,
      forged: true,
    })
    // Two writers in one lane: the later place.
    const two = new Map([...flooder(200), [2, { records: 5, messages: 5, samples: [message('mallory', 'Flooder')] }]])
    expect(refused.lanes(two, 380).get(refusedLaneOf('mallory'))?.after).toBe(380)
    expect(refused.lanes(two, 390).get(refusedLaneOf('mallory'))?.after).toBe(380)
  })

  it('adds the lanes to the budgets’ hidden counts, one line per lane placed at the later of the two, leaving those alone when there are none', () => {
    const hidden = new Map<string, HiddenCount>([
      ['alice', { authorName: 'Alice', count: 2, after: 4 }],
      [forgedLaneOf('alice'), { authorName: 'Alice', count: 10, after: 30, forged: true }],
    ])
    expect(withRefused(hidden, new Map())).toBe(hidden)
    const refused = new Map<string, HiddenCount>([
      [refusedLaneOf('mallory'), { authorName: 'Flooder', count: 9, after: 40, forged: true }],
      // Forgeries under Alice's id, some hidden by the budgets, some refused: one line.
      [refusedLaneOf('alice'), { authorName: 'Alice', count: 5, after: 20, forged: true }],
    ])
    expect([...withRefused(hidden, refused)]).toEqual([
      ['alice', { authorName: 'Alice', count: 2, after: 4 }],
      [forgedLaneOf('alice'), { authorName: 'Alice', count: 15, after: 30, forged: true }],
      [refusedLaneOf('mallory'), { authorName: 'Flooder', count: 9, after: 40, forged: true }],
    ])
    expect(hidden.get(forgedLaneOf('alice'))?.count).toBe(10)
  })
})
