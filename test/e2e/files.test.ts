// Files and images peer to peer, as users meet them in real Chromium over real WebRTC, by keyboard:
// an image previewed by the other browser, a file saved and matching its hash, a corrupted chunk
// from a hostile Node peer refused, a stalled download cancelled, and a file over the limit refused.
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { nodeRtc } from './history-harness.js'
import { WebSocket } from 'ws'
import type { Page } from 'playwright-core'
import { MAX_FILE_BYTES, Room, type RtcImplementation } from '../../src/room/index.js'
import { generateSigningKeys, signerFor } from '../../src/identity/index.js'
import { FILE_CHANNEL_LABEL } from '../../src/transport/file-protocol.js'
import { expectMessages, joinRoom, messageLog, roomUrl, uniqueRoom, useChatStack } from './harness.js'
import { axeViolations } from './page-probes.js'

// lib0's WebSocket client uses the global WebSocket, which Node 20 lacks.
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

/** A 1 × 1 PNG. */
const DOT_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
/** Data frames of the file channel: byte 0 is the kind (1: a chunk), bytes 5–8 the chunk's index. */
const CHUNK_KIND = 1
const DATA_HEADER_BYTES = 9
const FILE_TIMEOUT_MS = 20_000

const stack = useChatStack(2)

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** The shown file of the message whose text includes `name`. */
function fileCard(page: Page, name: string) {
  return messageLog(page).locator('article').filter({ hasText: name }).locator('parley-file')
}

/** Files the next file chooser of a page gets: set before the chooser opens. */
const chooserFiles = new WeakMap<Page, Array<{ name: string; mimeType: string; buffer: Buffer }>>()

/**
 * Joins as `name`, with the page's file choosers answered from chooserFiles. Playwright turns on
 * its interception of file choosers asynchronously when the first listener is added, so that
 * listener is added here, long before a chooser opens, not next to the key press that opens it.
 */
async function joinWithFiles(url: string, browser: number, name: string): Promise<Page> {
  const page = await joinRoom(stack.browsers[browser], url, name)
  page.on('filechooser', (chooser) => {
    const file = chooserFiles.get(page)?.shift()
    if (file !== undefined) void chooser.setFiles(file)
  })
  return page
}

/** Picks `file` with the composer's attach button, by keyboard; resolves once it is in the log. */
async function attachByKeyboard(page: Page, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  chooserFiles.set(page, [file])
  await page.getByRole('button', { name: 'Attach a file' }).focus()
  await page.keyboard.press('Enter')
  await messageLog(page).locator('article').filter({ hasText: file.name }).waitFor({ timeout: FILE_TIMEOUT_MS })
}

/**
 * Node WebRTC whose file channels change what they send: `alter` gets each chunk frame's index and
 * bytes (a copy) and returns what to send instead, or null to hold it back. A hostile peer's wire.
 */
function tamperingRtc(alter: (index: number, frame: Uint8Array) => Uint8Array | null): RtcImplementation {
  class TamperingPeerConnection extends nodeRtc.RTCPeerConnection {
    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      if (label !== FILE_CHANNEL_LABEL) return channel
      const send = channel.send.bind(channel) as (data: string | ArrayBufferView) => void
      channel.send = ((data: string | ArrayBufferView) => {
        if (typeof data === 'string') return send(data)
        const frame = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
        if (frame[0] !== CHUNK_KIND) return send(frame)
        const altered = alter(new DataView(frame.buffer).getUint32(5), frame)
        if (altered !== null) send(altered)
      }) as RTCDataChannel['send']
      return channel
    }
  }
  return { ...nodeRtc, RTCPeerConnection: TamperingPeerConnection as unknown as typeof RTCPeerConnection }
}

/** A Node peer in `room` that shares `bytes` (random, `size` of them) over `rtc`; its name is Mallory. */
async function nodeSharer(
  room: string,
  rtc: RtcImplementation,
  name: string,
  size: number,
  bytes = new Uint8Array(randomBytes(size)),
): Promise<Room> {
  const signer = await signerFor(await generateSigningKeys())
  const node = new Room({ name: room, signalingUrls: [stack.signaling.url], iceServers: [], wrtc: rtc })
  await node.sendFile({ name: 'Mallory', userId: signer.userId, signer }, { name, type: 'application/octet-stream', bytes })
  return node
}

