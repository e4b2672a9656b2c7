// Runs the project's own Biome config (biome.jsonc and its plugins in lint/) on copies of one
// fixture file placed in several folders of a scratch project, for the lint rule tests.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'

/** Time Biome may take on the scratch project (a loaded two-core machine), in ms. */
export const BIOME_TIMEOUT_MS = 60_000

const root = fileURLToPath(new URL('../../', import.meta.url))

/** One finding of Biome's JSON reporter, as far as the tests read it. */
export type Diagnostic = { category: string; location: { path: string; start: { line: number } } }

/**
 * Before the file's tests, copies `fixture` as `name` into each of `folders` of a scratch
 * project with the project's Biome config and lints it; removes the project after. Returns a
 * function giving the diagnostics reported for one folder's copy.
 */
export function useBiomeOnFixture(fixture: URL, name: string, folders: readonly string[]): (folder: string) => Diagnostic[] {
  let project = ''
  let diagnostics: Diagnostic[] = []
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'parley-lint-rule-'))
    cpSync(join(root, 'biome.jsonc'), join(project, 'biome.jsonc'))
    cpSync(join(root, 'lint'), join(project, 'lint'), { recursive: true })
    for (const folder of folders) {
      mkdirSync(join(project, folder), { recursive: true })
      cpSync(fileURLToPath(fixture), join(project, folder, name))
    }
    const biome = spawnSync(join(root, 'node_modules/.bin/biome'), ['lint', '--vcs-enabled=false', '--reporter=json', '.'], {
      cwd: project,
      encoding: 'utf8',
      timeout: BIOME_TIMEOUT_MS,
    })
    if (biome.error !== undefined) throw biome.error
    diagnostics = (JSON.parse(biome.stdout) as { diagnostics: Diagnostic[] }).diagnostics
  }, BIOME_TIMEOUT_MS)
  afterAll(() => {
    if (project !== '') rmSync(project, { recursive: true, force: true })
  })
  return (folder) => diagnostics.filter(({ location }) => location.path.replaceAll('\\', '/') === `${folder}/${name}`)
}
