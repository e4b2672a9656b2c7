// Completing @mentions in the composer: finding the query at the caret, matching members'
// names (with spaces, in any script), and putting the picked name into the draft.
import { describe, expect, it } from 'vitest'
import { MAX_MENTION_OPTIONS, completeMention, matchingNames, mentionQueryAt } from '../../src/components/mention-completion.js'

describe('mentionQueryAt', () => {
  it('finds the @query that ends at the caret', () => {
    expect(mentionQueryAt('hi @Bo', 6)).toEqual({ start: 3, query: 'Bo' })
    expect(mentionQueryAt('@', 1)).toEqual({ start: 0, query: '' })
    expect(mentionQueryAt('(@Ann Le', 8)).toEqual({ start: 1, query: 'Ann Le' })
    expect(mentionQueryAt('hi @Bo and more', 6)).toEqual({ start: 3, query: 'Bo' })
  })

  it('finds none in an email, after a line break, after "@ ", or without an @', () => {
    expect(mentionQueryAt('ann@example', 11)).toBeNull()
    expect(mentionQueryAt('@Bo\nnext', 8)).toBeNull()
    expect(mentionQueryAt('@ Bo', 4)).toBeNull()
    expect(mentionQueryAt('hello', 5)).toBeNull()
    expect(mentionQueryAt(`@${'x'.repeat(200)}`, 201)).toBeNull()
  })
})

describe('matchingNames', () => {
  const names = ['Ann Lee', 'Bob', 'Zoë', 'Lee', 'bobby', 'Ann Lee']

  it('offers names starting with the query first, then names with a word starting with it, each once', () => {
    expect(matchingNames(names, 'lee')).toEqual(['Lee', 'Ann Lee'])
    expect(matchingNames(names, 'BO')).toEqual(['Bob', 'bobby'])
    expect(matchingNames(names, 'zx')).toEqual([])
    expect(matchingNames(names, 'zoë')).toEqual(['Zoë'])
    expect(matchingNames(names, '')).toEqual(['Ann Lee', 'Bob', 'Zoë', 'Lee', 'bobby'])
  })

  it(`offers at most ${MAX_MENTION_OPTIONS}`, () => {
    const many = Array.from({ length: 20 }, (_, i) => `Member ${i}`)
    expect(matchingNames(many, 'mem')).toHaveLength(MAX_MENTION_OPTIONS)
  })
})

describe('completeMention', () => {
  it('replaces the query with the name and a space, leaving the rest, and leaves the caret after it', () => {
    const draft = 'hi @an, lunch?'
    expect(completeMention(draft, { start: 3, query: 'an' }, 6, 'Ann Lee')).toEqual({ draft: 'hi @Ann Lee , lunch?', caret: 12 })
    expect(completeMention('@b see you', { start: 0, query: 'b' }, 2, 'Bob')).toEqual({ draft: '@Bob see you', caret: 5 })
    expect(draft).toBe('hi @an, lunch?')
  })
})