/**
 * Bob joins a new room (named after `label`), where Mallory, a Node peer whose chunks pass through
 * `alter` (tamperingRtc), shares `size` random bytes as `name`; Bob starts the download and
 * `check` looks at his file card. Both are closed afterwards, whatever happened.
 */
async function downloadFromHostilePeer(
  label: string,
  name: string,
  size: number,
  alter: (index: number, frame: Uint8Array) => Uint8Array | null,
  check: (card: ReturnType<typeof fileCard>, b: Page) => Promise<void>,
): Promise<void> {
  const room = uniqueRoom(label)
  const b = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
  const mallory = await nodeSharer(room, tamperingRtc(alter), name, size)
  try {
    await expectMessages(b, [`Mallory: 📎 ${name}`])
    const card = fileCard(b, name)
    await card.getByRole('button', { name: `Download ${name}` }).click({ timeout: FILE_TIMEOUT_MS })
    await check(card, b)
  } finally {
    mallory.close()
    await b.context().close()
  }
}

describe('files and images', () => {
  it('previews an image in the other browser and saves a file that matches its hash, by keyboard', async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('files'))
    const a = await joinWithFiles(url, 0, 'Alice')
    const b = await joinRoom(stack.browsers[1], url, 'Bob')
    const errors: string[] = []
    for (const page of [a, b]) page.on('pageerror', (error) => errors.push(error.message))

    await attachByKeyboard(a, { name: 'dot.png', mimeType: 'image/png', buffer: DOT_PNG })
    await expectMessages(b, ['Alice: 📎 dot.png'])
    for (const page of [a, b]) {
      const image = fileCard(page, 'dot.png').getByRole('img', { name: 'Image: dot.png' })
      await expect
        .poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth), { timeout: FILE_TIMEOUT_MS })
        .toBe(1)
      expect(await image.getAttribute('src')).toMatch(/^blob:/)
    }

    // Several chunks of bytes that are no image: fetched on request, then saved.
    const data = randomBytes(5 * 16 * 1024 + 321)
    await attachByKeyboard(a, { name: 'data.bin', mimeType: 'application/octet-stream', buffer: data })
    await expectMessages(b, ['Alice: 📎 dot.png', 'Alice: 📎 data.bin'])
    const card = fileCard(b, 'data.bin')
    await expect
      .poll(() => card.getByRole('status').textContent(), { timeout: FILE_TIMEOUT_MS })
      .toContain('only while someone who has it is online')
    await card.getByRole('button', { name: 'Download data.bin' }).focus()
    await b.keyboard.press('Enter')
    const save = card.getByRole('link', { name: 'Save data.bin' })
    await save.waitFor({ timeout: FILE_TIMEOUT_MS })
    expect(await card.getByRole('status').textContent()).toBe('Checked against its signed SHA-256.')
    await save.focus()
    const [download] = await Promise.all([b.waitForEvent('download'), b.keyboard.press('Enter')])
    expect(download.suggestedFilename()).toBe('data.bin')
    const saved = await readFile(await download.path())
    expect(sha256(saved)).toBe(sha256(data))
    expect(await axeViolations(b)).toEqual([])
    expect(errors).toEqual([])
    await Promise.all([a.context().close(), b.context().close()])
  })

  it("shows an image's preview in a tab opened after it, whose history is there before any link", { timeout: 60_000 }, async () => {
    const url = roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('files-tab'))
    const a = await joinWithFiles(url, 0, 'Alice')
    const b = await joinRoom(stack.browsers[1], url, 'Bob')
    await attachByKeyboard(a, { name: 'dot.png', mimeType: 'image/png', buffer: DOT_PNG })
    await expectMessages(b, ['Alice: 📎 dot.png'])
    // Bob's second tab has the message from his first tab at once, before its own links are up:
    // its automatic fetch of the preview asked no one and said "Nobody who has this file is online".
    const second = await b.context().newPage()
    await second.goto(url)
    await expectMessages(second, ['Alice: 📎 dot.png'])
    const image = fileCard(second, 'dot.png').getByRole('img', { name: 'Image: dot.png' })
    await expect
      .poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth).catch(() => 0), {
        timeout: FILE_TIMEOUT_MS,
      })
      .toBe(1)
    await Promise.all([a.context().close(), b.context().close()])
  })

  it('fetches 8 MB (512 chunks) from a Node peer over real WebRTC, and the saved file matches its hash', { timeout: 120_000 }, async () => {
    const room = uniqueRoom('files-large')
    const b = await joinRoom(stack.browsers[1], roomUrl(stack.site.url, stack.signaling.url, room), 'Bob')
    const bytes = new Uint8Array(randomBytes(8 * 1024 * 1024))
    const sender = await nodeSharer(room, nodeRtc, 'large.bin', bytes.length, bytes)
    try {
      await expectMessages(b, ['Mallory: 📎 large.bin'])
      const card = fileCard(b, 'large.bin')
      await card.getByRole('button', { name: 'Download large.bin' }).click({ timeout: FILE_TIMEOUT_MS })
      const save = card.getByRole('link', { name: 'Save large.bin' })
      await save.waitFor({ timeout: 90_000 })
      const [download] = await Promise.all([b.waitForEvent('download'), save.click()])
      expect(sha256(await readFile(await download.path()))).toBe(sha256(bytes))
    } finally {
      sender.close()
      await b.context().close()
    }
  })

  it('refuses a corrupted chunk from a hostile peer and says so', async () => {
    // Mallory signs a true description of her file, then sends its second chunk with a byte flipped.
    const corrupt = (index: number, frame: Uint8Array) => {
      if (index === 1) frame[DATA_HEADER_BYTES + 100] ^= 0xff
      return frame
    }
    await downloadFromHostilePeer('files-corrupt', 'report.bin', 3 * 16 * 1024, corrupt, async (card) => {
      await expect
        .poll(() => card.getByRole('status').textContent(), { timeout: FILE_TIMEOUT_MS })
        .toBe("Refused: a peer sent data that does not match the file's signed hash.")
      expect(await card.getByRole('link').count()).toBe(0)
    })
  })

  it('cancels a download that is under way, by keyboard', async () => {
    // A peer that sends the first chunks and then holds the rest back: the download stays under way.
    const stall = (index: number, frame: Uint8Array) => (index < 2 ? frame : null)
    await downloadFromHostilePeer('files-cancel', 'big.bin', 20 * 16 * 1024, stall, async (card, b) => {
      const progress = card.getByRole('progressbar', { name: 'Downloading big.bin' })
      await expect
        .poll(() => progress.evaluate((element: HTMLProgressElement) => element.value), { timeout: FILE_TIMEOUT_MS })
        .toBe(2 * 16 * 1024)
      await card.getByRole('button', { name: 'Cancel download of big.bin' }).focus()
      await b.keyboard.press('Enter')
      await expect.poll(() => card.getByRole('status').textContent()).toBe('Download cancelled.')
      expect(await card.getByRole('progressbar').count()).toBe(0)
      expect(await card.getByRole('button', { name: 'Download big.bin' }).count()).toBe(1)
    })
  })

  it('takes a pasted file, and refuses a dropped one over the limit with a message that says the limit', async () => {
    const a = await joinRoom(stack.browsers[0], roomUrl(stack.site.url, stack.signaling.url, uniqueRoom('files-big')), 'Alice')
    expect(await a.locator('parley-composer #file-note').textContent()).toContain('Files up to 25 MB')
    // What the browser hands a page for a paste or a drop of files (made in the page: 25 MB need not cross the wire).
    const hand = (kind: 'paste' | 'drop', name: string, bytes: number) =>
      a.locator('parley-composer textarea').evaluate(
        (field, [kind, name, bytes]) => {
          const transfer = new DataTransfer()
          transfer.items.add(new File([new Uint8Array(bytes as number)], name as string, { type: 'application/octet-stream' }))
          const init = { bubbles: true, cancelable: true, composed: true }
          field.dispatchEvent(
            kind === 'paste'
              ? new ClipboardEvent('paste', { ...init, clipboardData: transfer })
              : new DragEvent('drop', { ...init, dataTransfer: transfer }),
          )
        },
        [kind, name, bytes] as const,
      )
    await hand('paste', 'pasted.bin', 1000)
    await expectMessages(a, ['Alice: 📎 pasted.bin'])
    await hand('drop', 'huge.bin', MAX_FILE_BYTES + 1)
    await expect.poll(() => a.locator('parley-composer #problem').textContent()).toBe('huge.bin is 26 MB: files up to 25 MB can be shared.')
    expect(await messageLog(a).locator('article').count()).toBe(1)
    await a.context().close()
  })
})
