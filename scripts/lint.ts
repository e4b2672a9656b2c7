// `npm run lint`: every static check, run to the end even when one fails, so one run shows all problems.
// Biome (format and lint), dependency-cruiser (layer rules), lit-analyzer (Lit template bindings).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../', import.meta.url))

/** The checks, each a locally installed binary with its arguments. */
const CHECKS: ReadonlyArray<{ name: string; bin: string; args: string[] }> = [
  { name: 'format and lint (biome check)', bin: 'biome', args: ['check', '.'] },
  { name: 'layer rules (dependency-cruiser)', bin: 'depcruise', args: ['src', 'signaling', '--config', '.dependency-cruiser.cjs'] },
  { name: 'Lit templates (lit-analyzer)', bin: 'lit-analyzer', args: ['--strict', '--maxWarnings', '0', 'src/components'] },
]

const failed: string[] = []
for (const { name, bin, args } of CHECKS) {
  console.log(`\n== ${name}`)
  const run = spawnSync(join(root, 'node_modules', '.bin', bin), args, { cwd: root, stdio: 'inherit' })
  if (run.error !== undefined || run.status !== 0) failed.push(name)
}

console.log(failed.length === 0 ? '\nlint: all checks passed' : `\nlint: failed: ${failed.join('; ')}`)
process.exitCode = failed.length === 0 ? 0 : 1
