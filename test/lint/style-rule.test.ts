// "Inline styles only through safeStyle", as biome.jsonc enforces it: the fixture's string-built and
// script-set styles are reported line by line under src/components, and nothing under test/.
import { describe, expect, it } from 'vitest'
import { useBiomeOnFixture } from './biome-on-fixture.js'

const COPIES = ['src/components', 'test'] as const
const diagnosticsIn = useBiomeOnFixture(new URL('./fixtures/styles/sets-styles.ts', import.meta.url), 'sets-styles.ts', COPIES)

/** Lines of one copy of the fixture the plugin reported, sorted. */
function reportedIn(folder: (typeof COPIES)[number]): number[] {
  return diagnosticsIn(folder)
    .filter(({ category }) => category === 'plugin')
    .map(({ location }) => location.start.line)
    .sort((a, b) => a - b)
}

describe('inline styles outside safeStyle', () => {
  it('are reported in src/components, built from strings or set from script', () => {
    expect(reportedIn('src/components')).toEqual([7, 8, 9, 10, 11, 12, 13])
  })

  it('are not reported outside src', () => {
    expect(reportedIn('test')).toEqual([])
  })
})
