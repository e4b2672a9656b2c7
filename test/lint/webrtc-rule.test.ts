// "Only src/transport touches WebRTC", as biome.jsonc enforces it: the same fixture is reported line by
// line under src/room and not at all under src/transport or test/, with the project's own Biome config.
import { describe, expect, it } from 'vitest'
import { useBiomeOnFixture } from './biome-on-fixture.js'

const COPIES = ['src/room', 'src/transport', 'test'] as const
const diagnosticsIn = useBiomeOnFixture(new URL('./fixtures/webrtc/reaches-webrtc.ts', import.meta.url), 'reaches-webrtc.ts', COPIES)

/** Diagnostics for one copy of the fixture, as "line: category", sorted. */
function reportedIn(folder: (typeof COPIES)[number]): string[] {
  return diagnosticsIn(folder)
    .map(({ category, location }) => `${location.start.line}: ${category}`)
    .sort()
}

describe('WebRTC outside src/transport', () => {
  it('is reported for bare globals and for globals reached through an object', () => {
    expect(reportedIn('src/room')).toEqual([
      '3: lint/style/noRestrictedGlobals',
      '3: lint/style/noRestrictedGlobals',
      '4: plugin',
      '5: plugin',
      '6: plugin',
      '7: plugin',
      '8: plugin',
    ])
  })

  it('is allowed in src/transport and outside src', () => {
    expect(reportedIn('src/transport')).toEqual([])
    expect(reportedIn('test')).toEqual([])
  })
})
