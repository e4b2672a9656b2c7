// Bundle size: builds the site and the library into a temporary folder and measures the
// gzipped JavaScript each ships. Run alone with `npx tsx bench/bundle-size.ts`.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import { LIBRARY_SUBDIR } from '../vite.config.js'

/** Most gzipped JavaScript the site, or the library, may ship (issue 7), in bytes. */
export const BUNDLE_BUDGET_GZIP_BYTES = 80 * 1024
/** gzip level used for the figures: the highest, as static hosts precompress with. */
const GZIP_LEVEL = 9
const BYTES_PER_KB = 1024
const projectRoot = fileURLToPath(new URL('..', import.meta.url))

/** Raw and gzipped bytes of the JavaScript in one folder. */
export interface JsSize {
  files: number
  rawBytes: number
  gzipBytes: number
}

/** The bundle-size figures: the site's JavaScript and the library's. */
export interface BundleSizeResult {
  site: JsSize
  library: JsSize
  budgetGzipBytes: number
  withinBudget: boolean
}

/** Sums the raw and gzipped sizes of the .js files directly in `dir`. */
export async function measureJs(dir: string): Promise<JsSize> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.js'))
  const size: JsSize = { files: 0, rawBytes: 0, gzipBytes: 0 }
  for (const name of names) {
    const bytes = await readFile(join(dir, name))
    size.files++
    size.rawBytes += bytes.length
    size.gzipBytes += gzipSync(bytes, { level: GZIP_LEVEL }).length
  }
  return size
}

/** Builds the site and the library (as `npm run build` does) and measures their JavaScript. */
export async function runBundleSizeBench(): Promise<BundleSizeResult> {
  const outDir = await mkdtemp(join(tmpdir(), 'parley-bundle-'))
  // Measure what `npm run build` ships, even when called from a test runner (NODE_ENV=test).
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    const libDir = join(outDir, LIBRARY_SUBDIR)
    await build({ root: projectRoot, logLevel: 'error', build: { outDir } })
    await build({ root: projectRoot, configFile: join(projectRoot, 'vite.lib.config.ts'), logLevel: 'error', build: { outDir: libDir } })
    const site = await measureJs(join(outDir, 'assets'))
    const library = await measureJs(libDir)
    const withinBudget = site.gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES && library.gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES
    return { site, library, budgetGzipBytes: BUNDLE_BUDGET_GZIP_BYTES, withinBudget }
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = nodeEnv
    await rm(outDir, { recursive: true, force: true })
  }
}

/** The figures as a table, then one JSON line. */
export function formatBundleSize(result: BundleSizeResult): string {
  const kb = (bytes: number) => (bytes / BYTES_PER_KB).toFixed(1)
  const row = (name: string, size: JsSize) =>
    `| ${name.padEnd(33)} | ${String(size.files).padStart(5)} | ${kb(size.rawBytes).padStart(8)} | ${kb(size.gzipBytes).padStart(9)} |`
  return [
    `| bundle                            | files | raw (KB) | gzip (KB) |`,
    `|-----------------------------------|-------|----------|-----------|`,
    row('site (dist/assets/*.js)', result.site),
    row('library (dist/lib/parley-chat.js)', result.library),
    `budget: ${kb(result.budgetGzipBytes)} KB gzipped each: ${result.withinBudget ? 'within' : 'OVER'}`,
    JSON.stringify({ bench: 'bundle-size', ...result }),
  ].join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runBundleSizeBench()
  console.log(formatBundleSize(result))
  if (!result.withinBudget) process.exitCode = 1
}
