import { describe, expect, it } from 'vitest'
import type { PresenceState } from '../../src/presence/index.js'
import { membersOf, parseMemberMeta, presenceNotices, typingLineOf, type MemberMeta } from '../../src/membership/members.js'
import { colorFor } from '../../src/identity/index.js'

const meta = (name: string, ref: string, extra: Partial<MemberMeta> = {}) => ({
  name,
  typing: false,
  since: 100,
  ...extra,
  ref,
})

const stateOf = (entries: Record<string, ReturnType<typeof meta>[]>): PresenceState<MemberMeta> =>
  new Map(Object.entries(entries).map(([key, metas]) => [key, { metas }]))

describe('parseMemberMeta', () => {
  it('accepts a well-formed meta and rejects malformed ones', () => {
    expect(parseMemberMeta({ name: 'Ann', typing: true, since: 1 })).toEqual({ name: 'Ann', typing: true, since: 1 })
    for (const bad of [
      null,
      [],
      { name: '', typing: false, since: 1 },
      { name: 'A', typing: 'yes', since: 1 },
      { name: 'A'.repeat(65), typing: false, since: 1 },
      { name: 'A', typing: false, since: Number.NaN },
    ]) {
      expect(parseMemberMeta(bad)).toBeUndefined()
    }
  })

  it("drops a peer's colour: members are drawn in the colour derived from their key", () => {
    const hostile = { name: 'Mallory', color: 'red;position:fixed;inset:0;background:url(//attacker/p)', typing: false, since: 1 }
    const parsed = parseMemberMeta(hostile)
    expect(parsed).toEqual({ name: 'Mallory', typing: false, since: 1 })
    expect(parsed).not.toHaveProperty('color')
    const state = stateOf({ mallory: [{ ...hostile, ref: '9:1' }] })
    expect(membersOf(state, undefined, () => 'unverified')[0].color).toBe(colorFor('mallory'))
  })
})

describe('membersOf', () => {
  it('makes one entry per user, counting tabs, marking oneself and typing', () => {
    const state = stateOf({
      u1: [meta('Ann', '1:1')],
      u2: [meta('Bo', '2:1', { since: 1 }), meta('Bob', '3:1', { since: 5, typing: true })],
    })
    expect(membersOf(state, 'u1', () => 'verified')).toEqual([
      { key: 'u1', name: 'Ann', color: colorFor('u1'), tabs: 1, typing: false, isSelf: true, verdict: 'verified' },
      { key: 'u2', name: 'Bob', color: colorFor('u2'), tabs: 2, typing: true, isSelf: false, verdict: 'verified' },
    ])
  })

  it('marks a user unverified when any tab fails its proof, pending while one is checked', () => {
    const state = stateOf({ u2: [meta('Bob', '2:1'), meta('Bob', '3:1')] })
    expect(membersOf(state, 'u1', (_key, m) => (m.ref === '3:1' ? 'unverified' : 'verified'))[0].verdict).toBe('unverified')
    expect(membersOf(state, 'u1', (_key, m) => (m.ref === '3:1' ? 'pending' : 'verified'))[0].verdict).toBe('pending')
  })
})

describe('typingLineOf', () => {
  it('names others who type, never oneself', () => {
    const state = stateOf({
      me: [meta('Me', '1:1', { typing: true })],
      u2: [meta('Bob', '2:1', { typing: true })],
      u3: [meta('Carol', '3:1')],
    })
    expect(typingLineOf(state, 'me')).toBe('Bob is typing…')
    expect(typingLineOf(state, 'u2')).toBe('Me is typing…')
  })
})

describe('presenceNotices', () => {
  const empty = stateOf({})
  it('announces a newcomer and a user whose last tab left', () => {
    const withCarol = stateOf({ c: [meta('Carol', '5:1', { since: 200 })] })
    expect(presenceNotices(empty, withCarol, 'me', 150, new Set())).toEqual([{ key: 'c', text: 'Carol joined' }])
    expect(presenceNotices(withCarol, empty, 'me', 150, new Set())).toEqual([{ key: 'c', text: 'Carol left' }])
  })

  it('is silent for a second tab, an update, oneself, and users here before this tab', () => {
    const one = stateOf({ c: [meta('Carol', '5:1', { since: 200 })] })
    const two = stateOf({ c: [meta('Carol', '5:1', { since: 200 }), meta('Carol', '6:1', { since: 300 })] })
    const typing = stateOf({ c: [meta('Carol', '5:2', { since: 200, typing: true })] })
    expect(presenceNotices(one, two, 'me', 150, new Set())).toEqual([])
    expect(presenceNotices(two, one, 'me', 150, new Set())).toEqual([])
    expect(presenceNotices(one, typing, 'me', 150, new Set())).toEqual([])
    expect(presenceNotices(empty, stateOf({ me: [meta('Me', '1:1', { since: 200 })] }), 'me', 150, new Set())).toEqual([])
    expect(presenceNotices(empty, one, 'me', 250, new Set())).toEqual([])
  })

  it('announces the return of a user this tab saw leave, even one older than this tab', () => {
    const old = stateOf({ c: [meta('Carol', '5:1', { since: 10 })] })
    expect(presenceNotices(empty, old, 'me', 150, new Set(['c']))).toEqual([{ key: 'c', text: 'Carol joined' }])
  })
})
