// Bundle size: builds the site and the library into a temporary folder and measures the
// gzipped JavaScript each loads first (the entry and what it imports statically), and what it
// loads on demand (import()). Run alone with `npx tsx bench/bundle-size.ts`.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import { LIBRARY_SUBDIR } from '../vite.config.js'

/** Most gzipped JavaScript the site, or the library, may load first (issues 7 and 13), in bytes. */
export const BUNDLE_BUDGET_GZIP_BYTES = 80 * 1024
/** gzip level used for the figures: the highest, as static hosts precompress with. */
const GZIP_LEVEL = 9
const BYTES_PER_KB = 1024
/** The library's entry file in its folder (vite.lib.config.ts). */
export const LIBRARY_ENTRY = 'parley-chat.js'
const projectRoot = fileURLToPath(new URL('..', import.meta.url))

/** Raw and gzipped bytes of some JavaScript files. */
export interface JsSize {
  files: number
  rawBytes: number
  gzipBytes: number
}

/** One build's JavaScript: what loads first, and what loads on demand. */
export interface LoadSplit {
  /** The entry and every file it imports statically, transitively: all of it before anything runs. */
  firstLoad: JsSize
  /** The other files, each fetched by an import() when a part is first used. */
  onDemand: JsSize
  /** The files of the first load, entry first. */
  firstLoadFiles: string[]
  /** The files loaded on demand, with their gzipped size in bytes. */
  onDemandFiles: Record<string, number>
}

/** The bundle-size figures: the site's JavaScript and the library's. */
export interface BundleSizeResult {
  site: LoadSplit
  library: LoadSplit
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

/**
 * The relative files a built ES module imports statically (`import … from "./x.js"`,
 * `import "./x.js"`), as the bundler writes them; `import("./x.js")` is left out.
 */
export function staticImports(code: string): string[] {
  const found = new Set<string>()
  for (const match of code.matchAll(/\bimport\s*(?:[\w$*{][^;()]*?\bfrom\s*)?["'`](\.{1,2}\/[^"'`]+)["'`]/g)) found.add(match[1])
  return [...found]
}

/** Splits the .js files in `dir` into what loading `entry` fetches before it runs and the rest. */
export async function measureLoadSplit(dir: string, entry: string): Promise<LoadSplit> {
  const sizes = new Map<string, { raw: number; gzip: number; code: string }>()
  for (const name of (await readdir(dir)).filter((each) => each.endsWith('.js'))) {
    const bytes = await readFile(join(dir, name))
    sizes.set(name, { raw: bytes.length, gzip: gzipSync(bytes, { level: GZIP_LEVEL }).length, code: bytes.toString('utf8') })
  }
  if (!sizes.has(entry)) throw new Error(`${entry} is not in ${dir}`)
  const firstLoadFiles = [entry]
  for (let i = 0; i < firstLoadFiles.length; i++) {
    const code = sizes.get(firstLoadFiles[i])?.code ?? ''
    for (const specifier of staticImports(code)) {
      const name = posix.normalize(specifier)
      if (!sizes.has(name)) throw new Error(`${firstLoadFiles[i]} imports ${specifier}, which is not in ${dir}`)
      if (!firstLoadFiles.includes(name)) firstLoadFiles.push(name)
    }
  }
  const split: LoadSplit = {
    firstLoad: { files: 0, rawBytes: 0, gzipBytes: 0 },
    onDemand: { files: 0, rawBytes: 0, gzipBytes: 0 },
    firstLoadFiles,
    onDemandFiles: {},
  }
  for (const [name, size] of sizes) {
    const part = firstLoadFiles.includes(name) ? split.firstLoad : split.onDemand
    part.files++
    part.rawBytes += size.raw
    part.gzipBytes += size.gzip
    if (part === split.onDemand) split.onDemandFiles[name] = size.gzip
  }
  return split
}

/** The site's entry script in `assets/`, as the built index.html loads it. */
export async function siteEntry(siteDir: string): Promise<string> {
  const html = await readFile(join(siteDir, 'index.html'), 'utf8')
  const entry = /<script type="module"[^>]*\ssrc="\.?\/?assets\/([^"]+\.js)"/.exec(html)?.[1]
  if (entry === undefined) throw new Error('index.html loads no module script from assets/')
  return entry
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
    const site = await measureLoadSplit(join(outDir, 'assets'), await siteEntry(outDir))
    const library = await measureLoadSplit(libDir, LIBRARY_ENTRY)
    const withinBudget = site.firstLoad.gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES && library.firstLoad.gzipBytes <= BUNDLE_BUDGET_GZIP_BYTES
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
    `| ${name.padEnd(36)} | ${String(size.files).padStart(5)} | ${kb(size.rawBytes).padStart(8)} | ${kb(size.gzipBytes).padStart(9)} |`
  const chunks = (split: LoadSplit) =>
    Object.entries(split.onDemandFiles)
      .map(([name, bytes]) => `${name} ${kb(bytes)} KB`)
      .join(', ')
  return [
    `| bundle                               | files | raw (KB) | gzip (KB) |`,
    `|--------------------------------------|-------|----------|-----------|`,
    row('site, first load', result.site.firstLoad),
    row('site, on demand', result.site.onDemand),
    row('library, first load (parley-chat.js)', result.library.firstLoad),
    row('library, on demand', result.library.onDemand),
    `on demand, site: ${chunks(result.site)}`,
    `on demand, library: ${chunks(result.library)}`,
    `budget: ${kb(result.budgetGzipBytes)} KB gzipped first load each: ${result.withinBudget ? 'within' : 'OVER'}`,
    JSON.stringify({ bench: 'bundle-size', ...result }),
  ].join('\n')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runBundleSizeBench()
  console.log(formatBundleSize(result))
  if (!result.withinBudget) process.exitCode = 1
}
