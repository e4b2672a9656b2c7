// A file a message carries, in the log: its name and size, a download with progress and Cancel,
// an image preview, and a link to save it. Loaded on demand, when the log first shows a file.
import { LitElement, css, html, nothing } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import type { FetchFailure, FetchOptions, FileMeta } from '../room/index.js'
import { DownloadSlots, MAX_CONCURRENT_DOWNLOADS } from './download-queue.js'
import { lightTheme, sharedStyles } from './shared-styles.js'
import { blobUrlOf, isPreviewType, previewTypeOf, verifiedBlobUrl, type VerifiedBlobUrl } from './verified-blob-url.js'

/** Images up to this size are fetched as soon as the log shows them, in bytes; larger ones on request. */
export const MAX_AUTO_FETCH_BYTES = 10 * 1024 * 1024

/** Fetches a file's verified bytes (Room.fetchFile, through the room controller). */
export type FileFetcher = (file: FileMeta, options: FetchOptions) => Promise<Uint8Array<ArrayBuffer>>

/** What the user is told about a fetch that ended without the file. */
const FAILURES: Record<FetchFailure, string> = {
  unavailable: 'Nobody who has this file is online now. Try again later.',
  corrupt: "Refused: a peer sent data that does not match the file's signed hash.",
  cancelled: 'Download cancelled.',
  closed: 'The room was closed.',
}
/** Said of every file before it is fetched. */
const PEER_TO_PEER_NOTE = 'Sent peer to peer: it can be fetched only while someone who has it is online.'

/** Said of a download that waits for others to finish. */
const WAITING_NOTE = `Waiting… at most ${MAX_CONCURRENT_DOWNLOADS} downloads run at once.`
/** The download slots of this tab, shared by its file elements (this module loads once a page). */
const downloadSlots = new DownloadSlots()

const sizeFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 })

/** A size for people: "512 B", "14.2 KB", "3.1 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${sizeFormat.format(bytes / 1024)} KB`
  return `${sizeFormat.format(bytes / 1024 / 1024)} MB`
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'waiting' }
  | { kind: 'fetching'; received: number }
  | { kind: 'done'; here: boolean }
  | { kind: 'failed'; reason: FetchFailure }

/**
 * One shared file in the log. Name and type are the author's strings: shown as text only.
 * @csspart file - the file's box
 */
@customElement('parley-file')
export class ParleyFile extends LitElement {
  static override styles = [
    sharedStyles,
    css`
    :host { display: block; }
    .file { display: grid; gap: 0.35rem; margin-top: 0.35rem; padding: 0.5rem 0.6rem; max-width: 28rem; border-radius: 8px;
      border: 1px solid var(--parley-border-color, ${lightTheme.borderColor}); }
    img { display: block; max-width: 100%; max-height: 16rem; border-radius: 4px; }
    .row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
    .name { font-weight: 600; overflow-wrap: anywhere; }
    .note, .size { margin: 0; color: var(--parley-muted, ${lightTheme.muted}); font-size: 0.85em; }
    .failed { color: var(--parley-error, ${lightTheme.error}); }
    button, a { font: inherit; font-size: 0.9em; }
    button { padding: 0.25rem 0.6rem; border-radius: 6px; cursor: pointer; color: inherit; background: transparent;
      border: 1px solid var(--parley-border-color, ${lightTheme.borderColor}); }
    a { color: inherit; }
    progress { flex: 1; min-width: 6rem; }
  `,
  ]

  /** The file, as its author signed it. */
  @property({ attribute: false }) file: FileMeta | null = null
  /** How to fetch its bytes. */
  @property({ attribute: false }) fetchFile: FileFetcher | null = null
  @state() private phase: Phase = { kind: 'idle' }
  @state() private preview: VerifiedBlobUrl | null = null
  @state() private save: VerifiedBlobUrl | null = null
  #abort: AbortController | null = null

