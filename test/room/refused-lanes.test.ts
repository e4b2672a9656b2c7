import { describe, expect, it } from 'vitest'
import { forgedLaneOf, type HiddenCount } from '../../src/history/index.js'
import { RefusedLanes, refusedLaneOf, withRefused } from '../../src/room/refused-lanes.js'

const message = (authorId: string, authorName: string) => ({ id: `m-${authorId}`, authorId, authorName, text: 'flood', sentAt: 1 })

describe('RefusedLanes', () => {
  it('puts refused records in a lane of the author their messages claim, marked unverified', () => {
    const lanes = new RefusedLanes().lanes(
      new Map([
        [1, { records: 9, samples: [message('mallory', 'Flooder')] }],
        // Another writer under the same claimed author: one line.
        [2, { records: 3, samples: [{ not: 'a message' }, message('mallory', 'Flooder')] }],
        // Nothing that names an author (keys, annotations): left out.
        [3, { records: 5, samples: [{ not: 'a message' }] }],
      ]),
    )
    expect([...lanes]).toEqual([[refusedLaneOf('mallory'), { authorName: 'Flooder', count: 12, forged: true }]])
  })

  it('adds the lanes to the budgets’ hidden counts, one line per lane, leaving those alone when there are none', () => {
    const hidden = new Map<string, HiddenCount>([
      ['alice', { authorName: 'Alice', count: 2 }],
      [forgedLaneOf('alice'), { authorName: 'Alice', count: 10, forged: true }],
    ])
    expect(withRefused(hidden, new Map())).toBe(hidden)
    const refused = new Map<string, HiddenCount>([
      [refusedLaneOf('mallory'), { authorName: 'Flooder', count: 9, forged: true }],
      // Forgeries under Alice's id, some hidden by the budgets, some refused: one line.
      [refusedLaneOf('alice'), { authorName: 'Alice', count: 5, forged: true }],
    ])
    expect([...withRefused(hidden, refused)]).toEqual([
      ['alice', { authorName: 'Alice', count: 2 }],
      [forgedLaneOf('alice'), { authorName: 'Alice', count: 15, forged: true }],
      [refusedLaneOf('mallory'), { authorName: 'Flooder', count: 9, forged: true }],
    ])
    expect(hidden.get(forgedLaneOf('alice'))?.count).toBe(10)
  })
})
