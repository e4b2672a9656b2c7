// "Inline styles only through safeStyle", as biome.jsonc enforces it: the fixture's string-built and
// script-set styles are reported line by line under src/components, and nothing under test/.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIOME_TIMEOUT_MS = 60_000

const root = fileURLToPath(new URL('../../', import.meta.url))
const fixture = fileURLToPath(new URL('./fixtures/styles/sets-styles.ts', import.meta.url))
const COPIES = ['src/components', 'test'] as const

type Diagnostic = { category: string; location: { path: string; start: { line: number } } }

let project = ''
let diagnostics: Diagnostic[] = []

/** Lines of one copy of the fixture the plugin reported, sorted. */
function reportedIn(folder: (typeof COPIES)[number]): number[] {
  return diagnostics
    .filter(({ category, location }) => category === 'plugin' && location.path.replaceAll('\\', '/') === `${folder}/sets-styles.ts`)
    .map(({ location }) => location.start.line)
    .sort((a, b) => a - b)
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'parley-style-rule-'))
  cpSync(join(root, 'biome.jsonc'), join(project, 'biome.jsonc'))
  cpSync(join(root, 'lint'), join(project, 'lint'), { recursive: true })
  for (const folder of COPIES) {
    mkdirSync(join(project, folder), { recursive: true })
    cpSync(fixture, join(project, folder, 'sets-styles.ts'))
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

describe('inline styles outside safeStyle', () => {
  it('are reported in src/components, built from strings or set from script', () => {
    expect(reportedIn('src/components')).toEqual([7, 8, 9, 10, 11, 12, 13])
  })

  it('are not reported outside src', () => {
    expect(reportedIn('test')).toEqual([])
  })
})
