// Serves the fixture pages of test/e2e/fixtures/ next to the built library, on a plain
// static server of their own, as a page on another site would load <parley-chat>; and the
// library alone from a second origin, as from a CDN, for pages that load it from there.
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, inject } from 'vitest'
import { serveStatic, useChatStack, type ChatStack } from './harness.js'

const FIXTURES = new URL('./fixtures/', import.meta.url)

/** Where the library server keeps the library's files. */
const LIBRARY_PATH = '/cdn/parley/'

/** A static server holding the library's files and filled-in fixture pages, and a second one holding the library alone. */
export interface EmbedPages {
  /**
   * Writes a fixture with `{{room}}`, `{{signaling}}` and `{{library}}` (the other origin's
   * folder of the library, ending in /) filled in and returns its URL.
   * `?ice=` gives host candidates only, as in every end-to-end test.
   */
  page(fixture: string, room: string): Promise<string>
  close(): Promise<void>
}

/** Serves the library from `libDir` and fixture pages pointed at `signalingUrl`. */
export async function serveEmbedPages(libDir: string, signalingUrl: string): Promise<EmbedPages> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-embed-'))
  // The entry and the chunks it loads on demand, next to it.
  for (const name of (await readdir(libDir)).filter((each) => each.endsWith('.js'))) await copyFile(join(libDir, name), join(dir, name))
  const server = await serveStatic(dir)
  // Module scripts from another origin need CORS, as any CDN serves them.
  const library = await serveStatic(libDir, LIBRARY_PATH, { 'access-control-allow-origin': '*' })
  return {
    async page(fixture, room) {
      const html = (await readFile(new URL(fixture, FIXTURES), 'utf8'))
        .replaceAll('{{room}}', room)
        .replaceAll('{{signaling}}', signalingUrl)
        .replaceAll('{{library}}', library.url)
      const name = `${room}-${fixture}`
      await writeFile(join(dir, name), html)
      return `${server.url}${name}?ice=`
    },
    async close() {
      await Promise.all([server.close(), library.close()])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A chat stack (two browsers) with the embed fixture pages served next to it. */
export interface EmbedStack extends ChatStack {
  embeds: EmbedPages
}

/** Like `useChatStack(2, sitePath)`, plus the embed pages, pointed at the same signaling server. */
export function useEmbedStack(sitePath = '/'): EmbedStack {
  const stack = useChatStack(2, sitePath) as EmbedStack
  beforeAll(async () => {
    stack.embeds = await serveEmbedPages(inject('libDir'), stack.signaling.url)
  })
  afterAll(async () => {
    await stack.embeds?.close()
  })
  return stack
}
