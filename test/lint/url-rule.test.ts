// "URL attributes only through hrefOf", as biome.jsonc enforces it: the fixture's bound, string-built
// and script-set URLs are reported line by line under src/components, and nothing under test/.
import { describe, expect, it } from 'vitest'
import { useBiomeOnFixture } from './biome-on-fixture.js'

const COPIES = ['src/components', 'test'] as const
const diagnosticsIn = useBiomeOnFixture(new URL('./fixtures/urls/sets-urls.ts', import.meta.url), 'sets-urls.ts', COPIES)

/** Lines of one copy of the fixture the plugin reported, sorted. */
function reportedIn(folder: (typeof COPIES)[number]): number[] {
  return diagnosticsIn(folder)
    .filter(({ category }) => category === 'plugin')
    .map(({ location }) => location.start.line)
    .sort((a, b) => a - b)
}

describe('URL attributes outside hrefOf', () => {
  it('are reported in src/components, bound, built from strings or set from script', () => {
    expect(reportedIn('src/components')).toEqual([10, 11, 12, 13, 14, 15, 16, 17])
  })

  it('are not reported outside src', () => {
    expect(reportedIn('test')).toEqual([])
  })
})
