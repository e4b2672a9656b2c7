// Log redraw benchmark: how long the message list takes to put one new message's text in the DOM
// while its whole window (up to 200 entries) is rendered, for this tree and a git revision.
// Run alone: npx tsx bench/log-render.ts [--baseline REV] [--rounds 5] [--start 150] [--plain] [--pending]
//   --start N: messages in the log before the timed ones; --plain: texts without links or code;
//   --pending: each new message is drawn with its signature still being checked, as a receiver
//   draws a live message (bench/send.ts), then verified before the next one (a new verdictOf, the
//   log told that only checks settle, as the chat tells it), that redraw timed too.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'
import { launchChromium, serveStatic } from '../test/support/browsers.js'

/** Messages in the log before the timed ones arrive. */
const START_MESSAGES = 150
/** Messages appended and timed per round: the window grows from 150 to 200 entries. */
const TIMED_MESSAGES = 50
/** Rounds per build; the builds take turns, so both meet the same load. */
const DEFAULT_ROUNDS = 5

/** What the timed messages are like. */
interface PageOptions {
  /** Texts without links or code (one text node each), as bench/send.ts sends. */
  plain: boolean
  /** Each new message is drawn pending first, then verified (its own redraw, timed apart). */
  pending: boolean
}

/** The page: one message list, a log of START_MESSAGES, and a function that times appends. */
function entrySource(listModule: string, { plain, pending }: PageOptions): string {
  return `import ${JSON.stringify(listModule)}
const list = document.createElement('parley-message-list')
list.style.height = '600px'
list.style.display = 'flex'
document.body.append(list)
const pending = new Set()
list.verdictOf = (message) => (pending.has(message.id) ? 'pending' : 'verified')
// As the chat sets it: a new verdictOf differs only where a check settled (a build without it ignores it).
list.checksSettle = true
const start = Date.UTC(2026, 11, 2, 8, 0, 0)
const make = (i) => ({ id: 'm' + i, authorId: 'u' + (i % 3), authorName: 'User ' + (i % 3),
  text: ${plain ? "'timed message ' + i + ' of parley'" : "'Message ' + i + ' with a link https://example.com/' + i + ' and `some code` in it'"},
  sentAt: start + Math.floor(i / 2) * 60000 })
window.timeAppends = async (startCount, timed) => {
  pending.clear()
  let messages = Array.from({ length: startCount }, (_, i) => make(i))
  list.messages = messages
  await list.updateComplete
  const times = []
  const verified = []
  const newest = () => [...list.shadowRoot.querySelectorAll('article p')].at(-1)?.textContent ?? ''
  const newestAuthor = () => [...list.shadowRoot.querySelectorAll('article .author')].at(-1)?.textContent ?? ''
  /** performance.now() when the log's DOM first satisfies \`done\` after now, as a MutationObserver sees it. */
  const when = (done) => new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (!done()) return
      observer.disconnect()
      resolve(performance.now())
    })
    observer.observe(list.shadowRoot, { subtree: true, childList: true, characterData: true })
  })
  for (let k = 0; k < timed; k++) {
    const next = make(messages.length)
    if (${pending}) pending.add(next.id)
    messages = [...messages, next]
    const expected = ${plain} ? next.text : next.text.slice(0, next.text.indexOf(' with ') + 1) // the code is drawn without its backticks
    // Until the new text is in the DOM, seen as a MutationObserver sees it (as bench/send.ts does).
    const inDom = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (!newest().startsWith(expected)) return
        observer.disconnect()
        resolve(performance.now())
      })
      observer.observe(list.shadowRoot, { subtree: true, childList: true, characterData: true })
    })
    const t0 = performance.now()
    list.messages = messages
    times.push((await inDom) - t0)
    await list.updateComplete
    await new Promise((resolve) => requestAnimationFrame(resolve))
    if (pending.delete(next.id)) {
      // The check settles: set → the author's name in the DOM.
      const named = when(() => newestAuthor() === next.authorName)
      const v0 = performance.now()
      list.verdictOf = (message) => (pending.has(message.id) ? 'pending' : 'verified')
      verified.push((await named) - v0)
      await list.updateComplete
      await new Promise((resolve) => requestAnimationFrame(resolve))
    }
  }
  return { appends: times, verified }
}
`
}

/** Builds a page around the message list of the source tree at `source` into `outDir`. */
async function buildPage(source: string, outDir: string, options: PageOptions): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'parley-log-render-'))
  await writeFile(join(root, 'entry.js'), entrySource(join(source, 'src/components/parley-message-list.ts'), options))
  await writeFile(join(root, 'index.html'), '<!doctype html><html><body><script type="module" src="./entry.js"></script></body></html>')
  await build({ root, logLevel: 'error', configFile: false, build: { outDir, emptyOutDir: true } })
  await rm(root, { recursive: true, force: true })
}

