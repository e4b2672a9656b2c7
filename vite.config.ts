// Builds the static site. Relative asset URLs (base './') let dist/ run from any sub-path.
// The library build (vite.lib.config.ts) writes dist/lib/, which this build leaves alone.
import { readdir, rm } from 'node:fs/promises'
import { join, relative, isAbsolute } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

/**
 * y-webrtc imports simple-peer's browserified bundle (95 KB minified: Buffer, streams, debug).
 * simple-peer-light is the same Peer class without them (18 KB), which keeps the app within
 * its 80 KB gzipped budget. Node (tests, benchmarks) keeps simple-peer.
 */
export const LIGHTER_PEER = { 'simple-peer/simplepeer.min.js': 'simple-peer-light' }

/**
 * lib0/logging styles console lines in colour, and for that imports lib0/dom and lib0/schema,
 * whose side effects keep about 4 KB gzipped in what loads first although Yjs and y-webrtc only
 * print a few lines. The browser builds take the same names over lib0's plain logging.
 */
export const LIGHTER_LOGGING = { 'lib0/logging': fileURLToPath(new URL('./shims/lib0-logging.js', import.meta.url)) }

/** Environment variables a build exposes as `import.meta.env` (see src/env.d.ts). */
export const ENV_PREFIX = ['VITE_', 'PARLEY_']

/** The folder under the site's outDir that belongs to the library build. */
export const LIBRARY_SUBDIR = 'lib'

/**
 * Empties the outDir like Vite's `emptyOutDir`, except for the library's folder, so the two
 * builds can run in either order. Like Vite, it never empties a folder outside the project.
 */
function emptyOutDirExceptLibrary(): Plugin {
  let outDir = ''
  let root = ''
  return {
    name: 'parley:empty-out-dir-except-library',
    apply: 'build',
    configResolved(config) {
      root = config.root
      outDir = join(config.root, config.build.outDir)
    },
    async buildStart() {
      const inside = relative(root, outDir)
      if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return
      const entries = await readdir(outDir).catch(() => [])
      await Promise.all(
        entries.filter((name) => name !== LIBRARY_SUBDIR).map((name) => rm(join(outDir, name), { recursive: true, force: true })),
      )
    },
  }
}

/**
 * The lazy chunks (ARCHITECTURE.md, "What loads first") import only what the first load has
 * loaded already, so Vite's preload helper (about 0.7 KB gzipped in what loads first) would
 * fetch nothing: this one just runs the import. With `modulePreload: false` Vite adds no
 * modulepreload polyfill either.
 */
function noPreloadHelper(): Plugin {
  return {
    name: 'parley:no-preload-helper',
    apply: 'build',
    enforce: 'pre',
    load: {
      // Vite's helper that preloads a lazy chunk's imports before running it.
      filter: { id: /^\0vite\/preload-helper\.js$/ },
      handler: () => 'export const __vitePreload = (load) => load()',
    },
  }
}

export default defineConfig({
  base: './',
  envPrefix: ENV_PREFIX,
  server: {
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
  },
  plugins: [emptyOutDirExceptLibrary(), noPreloadHelper()],
  resolve: { alias: { ...LIGHTER_PEER, ...LIGHTER_LOGGING } },
  build: {
    target: 'es2022',
    emptyOutDir: false,
    modulePreload: false,
  },
})
