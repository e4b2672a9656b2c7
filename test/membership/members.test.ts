import { describe, expect, it } from 'vitest'
import type { PresenceState } from '../../src/presence/index.js'
import {
  membersOf,
  parseMemberMeta,
  presenceNotices,
  splitByClaim,
  typingLineOf,
  unverifiedName,
  type MemberMeta,
  type MetaVerdict,
} from '../../src/membership/members.js'
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
    const signed = { name: 'Ann', typing: false, since: 1, publicKey: 'k', signature: 's', counter: 4 }
    expect(parseMemberMeta({ ...signed, extra: true })).toEqual(signed)
    expect(parseMemberMeta({ ...signed, left: true })).toEqual({ ...signed, left: true })
    for (const bad of [
      null,
      [],
      { name: '', typing: false, since: 1 },
      { name: 'A', typing: 'yes', since: 1 },
      { name: 'A'.repeat(65), typing: false, since: 1 },
      { name: 'A', typing: false, since: Number.NaN },
      // Signed states carry a key, a signature and a counter: all three or none.
      { name: 'A', typing: false, since: 1, publicKey: 'k', signature: 's' },
      { name: 'A', typing: false, since: 1, counter: 1 },
      { name: 'A', typing: false, since: 1, publicKey: 'k', signature: 's', counter: -1 },
      { name: 'A', typing: false, since: 1, publicKey: 'k', signature: 's', counter: 1.5 },
      // A goodbye is signed, and says `left: true` or nothing.
      { name: 'A', typing: false, since: 1, left: true },
      { name: 'A', typing: false, since: 1, publicKey: 'k', signature: 's', counter: 1, left: false },
      { name: 'A', typing: false, since: 1, publicKey: 'k', signature: 's', counter: 1, left: 'yes' },
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

  it('lists tabs that fail their claim apart, as one unverified member per claimed user, without tainting the user', () => {
    const state = stateOf({
      u2: [meta('Bob', '2:1'), meta('Bob', '3:1', { since: 5 }), meta('Mallory', '4:1', { since: 9 })],
      u3: [meta('Carol', '5:1')],
    })
    const impostors: MetaVerdict = (_key, m) => (m.ref === '3:1' || m.ref === '4:1' ? 'unverified' : 'verified')
    expect(membersOf(state, 'u1', impostors)).toEqual([
      { key: 'u2', name: 'Bob', color: colorFor('u2'), tabs: 1, typing: false, isSelf: false, verdict: 'verified' },
      { key: 'u2', name: 'Mallory', color: colorFor('u2'), tabs: 2, typing: false, isSelf: false, verdict: 'unverified' },
      { key: 'u3', name: 'Carol', color: colorFor('u3'), tabs: 1, typing: false, isSelf: false, verdict: 'verified' },
    ])
    // A user with no tab that proved the claim is only the unverified entry.
    expect(membersOf(stateOf({ u2: [meta('Bob', '3:1')] }), 'u1', impostors)).toEqual([
      { key: 'u2', name: 'Bob', color: colorFor('u2'), tabs: 1, typing: false, isSelf: false, verdict: 'unverified' },
    ])
  })

  it("marks oneself only in one's own entry, not in an impostor's, unless this tab cannot sign either", () => {
    const state = stateOf({ me: [meta('Me', '1:1'), meta('Me', '2:1')] })
    const impostor: MetaVerdict = (_key, m) => (m.ref === '2:1' ? 'unverified' : 'verified')
    expect(membersOf(state, 'me', impostor).map((m) => [m.verdict, m.isSelf])).toEqual([
      ['verified', true],
      ['unverified', false],
    ])
    expect(membersOf(state, 'me', () => 'unverified').map((m) => [m.verdict, m.isSelf, m.tabs])).toEqual([['unverified', true, 2]])
  })

  it('shows a user pending while one of their tabs is being checked', () => {
    const state = stateOf({ u2: [meta('Bob', '2:1'), meta('Bob', '3:1')] })
    expect(membersOf(state, 'u1', (_key, m) => (m.ref === '3:1' ? 'pending' : 'verified'))).toEqual([
      { key: 'u2', name: 'Bob', color: colorFor('u2'), tabs: 2, typing: false, isSelf: false, verdict: 'pending' },
    ])
  })
})

describe('typingLineOf', () => {
  const verified: MetaVerdict = () => 'verified'

  it('names others who type, never oneself', () => {
    const state = stateOf({
      me: [meta('Me', '1:1', { typing: true })],
      u2: [meta('Bob', '2:1', { typing: true })],
      u3: [meta('Carol', '3:1')],
    })
    expect(typingLineOf(state, 'me', verified)).toBe('Bob is typing…')
    expect(typingLineOf(state, 'u2', verified)).toBe('Me is typing…')
  })

  it('marks a typing tab whose claim failed, and names nobody for a claim still being checked', () => {
    const state = stateOf({ u2: [meta('Alice', '2:1'), meta('Alice', '3:1', { typing: true })] })
    const forged: MetaVerdict = (_key, m) => (m.ref === '3:1' ? 'unverified' : 'verified')
    expect(typingLineOf(state, 'me', forged)).toBe('⚠ Alice (unverified) is typing…')
    expect(typingLineOf(state, 'me', (_key, m) => (m.ref === '3:1' ? 'pending' : 'verified'))).toBe('')
    const both = stateOf({ u2: [meta('Alice', '2:1', { typing: true }), meta('Alice', '3:1', { typing: true })] })
    expect(typingLineOf(both, 'me', forged)).toBe('Alice and ⚠ Alice (unverified) are typing…')
    // An impostor of oneself types too; one's own other tabs on a page that cannot sign do not.
    expect(typingLineOf(state, 'u2', forged)).toBe('⚠ Alice (unverified) is typing…')
    expect(typingLineOf(state, 'u2', () => 'unverified')).toBe('')
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

  it('announces tabs whose claim failed apart from the user they claim, marked', () => {
    const alice = meta('Alice', '1:1', { since: 200 })
    const impostor = meta('Alice', '9:1', { since: 300 })
    const forged: MetaVerdict = (_key, m) => (m.ref === '9:1' ? 'unverified' : 'verified')
    const before = splitByClaim(stateOf({ a: [alice] }), forged)
    const after = splitByClaim(stateOf({ a: [alice, impostor] }), forged)
    expect(after.verified).toEqual(stateOf({ a: [alice] }))
    expect(after.failed).toEqual(stateOf({ a: [impostor] }))
    expect(presenceNotices(before.verified, after.verified, 'me', 150, new Set())).toEqual([])
    expect(presenceNotices(before.failed, after.failed, 'me', 150, new Set(), unverifiedName)).toEqual([
      { key: 'a', text: '⚠ Alice (unverified) joined' },
    ])
    // The real Alice leaves while the impostor stays: her leave is announced all the same.
    const left = splitByClaim(stateOf({ a: [impostor] }), forged)
    expect(presenceNotices(after.verified, left.verified, 'me', 150, new Set())).toEqual([{ key: 'a', text: 'Alice left' }])
  })

  it('announces nobody whose claim is still being checked', () => {
    const checking = splitByClaim(stateOf({ b: [meta('Bob', '2:1', { since: 200 })] }), () => 'pending')
    expect(checking).toEqual({ verified: stateOf({}), failed: stateOf({}) })
    const checked = splitByClaim(stateOf({ b: [meta('Bob', '2:1', { since: 200 })] }), () => 'verified')
    expect(presenceNotices(checking.verified, checked.verified, 'me', 150, new Set())).toEqual([{ key: 'b', text: 'Bob joined' }])
  })
})
