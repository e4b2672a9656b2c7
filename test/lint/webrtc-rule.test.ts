// "Only src/transport touches WebRTC", as biome.jsonc enforces it: the same fixture is reported line by
// line under src/room and not at all under src/transport or test/, with the project's own Biome config.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIOME_TIMEOUT_MS = 60_000

const root = fileURLToPath(new URL('../../', import.meta.url))
const fixture = fileURLToPath(new URL('./fixtures/webrtc/reaches-webrtc.ts', import.meta.url))
const COPIES = ['src/room', 'src/transport', 'test'] as const

type Diagnostic = { category: string; location: { path: string; start: { line: number } } }

let project = ''
let diagnostics: Diagnostic[] = []

/** Diagnostics for one copy of the fixture, as "line: category", sorted. */
function reportedIn(folder: (typeof COPIES)[number]): string[] {
  return diagnostics
    .filter(({ location }) => location.path.replaceAll('\\', '/') === `${folder}/reaches-webrtc.ts`)
    .map(({ category, location }) => `${location.start.line}: ${category}`)
    .sort()
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'parley-webrtc-rule-'))
  cpSync(join(root, 'biome.jsonc'), join(project, 'biome.jsonc'))
  cpSync(join(root, 'lint'), join(project, 'lint'), { recursive: true })
  for (const folder of COPIES) {
    mkdirSync(join(project, folder), { recursive: true })
    cpSync(fixture, join(project, folder, 'reaches-webrtc.ts'))
  }
  const biome = spawnSync(join(root, 'node_modules/.bin/biome'), ['lint', '--vcs-enabled=false', '--reporter=json', '.'], {
    cwd: project,
    encoding: 'utf8',
    timeout: BIOME_TIMEOUT_MS,
  })
  if (biome.error !== undefined) throw biome.error
  const report = JSON.parse(biome.stdout) as { diagnostics: Diagnostic[] }
  diagnostics = report.diagnostics
}, BIOME_TIMEOUT_MS)

afterAll(() => {
  if (project !== '') rmSync(project, { recursive: true, force: true })
})

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
