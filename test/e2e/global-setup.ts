// Builds the static site and the embeddable library once for all end-to-end tests, into a
// temporary folder laid out like dist/. Tests serve it with a plain static server, as any host would.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'vite'
import type { TestProject } from 'vitest/node'
import { LIBRARY_SUBDIR } from '../../vite.config.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder holding the built site (index.html and assets/), with the library in lib/. */
    siteDir: string
    /** Folder holding the library build (parley-chat.js). */
    libDir: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const siteDir = await mkdtemp(join(tmpdir(), 'parley-site-'))
  const libDir = join(siteDir, LIBRARY_SUBDIR)
  // Vitest sets NODE_ENV=test, which would make Vite bundle Lit's development build: build
  // what `npm run build` ships instead.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({ logLevel: 'error', build: { outDir: siteDir } })
    await build({ configFile: 'vite.lib.config.ts', logLevel: 'error', build: { outDir: libDir } })
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
  }
  project.provide('siteDir', siteDir)
  project.provide('libDir', libDir)
  return async () => {
    await rm(siteDir, { recursive: true, force: true })
  }
}