  override connectedCallback(): void {
    super.connectedCallback()
    // A file this tab holds (its own, or fetched before the log scrolled it away) shows at once.
    void this.updateComplete.then(() => this.#start(this.#auto()))
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.#reset()
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    const before = changed.get('file') as FileMeta | null | undefined
    if (changed.has('file') && before !== undefined && before?.sha256 !== this.file?.sha256) {
      this.#reset()
      void this.updateComplete.then(() => this.#start(this.#auto()))
    }
  }

  /** Whether the file is fetched without being asked: a small enough image. */
  #auto(): boolean {
    const file = this.file
    return file !== null && isPreviewType(file.type) && file.size <= MAX_AUTO_FETCH_BYTES
  }

  /** Fetches the file (from peers, once one of the tab's download slots is free, unless `localOnly`), then shows it. */
  async #start(network: boolean): Promise<void> {
    const file = this.file
    const fetchFile = this.fetchFile
    const busy = this.phase.kind !== 'idle' && this.phase.kind !== 'failed'
    if (file === null || fetchFile === null || !this.isConnected || busy) return
    const abort = new AbortController()
    this.#abort = abort
    if (network) this.phase = { kind: 'waiting' }
    try {
      const free = network ? await downloadSlots.take(abort.signal) : () => {}
      let bytes: Uint8Array<ArrayBuffer>
      try {
        if (network && this.#abort === abort) this.phase = { kind: 'fetching', received: 0 }
        bytes = await fetchFile(file, {
          signal: abort.signal,
          localOnly: !network,
          onProgress: (received) => {
            if (this.#abort === abort) this.phase = { kind: 'fetching', received }
          },
        })
      } finally {
        free()
      }
      if (this.#abort !== abort) return
      this.#abort = null
      this.preview = verifiedPreview(file, bytes)
      this.save = verifiedBlobUrl(bytes, null)
      this.phase = { kind: 'done', here: !network }
    } catch (error) {
      if (this.#abort !== abort) return
      this.#abort = null
      const reason = (error as { reason?: FetchFailure }).reason ?? 'unavailable'
      this.phase = network ? { kind: 'failed', reason } : { kind: 'idle' }
    }
  }

  #cancel(): void {
    this.#abort?.abort()
  }

  /** Forgets the fetch and the URLs (revoked: nothing shows them any more). */
  #reset(): void {
    const abort = this.#abort
    this.#abort = null
    abort?.abort()
    for (const url of [this.preview, this.save]) if (url !== null) URL.revokeObjectURL(url)
    this.preview = null
    this.save = null
    this.phase = { kind: 'idle' }
  }

  override render() {
    const file = this.file
    if (file === null) return nothing
    const phase = this.phase
    const note =
      phase.kind === 'failed'
        ? FAILURES[phase.reason]
        : phase.kind === 'done'
          ? phase.here
            ? 'In this browser: others can fetch it from here while this tab is open.'
            : 'Checked against its signed SHA-256.'
          : phase.kind === 'fetching'
            ? `Fetching from peers… ${Math.floor((phase.received / Math.max(1, file.size)) * 100)}%`
            : phase.kind === 'waiting'
              ? WAITING_NOTE
              : PEER_TO_PEER_NOTE
    return html`
      <div class="file" part="file">
        ${this.preview === null ? nothing : html`<img src=${blobUrlOf(this.preview)} alt=${`Image: ${file.name}`}>`}
        <div class="row">
          <span class="name">${file.name}</span>
          <span class="size" title=${`SHA-256 ${file.sha256}`}>${formatBytes(file.size)}</span>
          ${
            phase.kind === 'idle' || phase.kind === 'failed'
              ? html`<button type="button" aria-label=${`Download ${file.name}`} @click=${() => this.#start(true)}>Download</button>`
              : nothing
          }
          ${
            phase.kind === 'fetching'
              ? html`<progress max=${file.size} .value=${phase.received} aria-label=${`Downloading ${file.name}`}></progress>`
              : nothing
          }
          ${
            phase.kind === 'fetching' || phase.kind === 'waiting'
              ? html`<button type="button" aria-label=${`Cancel download of ${file.name}`} @click=${this.#cancel}>Cancel</button>`
              : nothing
          }
          ${this.save === null ? nothing : html`<a href=${blobUrlOf(this.save)} download=${file.name} aria-label=${`Save ${file.name}`}>Save</a>`}
        </div>
        <p class="note ${phase.kind === 'failed' ? 'failed' : ''}" role="status">${note}</p>
      </div>`
  }
}

/** A preview URL for verified bytes, if they are an image of an allowed type; else null. */
function verifiedPreview(file: FileMeta, bytes: Uint8Array<ArrayBuffer>): VerifiedBlobUrl | null {
  const type = previewTypeOf(file.type, bytes)
  return type === null ? null : verifiedBlobUrl(bytes, type)
}

declare global {
  interface HTMLElementTagNameMap {
    'parley-file': ParleyFile
  }
}
