// Serves the fixture pages of test/e2e/fixtures/ next to the built library, on a plain
// static server of their own, as a page on another site would load <parley-chat>.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, inject } from 'vitest'
import { serveStatic, useChatStack, type ChatStack } from './harness.js'

const FIXTURES = new URL('./fixtures/', import.meta.url)

/** A static server holding parley-chat.js and filled-in fixture pages. */
export interface EmbedPages {
  /**
   * Writes a fixture with `{{room}}` and `{{signaling}}` filled in and returns its URL.
   * `?ice=` gives host candidates only, as in every end-to-end test.
   */
  page(fixture: string, room: string): Promise<string>
  close(): Promise<void>
}

/** Serves the library from `libDir` and fixture pages pointed at `signalingUrl`. */
export async function serveEmbedPages(libDir: string, signalingUrl: string): Promise<EmbedPages> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-embed-'))
  await copyFile(join(libDir, 'parley-chat.js'), join(dir, 'parley-chat.js'))
  const server = await serveStatic(dir)
  return {
    async page(fixture, room) {
      const html = (await readFile(new URL(fixture, FIXTURES), 'utf8'))
        .replaceAll('{{room}}', room)
        .replaceAll('{{signaling}}', signalingUrl)
      const name = `${room}-${fixture}`
      await writeFile(join(dir, name), html)
      return `${server.url}${name}?ice=`
    },
    async close() {
      await server.close()
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
