// Builds the static site once for all end-to-end tests, into a temporary folder.
// Tests serve that build with a plain static server, as any host would.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder holding the built site (index.html and assets/). */
    siteDir: string
  }
}

export default async function setup (project: TestProject): Promise<() => Promise<void>> {
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-site-'))
  await build({ logLevel: 'error', build: { outDir: siteDir, emptyOutDir: true } })
  project.provide('siteDir', siteDir)
  return async () => { await rm(siteDir, { recursive: true, force: true }) }
}
