import { describe, expect, it } from 'vitest'
import type { HiddenCount } from '../../src/history/index.js'
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

  it('adds the lanes to the budgets’ hidden counts, leaving those alone when there are none', () => {
    const hidden = new Map<string, HiddenCount>([['alice', { authorName: 'Alice', count: 2 }]])
    expect(withRefused(hidden, new Map())).toBe(hidden)
    const refused = new Map<string, HiddenCount>([[refusedLaneOf('mallory'), { authorName: 'Flooder', count: 9, forged: true }]])
    expect([...withRefused(hidden, refused).keys()]).toEqual(['alice', refusedLaneOf('mallory')])
    expect(hidden.size).toBe(1)
  })
})
