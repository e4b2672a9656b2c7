// <parley-file> in Chromium with the tab's download cap: a fourth download waits and says so, with
// a Cancel of its own, and starts when one of the three running ends; a cancelled wait never fetches.
import { describe, expect, it } from 'vitest'
import { userEvent } from 'vitest/browser'
import { MAX_CONCURRENT_DOWNLOADS } from '../../src/components/download-queue.js'
import '../../src/components/parley-file.js'
import type { FileFetcher, ParleyFile } from '../../src/components/parley-file.js'
import type { FetchOptions, FileMeta } from '../../src/room/index.js'
import { mount } from './browser-fixtures.js'

/** A file description as a message carries it (the bytes are never checked here). */
const fileNamed = (name: string): FileMeta => ({
  name,
  type: 'application/octet-stream',
  size: 1000,
  sha256: `sha-${name}`,
  root: `root-${name}`,
})

/**
 * Stands in for the room's fetch: each network fetch stays under way until the test ends it
 * with `finish(name)`; an abort rejects it as the room's does. `asked` lists the names fetched.
 */
function heldFetcher() {
  const asked: string[] = []
  const finishers = new Map<string, () => void>()
  const fetchFile: FileFetcher = (file: FileMeta, options: FetchOptions) => {
    if (options.localOnly === true) return Promise.reject(Object.assign(new Error('not here'), { reason: 'unavailable' }))
    asked.push(file.name)
    return new Promise((resolve, reject) => {
      finishers.set(file.name, () => resolve(new Uint8Array(file.size)))
      options.signal?.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { reason: 'cancelled' })))
    })
  }
  return { asked, fetchFile, finish: (name: string) => finishers.get(name)?.() }
}

const inFile = (element: ParleyFile) => element.shadowRoot as ShadowRoot
const status = (element: ParleyFile) => inFile(element).querySelector('[role="status"]')?.textContent ?? ''
const buttonLabelled = (element: ParleyFile, label: string) =>
  inFile(element).querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`)

/** Mounts one file element per name, all fetching through `fetchFile`. */
async function mountFiles(names: readonly string[], fetchFile: FileFetcher): Promise<ParleyFile[]> {
  const elements: ParleyFile[] = []
  for (const name of names) {
    elements.push(
      await mount('parley-file', (element) => {
        element.file = fileNamed(name)
        element.fetchFile = fetchFile
      }),
    )
  }
  return elements
}

/** Presses Download on `element` by keyboard. */
async function download(element: ParleyFile): Promise<void> {
  buttonLabelled(element, `Download ${element.file?.name}`)?.focus()
  await userEvent.keyboard('{Enter}')
}

describe('parley-file downloads', () => {
  it('runs three downloads at once; the fourth says it is waiting and starts when one ends', async () => {
    expect(MAX_CONCURRENT_DOWNLOADS).toBe(3)
    const fetcher = heldFetcher()
    const names = ['a.bin', 'b.bin', 'c.bin', 'd.bin']
    const files = await mountFiles(names, fetcher.fetchFile)
    for (const element of files) await download(element)
    await expect.poll(() => fetcher.asked).toEqual(['a.bin', 'b.bin', 'c.bin'])
    for (const element of files.slice(0, 3)) expect(status(element)).toBe('Fetching from peers… 0%')
    const fourth = files[3]
    await expect.poll(() => status(fourth)).toBe('Waiting… at most 3 downloads run at once.')
    expect(inFile(fourth).querySelector('progress')).toBeNull()
    expect(buttonLabelled(fourth, 'Cancel download of d.bin')).not.toBeNull()

    fetcher.finish('b.bin')
    await expect.poll(() => status(files[1])).toBe('Checked against its signed SHA-256.')
    await expect.poll(() => fetcher.asked).toEqual(names)
    await expect.poll(() => status(fourth)).toBe('Fetching from peers… 0%')
    expect(inFile(fourth).querySelector('progress')).not.toBeNull()
  })

  it('cancels a waiting download by keyboard: it leaves the queue and never fetches', async () => {
    const fetcher = heldFetcher()
    const files = await mountFiles(['a.bin', 'b.bin', 'c.bin', 'd.bin', 'e.bin'], fetcher.fetchFile)
    for (const element of files) await download(element)
    const [fourth, fifth] = files.slice(3)
    await expect.poll(() => status(fifth)).toBe('Waiting… at most 3 downloads run at once.')
    buttonLabelled(fourth, 'Cancel download of d.bin')?.focus()
    await userEvent.keyboard('{Enter}')
    await expect.poll(() => status(fourth)).toBe('Download cancelled.')
    expect(buttonLabelled(fourth, 'Download d.bin')).not.toBeNull()

    // A running one is cancelled: its slot goes to the next still waiting, not to the cancelled one.
    buttonLabelled(files[0], 'Cancel download of a.bin')?.focus()
    await userEvent.keyboard('{Enter}')
    await expect.poll(() => status(fifth)).toBe('Fetching from peers… 0%')
    expect(fetcher.asked).toEqual(['a.bin', 'b.bin', 'c.bin', 'e.bin'])
  })
})
