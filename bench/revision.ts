// A git revision of this repository as a source tree of its own, for benchmarks that measure
// another build beside this one (`--baseline REV`).
import { execFileSync } from 'node:child_process'
import { symlink } from 'node:fs/promises'
import { join } from 'node:path'

/** Writes revision `rev` of the repository at `root` into `dir` (which exists), with `root`'s node_modules linked in. */
export async function exportRevision(root: string, rev: string, dir: string): Promise<void> {
  const archive = execFileSync('git', ['-C', root, 'archive', '--format=tar', rev], { maxBuffer: 1 << 30 })
  execFileSync('tar', ['-x', '-C', dir], { input: archive })
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'))
}