/** p10 (the least disturbed: on a machine whose cores other work takes, the nearest to a core of one's own), p50 and p90, in ms to a µs. */
function quantiles(values: readonly number[]): { p10Ms: number; p50Ms: number; p90Ms: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => Math.round(sorted[Math.floor(sorted.length * q)] * 1000) / 1000
  return { p10Ms: at(0.1), p50Ms: at(0.5), p90Ms: at(0.9) }
}

/**
 * Served cross-origin isolated: the page's clock then reads to 5 µs (100 µs otherwise, as much
 * as a whole append of a short log).
 */
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }

/** What a run measures. */
export interface LogRenderOptions {
  rounds?: number
  /** Messages in the log before the timed ones (default START_MESSAGES). */
  start?: number
  plain?: boolean
  pending?: boolean
}

/** p10, median and p90 time, in ms, for the list to render one appended message, per build. */
export async function runLogRenderBench(baseline: string | undefined, options: LogRenderOptions = {}) {
  const rounds = options.rounds ?? DEFAULT_ROUNDS
  const startCount = options.start ?? START_MESSAGES
  const pageOptions = { plain: options.plain ?? false, pending: options.pending ?? false }
  const repo = fileURLToPath(new URL('..', import.meta.url))
  const work = await mkdtemp(join(tmpdir(), 'parley-log-render-bench-'))
  const builds: { name: string; source: string }[] = [{ name: 'this tree', source: repo }]
  if (baseline !== undefined) {
    const source = join(work, 'baseline-source')
    await mkdir(source)
    const archive = execFileSync('git', ['-C', repo, 'archive', '--format=tar', baseline], { maxBuffer: 1 << 30 })
    execFileSync('tar', ['-x', '-C', source], { input: archive })
    await symlink(join(repo, 'node_modules'), join(source, 'node_modules'))
    builds.push({ name: baseline, source })
  }
  const browser = await launchChromium()
  try {
    const pages = []
    for (const [i, { name, source }] of builds.entries()) {
      const dir = join(work, `dist-${i}`)
      await buildPage(source, dir, pageOptions)
      const server = await serveStatic(dir, '/', ISOLATED)
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } })
      await page.goto(server.url)
      await page.waitForFunction(() => 'timeAppends' in window)
      pages.push({ name, page, server, times: [] as number[], verified: [] as number[] })
    }
    for (let round = 0; round < rounds; round++)
      for (const entry of pages) {
        const timed = await entry.page.evaluate(
          ([start, count]) =>
            (window as unknown as { timeAppends(a: number, b: number): Promise<{ appends: number[]; verified: number[] }> }).timeAppends(
              start,
              count,
            ),
          [startCount, TIMED_MESSAGES] as const,
        )
        entry.times.push(...timed.appends)
        entry.verified.push(...timed.verified)
      }
    for (const entry of pages) await entry.server.close()
    return pages.map(({ name, times, verified }) => ({
      build: name,
      appends: times.length,
      ...quantiles(times),
      /** With `pending`: each new message's check settling, set → its author's name in the DOM. */
      verified: verified.length === 0 ? null : quantiles(verified),
    }))
  } finally {
    await browser.close()
    await rm(work, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const value = (name: string): string | undefined => {
    const flag = process.argv.indexOf(name)
    return flag > 0 ? process.argv[flag + 1] : undefined
  }
  const rounds = value('--rounds')
  const start = Number(value('--start') ?? START_MESSAGES)
  const plain = process.argv.includes('--plain')
  const pending = process.argv.includes('--pending')
  const figures = await runLogRenderBench(value('--baseline'), {
    rounds: rounds === undefined ? undefined : Number(rounds),
    start,
    plain,
    pending,
  })
  console.log(
    `One new ${plain ? 'plain' : 'rich'} message${pending ? ', drawn pending,' : ''} into a log of ${start}–${start + TIMED_MESSAGES} messages, all rendered`,
  )
  console.log('| build | appends | set → text in the DOM p10 | p50 | p90 |\n|---|---|---|---|---|')
  for (const f of figures) console.log(`| ${f.build} | ${f.appends} | ${f.p10Ms} ms | ${f.p50Ms} ms | ${f.p90Ms} ms |`)
  if (pending) {
    console.log("\nIts check settling (a new verdictOf): set → the author's name in the DOM")
    console.log('| build | p10 | p50 | p90 |\n|---|---|---|---|')
    for (const { build, verified } of figures)
      if (verified !== null) console.log(`| ${build} | ${verified.p10Ms} ms | ${verified.p50Ms} ms | ${verified.p90Ms} ms |`)
  }
}
